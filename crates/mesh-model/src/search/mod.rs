//! The Mesh search language over objects and attributes.
//!
//! A query is parsed once ([`parse`]) and run against anything that can
//! answer the questions of [`SearchModel`] ([`run`]), so that the language
//! does not depend on how the model is stored.
//!
//! # The language
//!
//! A query is a *traversal*, which takes a set of objects (at first just
//! the start object) to another set, optionally followed by `.Attr` or
//! `.A,B,…` to select attributes of the objects it ends at. A query of only
//! `.Attr` selects attributes of the start object itself.
//!
//! | Construct | Meaning | Example |
//! |---|---|---|
//! | `@` | the input itself | `@` |
//! | `@[c]` | the input if it meets criteria `c` | `@[.Name=Dam1]` |
//! | `[c]` | the children that meet `c` | `[.Type=Plant]` |
//! | `Rel` | the targets of relation attribute `Rel` | `Feeds` |
//! | `..` | the owner | `../[.Name=U2]` |
//! | `*` | the leaves below (the input, if it is one) | `*` |
//! | `+` | the leaves strictly below | `+` |
//! | `{*}` / `{+}` | the input and everything below / everything below | `{*}` |
//! | `*[c]` | the nearest objects meeting `c`, the input included | `*[.Type=Unit]` |
//! | `+[c]` | the nearest meeting `c` strictly below | `+[.Type=Unit]` |
//! | `{*}[c]` / `{+}[c]` | every object below meeting `c` (input included / not) | `{*}[.Type=Unit]` |
//! | `..*`, `..+`, `..{*}`, `..{+}`, each with optional `[c]` | the same, walking up the owners towards the root | `..+[.Type=Plant]` |
//! | `T*` / `T+` | repeat `T` zero / one or more times; output where it ends | `Feeds*` |
//! | `T{*}` / `T{+}` | the same, outputting everything reached on the way | `Feeds{+}` |
//! | `A/B` | `B` from each object `A` outputs | `Feeds/[.Type=Unit]` |
//! | `A&B` | objects both output | `[.Type=Plant]&[.Name~1]` |
//! | `A\|B` | objects either outputs | `[.Name=P1]\|[.Name=P2]` |
//! | `(T)` | grouping | `([.Name=P1]\|[.Name=P2])/*` |
//! | `.Attr`, `.A,B` | (at the end) the named attributes of each object | `{*}.Volume,Level` |
//!
//! Precedence, loosest first: `|`, `&`, `/`, postfix repetition (one per
//! step; write `(T*)*` for more).
//!
//! Criteria `c`, between brackets, are true or false for one object:
//!
//! | Criterion | True when | Example |
//! |---|---|---|
//! | `s` (a search) | it finds something: an object, or an attribute the object has | `[.Volume&&!...Level]` |
//! | `s=v`, `s<v`, `s<=v`, `s>v`, `s>=v` | a value found compares so with `v` | `[.Capacity>=10]` |
//! | `s~v` | a text value found contains `v` | `[.Name~Dam]` |
//! | `s#v` | a whole text value found matches regular expression `v` | `[.Name#U[0-9]+]` |
//! | `a&&b`, `a\|\|b`, `!a`, `(a)` | and, or (looser than and), not, grouping | `[!(.Name=A\|\|.Name=B)]` |
//! | `[…]{i}` | names and text compared ignoring case (this bracket only) | `[.type=plant]{i}` |
//!
//! The search `s` in a criterion is a query from the object being tested:
//! `.Attr` its attribute, `Rel.Attr` an attribute of a related object,
//! `...Attr` (`..` then `.Attr`) its owner's. `.Name` and `.Type` are the
//! object's name and the name of its type; they win over real attributes so
//! named. The values compared are the attribute's values (any one matching
//! suffices); a relation's values are its targets' names; a search selecting
//! no attribute (`[Feeds=Dam1]`) compares the names of the objects it finds.
//!
//! A literal `v` is text: in quotes (`"…"` or `'…'`, with `\"` and `\\`)
//! or bare, running to the `]`, `)`, `&&` or `||` that ends the criterion
//! (brackets and parentheses it opens itself included, so `#[A-C].*` works;
//! `\` makes the next character plain). It is read as the type of each
//! value it meets: an integer or double (`1`, `2.5`), `true`/`false`, a UTC
//! time (`2024-01-31`, `2024-01-31T12:00:00.5Z`, or ticks) or text. A literal
//! that cannot be read as that type matches nothing. `~` and `#` apply to
//! text only; `#` must match the whole value (`.*nen` for "ends with nen")
//! and uses the `regex` crate's syntax, which never backtracks.
//!
//! # Choices where the public description is silent
//!
//! - A bare name as a step follows a relation attribute (ownership or link)
//!   of that name; it does not name a child object.
//! - Names of relations and of selected attributes outside brackets are
//!   compared exactly; `{i}` affects only its own bracket (nested brackets
//!   have their own options).
//! - `(` inside brackets groups criteria, never a traversal.
//! - The final `.Attr` selects real attributes only (`.Name` there is an
//!   attribute called `Name`); a selected attribute an object lacks is
//!   skipped, not an error.
//! - There is no `!=`; write `[!.A=1]`.
//! - The only pseudo-attributes are `.Name` and `.Type` (no `.Path`,
//!   `.Owner` or `.Id`: the public description names none).
//! - `*` alone outputs the leaves, as the public description says (an SDK
//!   example calls it "every object"; `{*}` is that).
//! - A bare literal always ends at `&&`; quote a regular expression that
//!   needs one.
//! - Results come without repeats in the order first found (walks depth
//!   first, children in model order), so the same query gives the same list.
//!
//! Limits: a query is at most [`MAX_QUERY_BYTES`] long and nests at most
//! [`MAX_NESTING`] brackets, parentheses and `!`; a search visits at most the
//! objects its [`Budget`] allows.

mod ast;
mod compare;
mod error;
mod eval;
mod lexer;
mod parser;

#[cfg(test)]
mod tests;

pub use ast::{CompareOp, Comparison, Criteria, CriteriaExpr, Direction, Query, Repeat, Traversal};
pub use error::{ParseError, SearchError};
pub use eval::{run, Budget, Hit};
pub use parser::{parse, MAX_NESTING, MAX_QUERY_BYTES};

use std::hash::Hash;

/// What a search needs to know of a model. Objects are named by handles
/// the model chooses (an index, an id).
pub trait SearchModel {
    /// A handle naming one object.
    type Object: Copy + Eq + Hash + std::fmt::Debug;

    /// The object owning `object`: the owner of its owning attribute, or
    /// the model for top-level objects; `None` for a model (the root).
    fn owner(&self, object: Self::Object) -> Option<Self::Object>;

    /// The objects `object` owns, through all its ownership attributes, in
    /// attribute order then in the order each attribute holds them.
    fn children(&self, object: Self::Object) -> Vec<Self::Object>;

    /// The object's name.
    fn name(&self, object: Self::Object) -> &str;

    /// The name of the object's definition (its type); a model answers the
    /// name of its model definition.
    fn type_name(&self, object: Self::Object) -> &str;

    /// The names of the object's attributes, in definition order.
    fn attribute_names(&self, object: Self::Object) -> Vec<&str>;

    /// The attribute of `object` named `name` (compared ignoring ASCII
    /// case when `ignore_case`), if it has one.
    fn attribute(
        &self,
        object: Self::Object,
        name: &str,
        ignore_case: bool,
    ) -> Option<SearchAttribute<'_, Self::Object>>;

    /// Every object whose definition is named `type_name`, if the model
    /// keeps an index by type; `None` when it does not (the search then
    /// walks the part of the model the query visits).
    fn objects_of_type(&self, type_name: &str) -> Option<Vec<Self::Object>> {
        let _ = type_name;
        None
    }
}

/// One attribute as a search sees it.
#[derive(Debug, Clone)]
pub struct SearchAttribute<'a, O> {
    /// The attribute's name.
    pub name: &'a str,
    /// Its simple values (none for a relation or an unset attribute; one for
    /// a singular attribute; any number for a collection).
    pub values: Vec<SearchValue<'a>>,
    /// The objects it points at, for an ownership or link relation.
    pub targets: Vec<O>,
}

/// A simple attribute value as a search compares it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SearchValue<'a> {
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// A boolean.
    Bool(bool),
    /// A string.
    String(&'a str),
    /// A UTC time, in 100-nanosecond ticks since 1970-01-01T00:00:00Z.
    UtcTime(i64),
}

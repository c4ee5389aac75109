//! The Mesh search language over objects and attributes.
//!
//! A query is parsed once ([`parse`]) and run against anything that can
//! answer the questions of [`SearchModel`], so that the language does not
//! depend on how the model is stored.

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

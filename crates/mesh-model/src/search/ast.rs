//! The parsed form of a query. [`super::parse`] builds it; [`super::run`]
//! evaluates it. The tree is bounded in depth by the parser, so walking it
//! recursively cannot overflow the stack.

use regex::Regex;

/// A whole query: a traversal from the start object, then optionally the
/// attributes to select on every object it reaches.
#[derive(Debug, Clone)]
pub struct Query {
    /// Where to go from the start object (`@` when the query only names
    /// attributes, as in `.Price`).
    pub traversal: Traversal,
    /// The attribute names after the final `.` (`.A,B`), in query order and
    /// without repeats; empty for an object search.
    pub attributes: Vec<String>,
}

impl Query {
    /// Whether the query selects attributes (`….Attr`) rather than objects.
    pub fn selects_attributes(&self) -> bool {
        !self.attributes.is_empty()
    }
}

/// Which way a walk goes through the ownership tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Towards the children (`*`, `+`, `{*}`, `{+}`).
    Down,
    /// Towards the owners (`..*`, `..+`, `..{*}`, `..{+}`).
    Up,
}

/// How a repetition or walk counts its steps and what it outputs: the
/// four spellings `*`, `+`, `{*}`, `{+}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    /// `+`: at least one step (the input itself is never output on its own
    /// account); `*`: zero steps count too.
    pub strict: bool,
    /// In braces: output everything reached on the way, not only where the
    /// repetition ends (or, with criteria, every match, not only the nearest).
    pub all: bool,
}

/// A traversal: a set of objects in, a set of objects out.
#[derive(Debug, Clone)]
pub enum Traversal {
    /// `@`: the input itself.
    Identity,
    /// `@[criteria]`: the inputs that match.
    Filter(Box<Criteria>),
    /// `[criteria]`: the children of each input that match.
    Child(Box<Criteria>),
    /// `..`: the owner of each input.
    Parent,
    /// `*`, `+`, `{*}`, `{+}`, each optionally with `[criteria]`, and the same
    /// after `..` for walks up.
    Walk {
        /// Down to children or up to owners.
        direction: Direction,
        /// The spelling.
        repeat: Repeat,
        /// What the walk looks for; without it the walk ends at leaves (down)
        /// or at the root (up).
        criteria: Option<Box<Criteria>>,
    },
    /// `Name`: the targets of the input's relation attribute `Name`.
    Relation(String),
    /// `T*`, `T+`, `T{*}`, `T{+}`: `T` applied repeatedly.
    Repeated(Box<Traversal>, Repeat),
    /// `A/B/…`: each applied to the output of the one before. (Lists
    /// rather than nested pairs, so that a long chain is not a deep tree.)
    Compose(Vec<Traversal>),
    /// `A&B&…`: what all output, in `A`'s order.
    Intersect(Vec<Traversal>),
    /// `A|B|…`: what any outputs, `A`'s first.
    Union(Vec<Traversal>),
}

/// A bracketed criteria expression with its options.
#[derive(Debug, Clone)]
pub struct Criteria {
    /// The expression between the brackets.
    pub expr: CriteriaExpr,
    /// `{i}` after the brackets: names and text compared ignoring case.
    pub ignore_case: bool,
}

/// A criteria expression: true or false for one object.
#[derive(Debug, Clone)]
pub enum CriteriaExpr {
    /// `a&&b&&…`.
    And(Vec<CriteriaExpr>),
    /// `a||b||…`.
    Or(Vec<CriteriaExpr>),
    /// `!a`.
    Not(Box<CriteriaExpr>),
    /// A search standing alone: true when it finds something (an object, or
    /// with `.Attr` an existing attribute).
    Exists(Box<Query>),
    /// A search compared with a literal: true when any value found matches.
    Compare(Box<Comparison>),
}

/// `search op literal`.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// What supplies the values: attributes of the objects it finds, or the
    /// objects' names when it selects no attribute.
    pub operand: Query,
    /// The operator.
    pub op: CompareOp,
    /// The literal, as written (quotes and escapes removed).
    pub literal: String,
    /// For `#`, the literal compiled (anchored at both ends).
    pub regex: Option<Regex>,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `=`.
    Eq,
    /// `~`: the value contains the literal (text only).
    Contains,
    /// `#`: the whole value matches the regular expression (text only).
    Matches,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

//! What can go wrong parsing or running a query.

use std::fmt;

/// A query that is not in the language: where, what the parser expected
/// there and what it found instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 0-based position in the query, counted in characters (not bytes), of
    /// the first character that could not be accepted.
    pub position: usize,
    /// What would have been accepted there, e.g. `']'`.
    pub expected: String,
    /// What was there instead, e.g. `end of query` or `'/'`.
    pub found: String,
}

impl ParseError {
    pub(crate) fn new(
        position: usize,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        ParseError {
            position,
            expected: expected.into(),
            found: found.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "search query: at position {}: expected {} but found {}",
            self.position, self.expected, self.found
        )
    }
}

impl std::error::Error for ParseError {}

/// A query that could not be run to the end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The search would visit more objects than its [`super::Budget`]
    /// allows.
    #[error("search query: the search visits more than {limit} objects; narrow the query or start it further down the model")]
    TooLarge {
        /// The budget's limit on visited objects.
        limit: u64,
    },
}

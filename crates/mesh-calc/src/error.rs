//! The engine's errors: parse errors with their position, evaluation
//! errors with the position of the node that failed.

use std::fmt;

use crate::lexer::Span;

/// Longest piece of source quoted in a message: input is client text.
const QUOTE_MAX_CHARS: usize = 64;

/// `text` cut to a bound and with control characters escaped, for messages.
pub(crate) fn quote(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(QUOTE_MAX_CHARS)
        .flat_map(|c| c.escape_debug())
        .collect();
    if text.chars().count() > QUOTE_MAX_CHARS {
        out.push('…');
    }
    out
}

/// An expression that is not a program of the language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: expected {expected} but found {found}")]
pub struct ParseError {
    /// Line of the offending text, from 1.
    pub line: u32,
    /// Column of the offending text, in characters from 1.
    pub column: u32,
    /// What the grammar allows there.
    pub expected: String,
    /// What the text has there.
    pub found: String,
}

/// Why an evaluation stopped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The text does not parse.
    #[error("{0}")]
    Parse(#[from] ParseError),
    /// A failure at a place in the program.
    #[error("line {}, column {}: {message}", span.line, span.column)]
    At {
        /// Where.
        span: Span,
        /// What went wrong.
        message: String,
    },
    /// A bound of [`crate::Limits`] on points was reached.
    #[error("{0}")]
    Limit(String),
    /// The evaluation ran past [`crate::Limits::max_duration`].
    #[error("{0}")]
    Deadline(String),
    /// A function the language has but this engine does not serve (yet),
    /// at a place in the program.
    #[error("line {}, column {}: {message}", span.line, span.column)]
    Unimplemented {
        /// Where.
        span: Span,
        /// What is not served, and why.
        message: String,
    },
    /// The data port failed (not: found nothing).
    #[error("line {}, column {}: {error}", span.line, span.column)]
    Context {
        /// Where.
        span: Span,
        /// The port's error.
        error: ContextError,
    },
}

impl EvalError {
    /// An error at `span`.
    pub fn at(span: Span, message: impl fmt::Display) -> Self {
        EvalError::At {
            span,
            message: message.to_string(),
        }
    }
}

/// A failure of the data port ([`crate::Context`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// The request is at fault: a search that does not parse, a lookup of
    /// the wrong kind of attribute.
    #[error("{0}")]
    Invalid(String),
    /// The data could not be read (a store failure).
    #[error("{0}")]
    Failed(String),
    /// The data asked for exceeds a bound of the port (points read,
    /// nesting of calculated attributes).
    #[error("{0}")]
    Limit(String),
}

//! The Mesh calculation expression language: lexer, parser and evaluator.
//!
//! - [`lexer`]: text to tokens with positions;
//! - [`parser`] and [`ast`]: tokens to a [`ast::Program`], with bounded
//!   recursion;
//! - [`value`]: the values (number, string, series as Arrow columns,
//!   arrays);
//! - [`eval`]: runs a program over a [`Context`], the engine's only way to
//!   data;
//! - [`functions`]: the function library's entry point and dispatch.
//!
//! The crate knows nothing of gRPC: the server maps requests onto
//! [`Context`] and results back.
#![deny(missing_docs)]

pub mod ast;
pub mod context;
pub mod error;
pub mod eval;
pub mod functions;
pub mod lexer;
mod ops;
pub mod parser;
pub mod value;

pub use context::{Context, Interval, SeriesRef};
pub use error::{ContextError, EvalError, ParseError};
pub use eval::evaluate;
pub use value::{Series, Value, ValueType};

/// Bounds of one evaluation: input is client text, so parse depth, text
/// length and the points computed are all capped.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest expression text, in bytes.
    pub max_source_bytes: usize,
    /// Deepest nesting of the syntax tree (and of the parser's recursion).
    pub max_depth: u32,
    /// Points an evaluation may read and compute, all values together.
    pub max_points: usize,
}

impl Default for Limits {
    /// 1 MiB of text, depth 128, 10 million points. Depth 128 is far
    /// beyond any published expression and leaves the parser and the
    /// evaluator well inside a 2 MiB thread stack even unoptimised.
    fn default() -> Self {
        Limits {
            max_source_bytes: 1 << 20,
            max_depth: 128,
            max_points: 10_000_000,
        }
    }
}

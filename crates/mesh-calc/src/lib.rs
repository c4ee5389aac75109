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
pub mod timespec;
pub mod transform;
pub mod value;

pub use context::{
    AsOf, Context, Interval, LogLevel, ObjectInfo, RatingCurveVersion, RatingSegment, SeriesRef,
    WriteInfo, XyCurve, XySetVersion,
};
pub use error::{ContextError, EvalError, ParseError};
pub use eval::evaluate;
pub use functions::FnError;
pub use value::{Series, Value, ValueType};

use std::time::Duration;

use chrono_tz::Tz;

/// What an evaluation needs to know of its server: the zones the
/// language's `LOCAL` and `STANDARD` name (calc notes §3.6), and the
/// clock for `NOW`-relative time specifications.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The zone `LOCAL` names: with daylight saving time.
    pub local_zone: Tz,
    /// The zone `STANDARD` names (and TRANSFORM without a zone uses): the
    /// local zone's standard offset, all year.
    pub standard_zone: Tz,
    /// Now, ms since the Unix epoch.
    pub now_ms: i64,
}

impl Settings {
    /// Settings for a server in `local_zone`, now being `now_ms`. The
    /// standard zone is the local zone's standard offset as an `Etc/GMT`
    /// zone; a zone whose standard offset is not whole hours (no `Etc`
    /// zone has it) keeps the local zone, daylight saving included.
    pub fn new(local_zone: Tz, now_ms: i64) -> Settings {
        Settings {
            local_zone,
            standard_zone: standard_of(local_zone, now_ms),
            now_ms,
        }
    }
}

fn standard_of(zone: Tz, now_ms: i64) -> Tz {
    use chrono::{TimeZone, Utc};
    use chrono_tz::OffsetComponents;
    let Some(now) = Utc.timestamp_millis_opt(now_ms).single() else {
        return zone;
    };
    let seconds = zone
        .offset_from_utc_datetime(&now.naive_utc())
        .base_utc_offset()
        .num_seconds();
    if seconds % 3600 != 0 {
        return zone;
    }
    let hours = seconds / 3600;
    // `Etc/GMT-1` is UTC+1: the signs of the Etc names are inverted.
    let name = match hours {
        0 => "Etc/UTC".to_string(),
        h if h > 0 => format!("Etc/GMT-{h}"),
        h => format!("Etc/GMT+{}", -h),
    };
    name.parse().unwrap_or(zone)
}

impl Default for Settings {
    /// A Nordic server, as the public sources assume (UTC+1 standard,
    /// Europe/Oslo local), at the Unix epoch: for tests.
    fn default() -> Self {
        Settings::new(chrono_tz::Europe::Oslo, 0)
    }
}

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
    /// How long an evaluation may run.
    pub max_duration: Duration,
}

impl Default for Limits {
    /// 1 MiB of text, depth 128, 10 million points, 30 seconds. Depth 128 is far
    /// beyond any published expression and leaves the parser and the
    /// evaluator well inside a 2 MiB thread stack even unoptimised.
    fn default() -> Self {
        Limits {
            max_source_bytes: 1 << 20,
            max_depth: 128,
            max_points: 10_000_000,
            max_duration: Duration::from_secs(30),
        }
    }
}

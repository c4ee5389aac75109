//! The engine's data port: everything an evaluation reads goes through
//! [`Context`]. The server implements it over a session's view; tests
//! implement it over fixed series.

use crate::error::ContextError;
use crate::value::Series;

/// The requested interval `[start_ms, end_ms)`, ms since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// Inclusive start.
    pub start_ms: i64,
    /// Exclusive end.
    pub end_ms: i64,
}

/// Which series a lookup asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeriesRef {
    /// `@t()`: the series of the calculation's target (calc notes §2.4:
    /// what the SDK means by it).
    Target,
    /// `@t('query')`: a search from the current object, opaque to the
    /// engine.
    Search(String),
}

/// Where an evaluation gets its data.
pub trait Context {
    /// The series `reference` names, read over `interval` (a linear series
    /// with its end point, as reads answer it), or `None` when the lookup
    /// finds nothing.
    fn series(
        &self,
        reference: &SeriesRef,
        interval: Interval,
    ) -> Result<Option<Series>, ContextError>;
}

//! The engine's data port: everything an evaluation reads goes through
//! [`Context`]. The server implements it over a session's view; tests
//! implement it over fixed data.
//!
//! Every lookup answers `Ok(None)` when it finds nothing: a lookup that
//! finds nothing is not an error in the language (the defaults of calc
//! notes §2.4 apply); `Err` is for a failure of the port itself (a query
//! that does not parse, a store that cannot be read).

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

impl Interval {
    /// The interval `[start_ms, end_ms)`.
    pub fn new(start_ms: i64, end_ms: i64) -> Interval {
        Interval { start_ms, end_ms }
    }

    /// The smallest interval holding both.
    pub fn union(self, other: Interval) -> Interval {
        Interval {
            start_ms: self.start_ms.min(other.start_ms),
            end_ms: self.end_ms.max(other.end_ms),
        }
    }
}

/// Which series a lookup asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeriesRef {
    /// `@t()` / `@T()`: the series of the calculation's target (calc notes
    /// §2.4: what the SDK means by it).
    Target,
    /// `@t('query')` / `@T('query')`: a search from the current object,
    /// opaque to the engine.
    Search(String),
    /// `%'/catalog/path/name'` or `%Name`: a series resource by its path
    /// (virtual series may name physical or virtual resources).
    Resource(String),
}

/// One segment of a rating curve version: for water levels below
/// `x_range_until` (and at or above the previous segment's bound),
/// `Q = factor_a * (h + factor_b) ^ factor_c`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatingSegment {
    /// Upper bound (exclusive) of the levels this segment covers.
    pub x_range_until: f64,
    /// Factor `a`.
    pub factor_a: f64,
    /// Offset `b`.
    pub factor_b: f64,
    /// Exponent `c`.
    pub factor_c: f64,
}

/// One version of a rating curve, in force from `valid_from_ms` until the
/// next version's start.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingCurveVersion {
    /// Start of its validity, ms since the Unix epoch.
    pub valid_from_ms: i64,
    /// Lowest level the curve covers (inclusive).
    pub x_range_from: f64,
    /// Segments, sorted by `x_range_until`.
    pub segments: Vec<RatingSegment>,
}

/// One curve of an XY set: `y = f(x)` through the points, sorted by x.
#[derive(Debug, Clone, PartialEq)]
pub struct XyCurve {
    /// The curve's reference value (Z), for sets of several curves.
    pub reference_value: f64,
    /// X values, strictly increasing.
    pub xs: Vec<f64>,
    /// Y values, as many as `xs`.
    pub ys: Vec<f64>,
}

/// One version of an XY set: its curves, in force from `valid_from_ms`
/// (`None` for an unversioned set, in force always).
#[derive(Debug, Clone, PartialEq)]
pub struct XySetVersion {
    /// Start of its validity, ms since the Unix epoch.
    pub valid_from_ms: Option<i64>,
    /// Curves, sorted by reference value.
    pub curves: Vec<XyCurve>,
}

/// Which committed writes an as-of read leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// Those committed after this time (ms since the Unix epoch).
    After(i64),
    /// Those of commit `seq` and later: the state just before it.
    Before(u64),
}

/// One committed write of a stored series, as the history functions see
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteInfo {
    /// The commit's number; commits of one millisecond differ in it.
    pub seq: u64,
    /// The commit time, ms since the Unix epoch.
    pub commit_ms: i64,
    /// The interval it replaced, `[start_ms, end_ms)`.
    pub start_ms: i64,
    /// End of the replaced interval (exclusive).
    pub end_ms: i64,
}

/// What `@MeshID` and messages may tell of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Its name.
    pub name: String,
    /// The name of its object definition (its type).
    pub type_name: String,
    /// Its id, as hyphenated lowercase hex.
    pub id: String,
    /// Its full path.
    pub path: String,
}

/// Severity of a line an expression logs (`@PDLOG`, `@Trace`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Information.
    Info,
    /// A warning.
    Warning,
    /// An error.
    Error,
}

/// Where an evaluation gets its data. Only [`Context::series`] is
/// required; the other lookups default to finding nothing, so a test
/// context implements what it uses.
pub trait Context {
    /// The series `reference` names, read over `interval` (a linear series
    /// with its end point, as reads answer it), or `None` when the lookup
    /// finds nothing. A search finding several series answers the first.
    fn series(
        &self,
        reference: &SeriesRef,
        interval: Interval,
    ) -> Result<Option<Series>, ContextError>;

    /// Every series `reference` names (`@T`), read over `interval`;
    /// `None` when the lookup finds nothing.
    fn series_array(
        &self,
        reference: &SeriesRef,
        interval: Interval,
    ) -> Result<Option<Vec<Series>>, ContextError> {
        Ok(self.series(reference, interval)?.map(|s| vec![s]))
    }

    /// The numbers the attributes `query` finds hold (`@d` takes the first,
    /// `@D` all): numeric values, integers as doubles, booleans as 1/0.
    fn numbers(&self, query: &str) -> Result<Option<Vec<f64>>, ContextError> {
        let _ = query;
        Ok(None)
    }

    /// The texts the attributes `query` finds hold (`@s`, `@S`).
    fn strings(&self, query: &str) -> Result<Option<Vec<String>>, ContextError> {
        let _ = query;
        Ok(None)
    }

    /// The rating curve versions in force during `interval` of the rating
    /// curve attribute `query` finds, or of the current object's first
    /// rating curve attribute when `query` is `None`.
    fn rating_curve(
        &self,
        query: Option<&str>,
        interval: Interval,
    ) -> Result<Option<Vec<RatingCurveVersion>>, ContextError> {
        let _ = (query, interval);
        Ok(None)
    }

    /// The XY set versions in force during `interval` of the XY set
    /// attribute `query` finds.
    fn xy_sets(
        &self,
        query: &str,
        interval: Interval,
    ) -> Result<Option<Vec<XySetVersion>>, ContextError> {
        let _ = (query, interval);
        Ok(None)
    }

    /// The committed writes of the stored series `reference` names that
    /// meet `interval`, oldest first; `None` when it names no stored
    /// series. History is of committed data: pending writes have no commit
    /// time.
    fn writes(
        &self,
        reference: &SeriesRef,
        interval: Interval,
    ) -> Result<Option<Vec<WriteInfo>>, ContextError> {
        let _ = (reference, interval);
        Ok(None)
    }

    /// The stored series `reference` names over `interval` (read as
    /// [`Context::series`] reads it) with the writes `at` names undone.
    fn series_as_of(
        &self,
        reference: &SeriesRef,
        interval: Interval,
        at: AsOf,
    ) -> Result<Option<Series>, ContextError> {
        let _ = (reference, interval, at);
        Ok(None)
    }

    /// The object `query` finds, or the current object when `None`.
    fn object(&self, query: Option<&str>) -> Result<Option<ObjectInfo>, ContextError> {
        let _ = query;
        Ok(None)
    }

    /// A line the expression logs; the default drops it.
    fn log(&self, level: LogLevel, message: &str) {
        let _ = (level, message);
    }
}

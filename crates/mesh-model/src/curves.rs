//! Values that change over time in steps (versions valid from a time on),
//! XY sets and rating curves: their shapes, the rules for new ones, and how
//! an update replaces the versions that start inside an interval.

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// A half-open interval of time `[start, end)`, in ticks of 100 ns since
/// 1970, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// First tick inside.
    pub start: i64,
    /// First tick after.
    pub end: i64,
}

impl Interval {
    /// Every time ticks can hold (the last tick excepted): an update over
    /// it replaces all versions.
    pub const ALL: Interval = Interval {
        start: i64::MIN,
        end: i64::MAX,
    };

    /// An interval from `start` to `end`, refused when it ends before it
    /// starts.
    pub fn new(start: i64, end: i64) -> Result<Interval> {
        if start > end {
            return Err(ModelError::Invalid(format!(
                "UtcInterval [{}, {}) is invalid, start_time > end_time",
                show_time(start),
                show_time(end)
            )));
        }
        Ok(Interval { start, end })
    }

    /// Whether `time` lies inside.
    pub fn contains(&self, time: i64) -> bool {
        self.start <= time && time < self.end
    }
}

impl std::fmt::Display for Interval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}, {})", show_time(self.start), show_time(self.end))
    }
}

/// A time for messages: RFC 3339 when it fits a calendar, ticks otherwise.
pub fn show_time(ticks: i64) -> String {
    crate::value::rfc3339(ticks).unwrap_or_else(|| format!("{ticks} ticks"))
}

/// One curve of an XY set: pairs of x and y for one reference (z) value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XyCurve {
    /// The reference value, unique in its set.
    pub reference: f64,
    /// The x values, ascending.
    pub x: Vec<f64>,
    /// The y values, one per x value.
    pub y: Vec<f64>,
}

/// An XY set: curves sorted by reference value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XySet {
    /// When the set starts to hold (versioned attributes); `None` for the
    /// one set of an unversioned attribute.
    pub valid_from: Option<i64>,
    /// Its curves, sorted by reference value.
    pub curves: Vec<XyCurve>,
}

/// One piece of a rating curve: below `x_until` (and from the previous
/// piece's bound), f(x) = a·(x + b)^c.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RatingSegment {
    /// Where the segment ends (exclusive).
    pub x_until: f64,
    /// Factor a.
    pub a: f64,
    /// Factor b.
    pub b: f64,
    /// Factor c.
    pub c: f64,
}

/// A rating curve valid from a time on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingCurveVersion {
    /// When the version starts.
    pub valid_from: i64,
    /// Where its first segment starts.
    pub x_from: f64,
    /// Its segments, sorted by `x_until`.
    pub segments: Vec<RatingSegment>,
}

/// Something valid from a time on.
pub trait Versioned {
    /// When it starts to hold.
    fn start(&self) -> i64;
}

impl Versioned for RatingCurveVersion {
    fn start(&self) -> i64 {
        self.valid_from
    }
}

impl Versioned for XySet {
    fn start(&self) -> i64 {
        self.valid_from.unwrap_or(i64::MIN)
    }
}

impl Versioned for crate::objects::LinkVersion {
    fn start(&self) -> i64 {
        self.valid_from
    }
}

/// Replaces the versions of `old` that start inside `interval` by `new`
/// (whose starts the caller has checked to lie inside it), keeping the
/// result sorted by start.
pub fn replace_in<T: Versioned + Clone>(old: &[T], interval: Interval, new: Vec<T>) -> Vec<T> {
    let mut merged: Vec<T> = old
        .iter()
        .filter(|v| !interval.contains(v.start()))
        .cloned()
        .chain(new)
        .collect();
    merged.sort_by_key(Versioned::start);
    merged
}

/// The versions that hold at some time inside `interval`: those starting
/// inside it, and the one in force when it begins.
pub fn in_force<T: Versioned + Clone>(versions: &[T], interval: Interval) -> Vec<T> {
    let first_inside = versions.partition_point(|v| v.start() < interval.start);
    let from = match versions.get(first_inside) {
        Some(v) if v.start() == interval.start => first_inside,
        _ => first_inside.saturating_sub(1),
    };
    versions[from..]
        .iter()
        .take_while(|v| v.start() < interval.end || v.start() == interval.start)
        .cloned()
        .collect()
}

/// Checks new versions' starts: each inside `interval` and no two alike.
/// `what` names them in messages ("rating curve versions"), and
/// `duplicates` begins the message about two alike (clients match the
/// wording each kind of attribute has always had).
pub fn check_starts<T: Versioned>(
    versions: &[T],
    interval: Interval,
    what: &str,
    duplicates: &str,
) -> Result<()> {
    let mut starts: Vec<i64> = versions.iter().map(Versioned::start).collect();
    if let Some(outside) = starts.iter().find(|s| !interval.contains(**s)) {
        return Err(ModelError::Invalid(format!(
            "new {what} must be within the replacement interval {interval}; one is valid from {}",
            show_time(*outside)
        )));
    }
    starts.sort_unstable();
    if let Some(pair) = starts.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(ModelError::Invalid(format!(
            "{duplicates} in new {what}: two are valid from {}",
            show_time(pair[0])
        )));
    }
    Ok(())
}

/// Checks an XY set's curves and sorts them by reference value: reference
/// values and x values are numbers (not NaN), unique references, x values
/// ascending, as many y values as x values. `set` names the set in
/// messages.
pub fn check_xy_set(set: &mut XySet, name: &str) -> Result<()> {
    let label = match set.valid_from {
        Some(time) => format!("XY set valid from {} of attribute {name}", show_time(time)),
        None => format!("XY set of attribute {name}"),
    };
    for curve in &set.curves {
        let at = format!("curve with reference value {} in {label}", curve.reference);
        if !curve.reference.is_finite() {
            return Err(ModelError::Invalid(format!(
                "a curve in {label} has reference value {}; values must be finite numbers",
                curve.reference
            )));
        }
        if curve.x.len() != curve.y.len() {
            return Err(ModelError::Invalid(format!(
                "{at} has {} x values and {} y values; they come in pairs",
                curve.x.len(),
                curve.y.len()
            )));
        }
        if let Some(bad) = curve.x.iter().chain(&curve.y).find(|v| !v.is_finite()) {
            return Err(ModelError::Invalid(format!(
                "{at} holds {bad}; values must be finite numbers"
            )));
        }
        if let Some(pair) = curve.x.windows(2).find(|pair| pair[0] >= pair[1]) {
            return Err(ModelError::Invalid(format!(
                "{at} has unsorted x values: {} is followed by {}; x values must be ascending",
                pair[0], pair[1]
            )));
        }
    }
    set.curves
        .sort_by(|a, b| a.reference.total_cmp(&b.reference));
    if let Some(pair) = set
        .curves
        .windows(2)
        .find(|pair| pair[0].reference == pair[1].reference)
    {
        return Err(ModelError::Invalid(format!(
            "duplicate reference value {} in {label}",
            pair[0].reference
        )));
    }
    Ok(())
}

/// Checks a new rating curve version and sorts its segments: at least one
/// segment, finite numbers everywhere, unique thresholds, and the range start
/// below the first threshold.
pub fn check_rating_curve(version: &mut RatingCurveVersion) -> Result<()> {
    let when = show_time(version.valid_from);
    if version.segments.is_empty() {
        return Err(ModelError::Invalid(format!(
            "each new rating curve version must have at least one segment; the one valid from {when} has none"
        )));
    }
    let numbers = std::iter::once(version.x_from).chain(
        version
            .segments
            .iter()
            .flat_map(|s| [s.x_until, s.a, s.b, s.c]),
    );
    if let Some(bad) = numbers.into_iter().find(|v| !v.is_finite()) {
        return Err(ModelError::Invalid(format!(
            "rating curve version valid from {when} holds {bad}; values must be finite numbers"
        )));
    }
    version
        .segments
        .sort_by(|a, b| a.x_until.total_cmp(&b.x_until));
    if let Some(pair) = version
        .segments
        .windows(2)
        .find(|pair| pair[0].x_until == pair[1].x_until)
    {
        return Err(ModelError::Invalid(format!(
            "duplicate x_range_until thresholds in segments of a new rating curve version (valid from {when}): {}",
            pair[0].x_until
        )));
    }
    let first = version.segments[0].x_until;
    if version.x_from >= first {
        return Err(ModelError::Invalid(format!(
            "x_range_from {} of rating curve version valid from {when} is not lesser than the x_range_until {first} of its first segment",
            version.x_from
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(start: i64) -> RatingCurveVersion {
        RatingCurveVersion {
            valid_from: start,
            x_from: 0.0,
            segments: vec![RatingSegment {
                x_until: 1.0,
                a: 1.0,
                b: 0.0,
                c: 1.0,
            }],
        }
    }

    fn starts(versions: &[RatingCurveVersion]) -> Vec<i64> {
        versions.iter().map(|v| v.valid_from).collect()
    }

    #[test]
    fn in_force_includes_the_version_holding_at_the_start() {
        let versions = vec![version(10), version(20), version(30)];
        let at = |s, e| starts(&in_force(&versions, Interval { start: s, end: e }));
        assert_eq!(at(0, 5), Vec::<i64>::new());
        assert_eq!(at(10, 20), vec![10]);
        assert_eq!(at(15, 21), vec![10, 20]);
        assert_eq!(at(20, 20), vec![20]);
        assert_eq!(at(35, 40), vec![30]);
        assert_eq!(at(i64::MIN, i64::MAX), vec![10, 20, 30]);
    }

    #[test]
    fn replace_in_drops_versions_starting_inside_only() {
        let versions = vec![version(10), version(20), version(30)];
        let replaced = replace_in(
            &versions,
            Interval { start: 15, end: 30 },
            vec![version(16)],
        );
        assert_eq!(starts(&replaced), vec![10, 16, 30]);
    }

    #[test]
    fn rating_curves_are_checked_and_sorted() {
        let mut v = version(0);
        v.segments.push(RatingSegment {
            x_until: 0.5,
            a: 1.0,
            b: 0.0,
            c: 1.0,
        });
        v.x_from = 0.7;
        let error = check_rating_curve(&mut v).unwrap_err().to_string();
        assert!(error.contains("is not lesser than"), "{error}");
        v.x_from = 0.1;
        check_rating_curve(&mut v).unwrap();
        assert_eq!(v.segments[0].x_until, 0.5);
    }
}

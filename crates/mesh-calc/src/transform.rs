//! Changing a series' resolution (calc notes §4.1): the kernel under
//! `@TRANSFORM` and the server's `ReadTransformedTimeseries`.
//!
//! Three directions, chosen by comparing the target resolution with the
//! source's (breakpoint counts as the finest):
//!
//! - **to `VARINT`** (breakpoint): the points stay as they are, NaN steps
//!   included, and only the resolution changes;
//! - **to a coarser or the same resolution**: one point per target step
//!   that overlaps the period, aggregating the source over the step by the
//!   [`Method`]; the result is a staircase;
//! - **to a finer resolution**: one point per target step, the source's
//!   functional value at the step's start (split by the step lengths for
//!   `SUM`); a linear source stays linear and answers the step at the end.
//!
//! Calendar steps (`DAY` and coarser) follow the zone given; finer steps
//! are the same in every whole-hour zone.

use arrow_array::{Float64Array, Int64Array};
use chrono_tz::Tz;
use mesh_timeseries::flags::{MISSING, SUSPECT};
use mesh_timeseries::{CurveType, Grid, Resolution};

use crate::context::Interval;
use crate::ops;
use crate::value::Series;

/// How a transform combines or splits values (calc notes §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The plain sum of the points in the step (to finer: the parts sum to
    /// the value).
    Sum,
    /// The integral over the step, in value·seconds (to finer: as SUM).
    SumI,
    /// Of a fixed series, the sum of the valid points over the number of
    /// source steps in the step; of a breakpoint series, the mean of its
    /// points (to finer: each part keeps the value).
    Avg,
    /// The time-weighted mean over the covered part of the step.
    AvgI,
    /// The first valid value in the step.
    First,
    /// The last valid value in the step.
    Last,
    /// The least valid value.
    Min,
    /// The greatest valid value.
    Max,
}

impl Method {
    /// The method a symbol names, in any case, with the documented
    /// synonyms (`SUMV`, `MEAN`, `AVGV`, `AVERAGE`); `None` for anything
    /// else (`DEFAULT` is [`implicit_method`], not a method of its own).
    pub fn parse(symbol: &str) -> Option<Method> {
        Some(match symbol.to_ascii_uppercase().as_str() {
            "SUM" | "SUMV" => Method::Sum,
            "SUMI" => Method::SumI,
            "AVG" | "AVGV" | "MEAN" | "AVERAGE" => Method::Avg,
            "AVGI" => Method::AvgI,
            "FIRST" => Method::First,
            "LAST" => Method::Last,
            "MIN" => Method::Min,
            "MAX" => Method::Max,
            _ => return None,
        })
    }

    /// The method's symbol, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Method::Sum => "SUM",
            Method::SumI => "SUMI",
            Method::Avg => "AVG",
            Method::AvgI => "AVGI",
            Method::First => "FIRST",
            Method::Last => "LAST",
            Method::Min => "MIN",
            Method::Max => "MAX",
        }
    }
}

/// The `DEFAULT` (`IMPLICIT`) method for `series` going to `to`: the
/// documented rules by curve type (fn/transform_terms) without the unit
/// rules, since the engine does not see units (docs/decisions.md): a linear
/// series takes FIRST; otherwise a breakpoint series is averaged over time
/// (AVGI) and a fixed one summed (SUM), to coarser and to finer alike.
pub fn implicit_method(series: &Series, _to: Resolution) -> Method {
    if series.is_linear() {
        Method::First
    } else if series.resolution().is_breakpoint() {
        Method::AvgI
    } else {
        Method::Sum
    }
}

/// Why a transform was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformError {
    /// The result would exceed the point budget.
    #[error("{0}")]
    Limit(String),
    /// The period or the target cannot be transformed to.
    #[error("{0}")]
    Invalid(String),
}

/// The period a transform of `series` to `to` must read so that every
/// target step overlapping `interval` is complete: to coarser, the whole
/// first and last target steps; to finer, the whole first source step.
/// Equal to `interval` when it already is.
pub fn read_period(series: &Series, interval: Interval, to: Resolution, zone: Tz) -> Interval {
    let source = series.resolution();
    let grid = if to >= source {
        Grid::with_zone(to, zone)
    } else {
        Grid::with_zone(source, zone)
    };
    let start_ms = grid.floor(interval.start_ms).unwrap_or(interval.start_ms);
    let end_ms = if to >= source {
        grid.ceil(interval.end_ms).unwrap_or(interval.end_ms)
    } else {
        interval.end_ms
    };
    Interval {
        start_ms: start_ms.min(interval.start_ms),
        end_ms: end_ms.max(interval.end_ms),
    }
}

/// `series` at resolution `to` over `interval`, by `method`, calendar steps
/// in `zone`. Refuses a result of more than `max_points` points before
/// allocating it.
pub fn transform(
    series: &Series,
    interval: Interval,
    to: Resolution,
    method: Method,
    zone: Tz,
    max_points: usize,
) -> Result<Series, TransformError> {
    if interval.start_ms >= interval.end_ms {
        return Err(TransformError::Invalid(format!(
            "the period [{}, {}) is empty",
            interval.start_ms, interval.end_ms
        )));
    }
    if to.is_breakpoint() {
        return Ok(series.with_resolution(Resolution::Breakpoint));
    }
    let grid = Grid::with_zone(to, zone);
    let mut starts = steps_overlapping(&grid, interval, max_points)?;
    if to < series.resolution() {
        Ok(finer(series, &grid, starts, interval, method, zone))
    } else {
        // The end of the last step closes the walk.
        let last_end = starts
            .last()
            .and_then(|&t| grid.next_after(t))
            .unwrap_or(interval.end_ms);
        let (values, flags) = coarser(series, &starts, last_end, method, zone);
        starts.shrink_to_fit();
        Ok(Series::from_parts(
            starts.into(),
            values.into(),
            flags.into(),
            to,
            CurveType::StaircaseStartOfStep,
        ))
    }
}

/// `series` aggregated by `method` over the periods that start at
/// `starts` (increasing), the last one ending at `end_ms`: the result is a
/// breakpoint series with a point at each start (TRANSFORM R2 and R3).
pub fn aggregate(
    series: &Series,
    starts: Vec<i64>,
    end_ms: i64,
    method: Method,
    zone: Tz,
) -> Series {
    let (values, flags) = coarser(series, &starts, end_ms, method, zone);
    Series::from_parts(
        starts.into(),
        values.into(),
        flags.into(),
        Resolution::Breakpoint,
        CurveType::StaircaseStartOfStep,
    )
}

/// The steps of `grid` that overlap `interval`, the first at or before
/// its start: what a result at that resolution is made of (TRANSFORM, TS,
/// TIME_MASK). More than `max_points` of them are refused, counted by the
/// grid's cheap bound before any is made.
pub fn steps_overlapping(
    grid: &Grid,
    interval: Interval,
    max_points: usize,
) -> Result<Vec<i64>, TransformError> {
    let first = grid.floor(interval.start_ms).unwrap_or(interval.start_ms);
    let bound = grid
        .step_count_bound(first, interval.end_ms)
        .saturating_add(1);
    if bound > max_points as u64 {
        return Err(TransformError::Limit(format!(
            "{grid} over this period makes up to {bound} points, more than the {max_points} the evaluation may still make"
        )));
    }
    Ok(grid.steps(first, interval.end_ms).collect())
}

/// To a finer resolution: the functional value at each step start; a
/// linear source also answers the step at or after the period's end
/// (calc notes §3.2), as its reads do.
fn finer(
    series: &Series,
    grid: &Grid,
    mut starts: Vec<i64>,
    interval: Interval,
    method: Method,
    zone: Tz,
) -> Series {
    if series.is_linear() {
        if let Some(end) = grid.ceil(interval.end_ms) {
            starts.push(end);
        }
    }
    let axis: Int64Array = starts.into();
    let column = ops::read_at(series, &axis);
    // To a finer resolution a method is SUM if its name has SUM in it,
    // else AVG (fn/transform): SUM splits, AVG keeps the value.
    let values = if method == Method::Sum || method == Method::SumI {
        let source = Grid::with_zone(series.resolution(), zone);
        let ts = axis.values();
        ts.iter()
            .zip(column.values.values().iter())
            .map(|(&t, &v)| Some(v * step_ms(grid, t) as f64 / step_ms(&source, t) as f64))
            .collect::<Float64Array>()
    } else {
        column.values
    };
    Series::from_parts(
        axis,
        values,
        column.flags,
        grid.resolution(),
        series.curve(),
    )
}

/// The length of the step of `grid` that holds `t` (one hour if the grid
/// cannot tell, which only a breakpoint grid cannot).
fn step_ms(grid: &Grid, t: i64) -> i64 {
    const FALLBACK: i64 = 3_600_000;
    match (grid.floor(t), grid.next_after(t)) {
        (Some(a), Some(b)) if b > a => i64::try_from(b.abs_diff(a)).unwrap_or(i64::MAX),
        _ => FALLBACK,
    }
}

/// To a coarser (or the same) resolution: each step `[starts[k],
/// starts[k+1])` (the last closed by `last_end`) aggregated by `method`.
/// Flags: no valid value in a step gives NaN MISSING; a step where some of
/// the points are NaN, or which the source covers only in part (the
/// integral methods), is SUSPECT (calc notes §3.4: a missing component).
fn coarser(
    series: &Series,
    starts: &[i64],
    last_end: i64,
    method: Method,
    zone: Tz,
) -> (Vec<f64>, Vec<u32>) {
    let ts = series.timestamps().values();
    let vs = series.values().values();
    let mut values = Vec::with_capacity(starts.len());
    let mut flags = Vec::with_capacity(starts.len());
    let source_grid = Grid::with_zone(series.resolution(), zone);
    let mut i = ts.partition_point(|&t| t < starts.first().copied().unwrap_or(last_end));
    for (k, &a) in starts.iter().enumerate() {
        let b = starts.get(k + 1).copied().unwrap_or(last_end);
        let j = ops::first_not_before(ts, i, b);
        let (value, flag) = match method {
            Method::SumI | Method::AvgI => integral(series, &source_grid, i, j, a, b, method),
            // A fixed series' AVG divides by the source steps in the step,
            // valid or not (fn/transform: 24 for hours to a day).
            Method::Avg if !series.resolution().is_breakpoint() => {
                let (sum, flag) = points(&vs[i..j], Method::Sum, series, a, b);
                (sum / source_steps(&source_grid, a, b) as f64, flag)
            }
            _ => points(&vs[i..j], method, series, a, b),
        };
        values.push(value);
        flags.push(flag);
        i = j;
    }
    (values, flags)
}

/// The steps of a fixed `grid` in `[a, b)`: exact (sub-daily steps by
/// arithmetic, calendar ones counted, at most a few hundred per step).
fn source_steps(grid: &Grid, a: i64, b: i64) -> u64 {
    let steps = if grid.resolution().is_calendar() {
        grid.steps(a, b).count() as u64
    } else {
        grid.step_count_bound(a, b)
    };
    steps.max(1)
}

/// The point methods over the values of one step.
fn points(step: &[f64], method: Method, series: &Series, a: i64, b: i64) -> (f64, u32) {
    let breakpoint = series.resolution().is_breakpoint();
    // A breakpoint series has a value at any instant: its FIRST and LAST
    // are the functional values at the step's ends (calc notes §4.1).
    if breakpoint && matches!(method, Method::First | Method::Last) {
        let at = if method == Method::First {
            a
        } else if series.is_linear() {
            b
        } else {
            b - 1
        };
        let column = ops::read_at(series, &Int64Array::from(vec![at]));
        let v = column.values.value(0);
        return if v.is_nan() {
            (f64::NAN, MISSING)
        } else {
            (v, 0)
        };
    }
    let mut valid = 0usize;
    let mut acc = match method {
        Method::Min => f64::INFINITY,
        Method::Max => f64::NEG_INFINITY,
        _ => 0.0,
    };
    let mut first = f64::NAN;
    let mut last = f64::NAN;
    for &v in step {
        if v.is_nan() {
            continue;
        }
        if valid == 0 {
            first = v;
        }
        last = v;
        valid += 1;
        match method {
            Method::Min => acc = acc.min(v),
            Method::Max => acc = acc.max(v),
            _ => acc += v,
        }
    }
    if valid == 0 {
        return (f64::NAN, MISSING);
    }
    let value = match method {
        Method::Avg => acc / valid as f64,
        Method::First => first,
        Method::Last => last,
        _ => acc,
    };
    let flag = if valid < step.len() { SUSPECT } else { 0 };
    (value, flag)
}

/// SUMI / AVGI over `[a, b)`: the integral of the functional value over
/// the parts of the step where it is valid. A fixed staircase point covers
/// its own source step, a breakpoint staircase point holds until the next
/// point; a linear curve is integrated segment by segment between valid
/// points (interpolated at the step's ends).
fn integral(
    series: &Series,
    source_grid: &Grid,
    i: usize,
    j: usize,
    a: i64,
    b: i64,
    method: Method,
) -> (f64, u32) {
    let ts = series.timestamps().values();
    let vs = series.values().values();
    let mut area = 0.0f64; // value·ms
    let mut covered = 0u64; // ms
    if series.is_linear() {
        // Knots: the step's ends and the points inside, each read by the
        // functional value, then trapezoids between valid neighbours.
        let mut knots: Vec<i64> = Vec::with_capacity(j - i + 2);
        knots.push(a);
        knots.extend(ts[i..j].iter().copied().filter(|&t| t > a));
        knots.push(b);
        let column = ops::read_at(series, &Int64Array::from(knots.clone()));
        let at = column.values.values();
        for w in 0..knots.len() - 1 {
            let (x0, x1) = (knots[w], knots[w + 1]);
            let (y0, y1) = (at[w], at[w + 1]);
            if y0.is_nan() || y1.is_nan() || x1 <= x0 {
                continue;
            }
            let width = x1.abs_diff(x0);
            area += (y0 + y1) / 2.0 * width as f64;
            covered = covered.saturating_add(width);
        }
    } else {
        let breakpoint = series.resolution().is_breakpoint();
        // The point before the step may still hold at its start.
        let from = if i > 0 && (i == ts.len() || ts[i] > a) {
            i - 1
        } else {
            i
        };
        for k in from..j {
            let v = vs[k];
            let own_end = if breakpoint {
                i64::MAX
            } else {
                source_grid.next_after(ts[k]).unwrap_or(i64::MAX)
            };
            let next = ts.get(k + 1).copied().unwrap_or(i64::MAX);
            let x0 = ts[k].max(a);
            let x1 = own_end.min(next).min(b);
            if v.is_nan() || x1 <= x0 {
                continue;
            }
            area += v * x1.abs_diff(x0) as f64;
            covered = covered.saturating_add(x1.abs_diff(x0));
        }
    }
    if covered == 0 {
        return (f64::NAN, MISSING);
    }
    let flag = if covered < b.abs_diff(a) { SUSPECT } else { 0 };
    match method {
        Method::SumI => (area / 1000.0, flag),
        _ => (area / covered as f64, flag),
    }
}

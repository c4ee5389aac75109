//! Shifts in time and windows over it: DELTA, ACCUMULATE, the gliding
//! average and median. Each declares the data it needs outside the
//! period (calc notes §3.3); its arguments are read over that wider period
//! and the result is cut back to the period.

use arrow_array::Int64Array;
use chrono_tz::Tz;
use mesh_timeseries::flags::{MISSING, SUSPECT};
use mesh_timeseries::Grid;

use super::time::spec;
use super::{Call, FnError, Function, Signature};
use crate::ast::BinaryOp;
use crate::context::Interval;
use crate::ops::{self, Column};
use crate::timespec::{self, TimeSpec, Unit};
use crate::value::{Series, Value, ValueType as V};

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] =
    &[&DELTA, &ACCUMULATE, &TS_GLIDING_AVERAGE, &TS_GLIDING_MEDIAN];

const fn series(params: &'static [V]) -> Signature {
    Signature {
        params,
        returns: V::Series,
    }
}

/// The points of `series` inside `interval` (a linear series keeps a
/// point at the end, as its reads answer it).
pub(crate) fn cut(series: &Series, interval: Interval) -> Series {
    let ts = series.timestamps().values();
    let from = ts.partition_point(|&t| t < interval.start_ms);
    let to = if series.is_linear() {
        ts.partition_point(|&t| t <= interval.end_ms)
    } else {
        ts.partition_point(|&t| t < interval.end_ms)
    };
    let len = to.saturating_sub(from);
    if from == 0 && len == ts.len() {
        return series.clone();
    }
    Series::from_parts(
        series.timestamps().slice(from, len),
        series.values().slice(from, len),
        series.flags().slice(from, len),
        series.resolution(),
        series.curve(),
    )
}

/// The step of `series` before (`-1`) or after (`+1`) each instant `t`.
fn step_of(grid: &Grid, t: i64, direction: i64) -> Option<i64> {
    if direction < 0 {
        grid.floor(t.checked_sub(1)?)
    } else {
        grid.next_after(t)
    }
}

// --- DELTA ------------------------------------------------------------------------

/// `@DELTA(t)`: `y(t) − y(t−1)`; `@DELTA(t, d)` with `d ≠ 0`:
/// `y(t+1) − y(t)`; `@DELTA(t, s)` with a relative time such as `'+2h'`
/// or `'-2h'`: `y(t+2h) − y(t)` or `y(t) − y(t−2h)`, by the functional
/// value. For a fixed series a NaN value counts as 0 (fn/delta example 1,
/// the `−` status rule: SUSPECT), both NaN give NaN; for a breakpoint
/// series a step is between neighbouring points, and a missing neighbour or
/// value gives NaN (example 3).
const DELTA: Function = Function {
    name: "DELTA",
    signatures: &[
        series(&[V::Series]),
        series(&[V::Series, V::Number]),
        series(&[V::Series, V::String]),
    ],
    body: delta,
    extension: Some(delta_period),
};

/// How DELTA pairs values.
enum Pairing {
    /// One step (or point) back (-1) or ahead (+1).
    Step(i64),
    /// By a time shift.
    Shift(TimeSpec),
}

fn pairing(args: &[Value]) -> Result<Pairing, FnError> {
    Ok(match args.get(1) {
        None => Pairing::Step(-1),
        Some(Value::Number(d)) if *d == 0.0 => Pairing::Step(-1),
        Some(Value::Number(_)) => Pairing::Step(1),
        Some(Value::String(text)) => {
            let spec = spec("DELTA", text)?;
            if !spec.is_relative() || spec.offsets.is_empty() {
                return Err(FnError::Invalid(format!(
                    "@DELTA: '{text}' is not a relative time such as '+2h' or '-1d'"
                )));
            }
            Pairing::Shift(spec)
        }
        Some(_) => return Err("@DELTA: argument of no declared form".into()),
    })
}

fn delta_period(call: &Call<'_>, args: &[Value]) -> Option<Interval> {
    let Some(Value::Series(s)) = args.first() else {
        return None;
    };
    let zone = call.settings.standard_zone;
    let i = call.interval;
    match pairing(args).ok()? {
        Pairing::Step(direction) => {
            let grid = Grid::with_zone(s.resolution(), zone);
            if s.resolution().is_breakpoint() {
                return None;
            }
            Some(if direction < 0 {
                Interval::new(step_of(&grid, i.start_ms, -1)?, i.end_ms)
            } else {
                Interval::new(i.start_ms, step_of(&grid, i.end_ms, 1)?)
            })
        }
        Pairing::Shift(spec) => {
            let start = spec.shift(i.start_ms, zone)?;
            let end = spec.shift(i.end_ms, zone)?;
            Some(Interval::new(start.min(i.start_ms), end.max(i.end_ms)))
        }
    }
}

fn delta(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let Some(Value::Series(input)) = args.first() else {
        return Err("@DELTA: argument of no declared form".into());
    };
    let pairing = pairing(&args)?;
    let zone = call.settings.standard_zone;
    let here = cut(input, call.interval);
    let instants = here.timestamps();
    let now = Column {
        values: here.values().clone(),
        flags: here.flags().clone(),
    };
    let breakpoint = input.resolution().is_breakpoint();
    let column = match pairing {
        Pairing::Step(direction) if breakpoint => {
            // Neighbouring points of the whole series read.
            let all = input.values().values();
            let first = input
                .timestamps()
                .values()
                .partition_point(|&t| t < call.interval.start_ms);
            let mut values = Vec::with_capacity(here.len());
            let mut flags = Vec::with_capacity(here.len());
            for k in 0..here.len() {
                let i = first + k;
                let other = if direction < 0 {
                    i.checked_sub(1).map(|j| all[j])
                } else {
                    all.get(i + 1).copied()
                };
                let y = all[i];
                match other {
                    Some(o) if !o.is_nan() && !y.is_nan() => {
                        values.push(if direction < 0 { y - o } else { o - y });
                        flags.push(0);
                    }
                    _ => {
                        values.push(f64::NAN);
                        flags.push(MISSING);
                    }
                }
            }
            Column {
                values: values.into(),
                flags: flags.into(),
            }
        }
        // Otherwise each value pairs with the functional value one step of
        // the series' own resolution, or a time shift, away.
        pairing => {
            let grid = Grid::with_zone(input.resolution(), zone);
            let ahead = match &pairing {
                Pairing::Step(direction) => *direction > 0,
                Pairing::Shift(spec) => spec.offsets.first().is_some_and(|o| o.count > 0),
            };
            let shifted: Int64Array = instants
                .values()
                .iter()
                .map(|&t| {
                    match &pairing {
                        Pairing::Step(direction) => step_of(&grid, t, *direction),
                        Pairing::Shift(spec) => spec.shift(t, zone),
                    }
                    .unwrap_or(t)
                })
                .collect::<Vec<_>>()
                .into();
            let other = ops::read_at(input, &shifted);
            if ahead {
                ops::binary(BinaryOp::Sub, &other, &now)
            } else {
                ops::binary(BinaryOp::Sub, &now, &other)
            }
        }
    };
    Ok(Value::Series(
        here.with_columns(column.values, column.flags),
    ))
}

// --- ACCUMULATE ---------------------------------------------------------------------

/// `@ACCUMULATE(d init, s start, t[, d A[, d B]])`: from the start time
/// (macros relative to the period's start), `r = r_prev + A·x + B`, the
/// first `init + A·x + B`; before the start NaN. `@ACCUMULATE(t[, s
/// dir], s period)`: a running sum reset at every `DAY`, `WEEK`, `MONTH`,
/// `YEAR` or `HYDYEAR` (1 September; prefixes `UTC`, `LOCAL`, `STANDARD`,
/// standard time by default), `'>'` forwards from each start (the
/// default), `'<'` backwards from each end. `@ACCUMULATE(t, '>', d n)`:
/// reset every `n` points from the first point read. A NaN value adds
/// nothing and marks its point SUSPECT.
const ACCUMULATE: Function = Function {
    name: "ACCUMULATE",
    signatures: &[
        series(&[V::Number, V::String, V::Series]),
        series(&[V::Number, V::String, V::Series, V::Number]),
        series(&[V::Number, V::String, V::Series, V::Number, V::Number]),
        series(&[V::Series, V::String]),
        series(&[V::Series, V::String, V::String]),
        series(&[V::Series, V::String, V::Number]),
    ],
    body: accumulate,
    extension: Some(accumulate_period),
};

/// What resets an accumulation.
enum Reset {
    /// Once, at an instant, with an initial value and factors.
    From {
        start_ms: i64,
        init: f64,
        a: f64,
        b: f64,
    },
    /// At every start of a calendar unit, forwards or backwards.
    Calendar {
        unit: Unit,
        zone: Tz,
        backwards: bool,
    },
    /// Every n points.
    Every(usize),
}

fn calendar_unit(text: &str, call: &Call<'_>) -> Result<(Unit, Tz), FnError> {
    let upper = text.to_ascii_uppercase();
    let (zone, rest) = if let Some(r) = upper.strip_prefix("UTC") {
        (Tz::UTC, r)
    } else if let Some(r) = upper.strip_prefix("LOCAL") {
        (call.settings.local_zone, r)
    } else if let Some(r) = upper.strip_prefix("STANDARD") {
        (call.settings.standard_zone, r)
    } else {
        (call.settings.standard_zone, upper.as_str())
    };
    let unit = match rest {
        "DAY" => Unit::Day,
        "WEEK" => Unit::Week,
        "MONTH" => Unit::Month,
        "YEAR" => Unit::Year,
        "HYDYEAR" => Unit::HydYear,
        _ => {
            return Err(FnError::Invalid(format!(
                "@ACCUMULATE: unknown accumulation period '{text}'; expected DAY, WEEK, MONTH, YEAR or HYDYEAR, optionally prefixed UTC, LOCAL or STANDARD"
            )))
        }
    };
    Ok((unit, zone))
}

fn direction(text: &str) -> Result<bool, FnError> {
    match text.trim() {
        ">" => Ok(false),
        "<" => Ok(true),
        other => Err(FnError::Invalid(format!(
            "@ACCUMULATE: the direction is '>' or '<', not '{other}'"
        ))),
    }
}

fn reset(call: &Call<'_>, args: &[Value]) -> Result<(Reset, Series), FnError> {
    let number = |i: usize, default: f64| match args.get(i) {
        Some(Value::Number(x)) => *x,
        _ => default,
    };
    match args {
        [Value::Number(init), Value::String(start), Value::Series(s), ..] => {
            let start_ms = spec("ACCUMULATE", start)?
                .resolve(call.interval.start_ms, call.interval, call.settings)
                .unwrap_or(call.interval.start_ms);
            Ok((
                Reset::From {
                    start_ms,
                    init: *init,
                    a: number(3, 1.0),
                    b: number(4, 0.0),
                },
                s.clone(),
            ))
        }
        [Value::Series(s), Value::String(period)] => {
            let (unit, zone) = calendar_unit(period, call)?;
            Ok((
                Reset::Calendar {
                    unit,
                    zone,
                    backwards: false,
                },
                s.clone(),
            ))
        }
        [Value::Series(s), Value::String(dir), Value::String(period)] => {
            let (unit, zone) = calendar_unit(period, call)?;
            Ok((
                Reset::Calendar {
                    unit,
                    zone,
                    backwards: direction(dir)?,
                },
                s.clone(),
            ))
        }
        [Value::Series(s), Value::String(dir), Value::Number(n)] => {
            if direction(dir)? {
                return Err("@ACCUMULATE: a count of points accumulates forwards ('>')".into());
            }
            if !(*n >= 1.0 && *n <= 1e9) {
                return Err(FnError::Invalid(format!(
                    "@ACCUMULATE: the count of points must be at least 1, not {n}"
                )));
            }
            Ok((Reset::Every(*n as usize), s.clone()))
        }
        _ => Err("@ACCUMULATE: argument of no declared form".into()),
    }
}

/// The start of the unit after the one holding `t`.
fn next_unit(unit: Unit, t: i64, zone: Tz) -> Option<i64> {
    let start = timespec::floor(unit, t, zone)?;
    let letter = match unit {
        Unit::Year | Unit::HydYear => "+1y",
        Unit::Month => "+1m",
        Unit::Week => "+1w",
        Unit::Day => "+1d",
        Unit::Hour => "+1h",
        Unit::Min15 => "+15x",
    };
    TimeSpec::parse(letter).ok()?.shift(start, zone)
}

fn accumulate_period(call: &Call<'_>, args: &[Value]) -> Option<Interval> {
    let i = call.interval;
    match reset(call, args).ok()?.0 {
        Reset::From { start_ms, .. } => Some(Interval::new(start_ms.min(i.start_ms), i.end_ms)),
        Reset::Calendar {
            unit,
            zone,
            backwards: false,
        } => Some(Interval::new(
            timespec::floor(unit, i.start_ms, zone)?,
            i.end_ms,
        )),
        Reset::Calendar { unit, zone, .. } => Some(Interval::new(
            i.start_ms,
            next_unit(unit, i.end_ms.checked_sub(1)?, zone)?,
        )),
        Reset::Every(_) => None,
    }
}

fn accumulate(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let (reset, input) = reset(call, &args)?;
    let ts = input.timestamps().values();
    let xs = input.values().values();
    let n = ts.len();
    let mut values = vec![f64::NAN; n];
    let mut flags = vec![MISSING; n];
    match reset {
        Reset::From {
            start_ms,
            init,
            a,
            b,
        } => {
            let mut r = init;
            for i in ts.partition_point(|&t| t < start_ms)..n {
                if xs[i].is_nan() {
                    flags[i] = SUSPECT;
                } else {
                    r += a * xs[i] + b;
                    flags[i] = 0;
                }
                values[i] = r;
            }
        }
        Reset::Every(every) => {
            let mut r = 0.0;
            for i in 0..n {
                if i % every == 0 {
                    r = 0.0;
                }
                flags[i] = if xs[i].is_nan() { SUSPECT } else { 0 };
                if !xs[i].is_nan() {
                    r += xs[i];
                }
                values[i] = r;
            }
        }
        Reset::Calendar {
            unit,
            zone,
            backwards,
        } => {
            // Runs of points in the same unit, each summed in its direction.
            let mut i = 0;
            while i < n {
                let end = next_unit(unit, ts[i], zone).unwrap_or(i64::MAX);
                let j = crate::ops::first_not_before(ts, i, end);
                let run: Box<dyn Iterator<Item = usize>> = if backwards {
                    Box::new((i..j).rev())
                } else {
                    Box::new(i..j)
                };
                let mut r = 0.0;
                for k in run {
                    flags[k] = if xs[k].is_nan() { SUSPECT } else { 0 };
                    if !xs[k].is_nan() {
                        r += xs[k];
                    }
                    values[k] = r;
                }
                i = j.max(i + 1);
            }
        }
    }
    let all = input.with_columns(values.into(), flags.into());
    Ok(Value::Series(cut(&all, call.interval)))
}

// --- gliding windows ----------------------------------------------------------------

/// The most work a gliding median may do: points times window.
const MAX_WINDOW_WORK: u64 = 200_000_000;

/// `@TS_GLIDING_AVERAGE(t, d n)`: at each point, the mean of the valid
/// values of the `n` points centred on it (`n` odd, ⌊n/2⌋ each side, read
/// beyond the period for a fixed series); NaN MISSING when the window has
/// no valid value, SUSPECT when it lacks some.
const TS_GLIDING_AVERAGE: Function = Function {
    name: "TS_GLIDING_AVERAGE",
    signatures: &[series(&[V::Series, V::Number])],
    body: |call, args| gliding(call, args, false),
    extension: Some(gliding_period),
};

/// `@TS_GLIDING_MEDIAN(t, d n)`: as the average, with the median of the
/// window's valid values (the mean of the middle two for an even count).
const TS_GLIDING_MEDIAN: Function = Function {
    name: "TS_GLIDING_MEDIAN",
    signatures: &[series(&[V::Series, V::Number])],
    body: |call, args| gliding(call, args, true),
    extension: Some(gliding_period),
};

/// The most points a window may have (either side: half of it).
const MAX_WINDOW: f64 = 100_001.0;

fn window(args: &[Value]) -> Result<(&Series, usize), FnError> {
    match args {
        [Value::Series(s), Value::Number(n)] => {
            if !(*n >= 1.0 && *n <= MAX_WINDOW) || n.fract() != 0.0 || (*n as u64).is_multiple_of(2)
            {
                return Err(FnError::Invalid(format!(
                    "the window is an odd whole number of points from 1 to {MAX_WINDOW}, not {n}"
                )));
            }
            Ok((s, (*n as usize) / 2))
        }
        _ => Err("argument of no declared form".into()),
    }
}

fn gliding_period(call: &Call<'_>, args: &[Value]) -> Option<Interval> {
    let (s, half) = window(args).ok()?;
    let grid = Grid::with_zone(s.resolution(), call.settings.standard_zone);
    if s.resolution().is_breakpoint() || half == 0 {
        return None;
    }
    let (mut start, mut end) = (call.interval.start_ms, call.interval.end_ms);
    for _ in 0..half {
        start = step_of(&grid, start, -1)?;
        end = step_of(&grid, end, 1)?;
    }
    Some(Interval::new(start, end))
}

fn gliding(call: &mut Call<'_>, args: Vec<Value>, median: bool) -> Result<Value, FnError> {
    let name = if median {
        "TS_GLIDING_MEDIAN"
    } else {
        "TS_GLIDING_AVERAGE"
    };
    let (input, half) = window(&args).map_err(|e| match e {
        FnError::Invalid(m) => FnError::Invalid(format!("@{name}: {m}")),
        other => other,
    })?;
    let xs = input.values().values();
    let n = xs.len();
    let first = input
        .timestamps()
        .values()
        .partition_point(|&t| t < call.interval.start_ms);
    let here = cut(input, call.interval);
    let count = here.len();
    if median && (count as u64).saturating_mul(2 * half as u64 + 1) > MAX_WINDOW_WORK {
        return Err(FnError::Limit(format!(
            "@{name}: {count} points with a window of {} is more work than an evaluation may do",
            2 * half + 1
        )));
    }
    // Prefix sums of valid values and counts make each mean O(1).
    let mut sums = Vec::with_capacity(n + 1);
    let mut valid = Vec::with_capacity(n + 1);
    sums.push(0.0f64);
    valid.push(0usize);
    for &x in xs {
        let (s, c) = (*sums.last().unwrap_or(&0.0), *valid.last().unwrap_or(&0));
        if x.is_nan() {
            sums.push(s);
            valid.push(c);
        } else {
            sums.push(s + x);
            valid.push(c + 1);
        }
    }
    let mut values = Vec::with_capacity(count);
    let mut flags = Vec::with_capacity(count);
    let mut scratch = Vec::new();
    for k in 0..count {
        let i = first + k;
        let (lo, hi) = (i.saturating_sub(half), (i + half + 1).min(n));
        let c = valid[hi] - valid[lo];
        if c == 0 {
            values.push(f64::NAN);
            flags.push(MISSING);
            continue;
        }
        let value = if median {
            scratch.clear();
            scratch.extend(xs[lo..hi].iter().copied().filter(|x| !x.is_nan()));
            scratch.sort_by(f64::total_cmp);
            let m = scratch.len() / 2;
            if scratch.len() % 2 == 1 {
                scratch[m]
            } else {
                (scratch[m - 1] + scratch[m]) / 2.0
            }
        } else {
            (sums[hi] - sums[lo]) / c as f64
        };
        values.push(value);
        flags.push(if c < 2 * half + 1 { SUSPECT } else { 0 });
    }
    Ok(Value::Series(
        here.with_columns(values.into(), flags.into()),
    ))
}

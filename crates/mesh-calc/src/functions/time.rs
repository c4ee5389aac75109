//! Time points as numbers (`Time`, `TimeSpan`, `TimeToString`, the
//! time-point family, `IsTimeValid`) and the explicit period functions
//! (`PushExtPeriod`, `PopExtPeriod`).
//!
//! Time points are .NET ticks (fn/time); the family reads them in the
//! standard calendar (fn/time_point_information).

use arrow_array::Int64Array;
use chrono::{Datelike, TimeZone, Timelike};
use mesh_timeseries::flags::MISSING;
use mesh_timeseries::{CurveType, Grid, Resolution};

use super::{Call, FnError, Function, Signature};
use crate::context::Interval;
use crate::timespec::{ms_to_ticks, ticks_to_ms, TimeSpec};
use crate::value::{Series, Value, ValueType as V};

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[
    &TIME,
    &TIME_SPAN,
    &TIME_TO_STRING,
    &IS_TIME_VALID,
    &MINUTE,
    &HOUR,
    &DAY,
    &WEEK,
    &WEEK_DAY,
    &MONTH,
    &YEAR,
    &YEAR_DAY,
    &PUSH_EXT_PERIOD,
    &POP_EXT_PERIOD,
    &TIME_MASK,
];

const fn number(params: &'static [V]) -> Signature {
    Signature {
        params,
        returns: V::Number,
    }
}

/// A time specification argument, parsed.
pub(crate) fn spec(name: &str, text: &str) -> Result<TimeSpec, FnError> {
    TimeSpec::parse(text).map_err(|e| FnError::Invalid(format!("@{name}: {e}")))
}

/// The instant the time specification `text` names, macros relative to
/// now (as `@Time`'s without a reference): `Err` with why it does not
/// parse, `Ok(None)` when it names no instant in range.
pub(crate) fn instant(call: &Call<'_>, text: &str) -> Result<Option<i64>, String> {
    let spec = TimeSpec::parse(text).map_err(|e| e.to_string())?;
    Ok(spec.resolve(call.settings.now_ms, call.interval, call.settings))
}

fn ticks(ms: Option<i64>) -> Value {
    Value::Number(ms.and_then(ms_to_ticks).map_or(f64::NAN, |t| t as f64))
}

/// `@Time(s)`, `@Time(s, d reference)`: the time point a specification
/// names, in ticks; macros are relative to now, or to the reference.
const TIME: Function = Function {
    name: "Time",
    signatures: &[number(&[V::String]), number(&[V::String, V::Number])],
    body: time,
    extension: None,
};

fn time(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let Some(Value::String(text)) = args.first() else {
        return Err("@Time: argument of no declared form".into());
    };
    let reference = match args.get(1) {
        Some(Value::Number(d)) => match ticks_to_ms(*d) {
            Some(ms) => ms,
            None => return Ok(Value::Number(f64::NAN)),
        },
        _ => call.settings.now_ms,
    };
    let spec = spec("Time", text)?;
    Ok(ticks(spec.resolve(reference, call.interval, call.settings)))
}

/// `@TimeSpan(s)`: a unit's length in ticks (a month 30 days, a year 365).
const TIME_SPAN: Function = Function {
    name: "TimeSpan",
    signatures: &[number(&[V::String])],
    body: time_span,
    extension: None,
};

fn time_span(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let Some(Value::String(unit)) = args.first() else {
        return Err("@TimeSpan: argument of no declared form".into());
    };
    const MINUTE_MS: i64 = 60_000;
    let ms = match unit.to_ascii_uppercase().as_str() {
        "MIN" => MINUTE_MS,
        "MIN5" => 5 * MINUTE_MS,
        "MIN10" => 10 * MINUTE_MS,
        "MIN15" => 15 * MINUTE_MS,
        "MIN30" => 30 * MINUTE_MS,
        "HOUR" => 60 * MINUTE_MS,
        "DAY" => 1_440 * MINUTE_MS,
        "WEEK" => 7 * 1_440 * MINUTE_MS,
        "MONTH" => 30 * 1_440 * MINUTE_MS,
        "YEAR" => 365 * 1_440 * MINUTE_MS,
        _ => {
            return Err(FnError::Invalid(format!(
                "@TimeSpan: unknown unit '{unit}'; expected MIN, MIN5, MIN10, MIN15, MIN30, HOUR, DAY, WEEK, MONTH or YEAR"
            )))
        }
    };
    Ok(Value::Number((ms * 10_000) as f64))
}

/// `@TimeToString(d)`: `UTCYYYYMMDDhhmmss` (the empty text for no time).
const TIME_TO_STRING: Function = Function {
    name: "TimeToString",
    signatures: &[Signature {
        params: &[V::Number],
        returns: V::String,
    }],
    body: time_to_string,
    extension: None,
};

fn time_to_string(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let Some(Value::Number(d)) = args.first() else {
        return Err("@TimeToString: argument of no declared form".into());
    };
    let text = ticks_to_ms(*d)
        .and_then(|ms| chrono::Utc.timestamp_millis_opt(ms).single())
        .map_or(String::new(), |t| t.format("UTC%Y%m%d%H%M%S").to_string());
    Ok(Value::String(text))
}

/// `@IsTimeValid(d)`: 1 for a time point a calendar can show, else 0.
const IS_TIME_VALID: Function = Function {
    name: "IsTimeValid",
    signatures: &[number(&[V::Number])],
    body: |_, args| {
        let valid = match args.first() {
            Some(Value::Number(d)) => ticks_to_ms(*d)
                .and_then(|ms| chrono::Utc.timestamp_millis_opt(ms).single())
                .is_some(),
            _ => false,
        };
        Ok(Value::Number(if valid { 1.0 } else { 0.0 }))
    },
    extension: None,
};

/// One member of the time-point family: a field of the time point in the
/// standard calendar; NaN for no time.
fn part(
    call: &Call<'_>,
    args: &[Value],
    field: fn(&chrono::DateTime<chrono_tz::Tz>) -> u32,
) -> Value {
    let Some(Value::Number(d)) = args.first() else {
        return Value::Number(f64::NAN);
    };
    let zone = call.settings.standard_zone;
    Value::Number(
        ticks_to_ms(*d)
            .and_then(|ms| zone.timestamp_millis_opt(ms).single())
            .map_or(f64::NAN, |t| f64::from(field(&t))),
    )
}

macro_rules! time_part {
    ($const:ident, $name:literal, $doc:literal, $field:expr) => {
        #[doc = $doc]
        const $const: Function = Function {
            name: $name,
            signatures: &[number(&[V::Number])],
            body: |call, args| Ok(part(call, &args, $field)),
            extension: None,
        };
    };
}

time_part!(MINUTE, "Minute", "`@Minute(d)`: 0–59.", |t| t.minute());
time_part!(HOUR, "Hour", "`@Hour(d)`: 0–23.", |t| t.hour());
time_part!(DAY, "Day", "`@Day(d)`: day of the month, 1–31.", |t| t
    .day());
time_part!(
    WEEK,
    "Week",
    "`@Week(d)`: the ISO week number, 1–53 (docs/decisions.md).",
    |t| t.iso_week().week()
);
time_part!(
    WEEK_DAY,
    "WeekDay",
    "`@WeekDay(d)`: 1 for Monday to 7 for Sunday.",
    |t| t.weekday().number_from_monday()
);
time_part!(MONTH, "Month", "`@Month(d)`: 1–12.", |t| t.month());
time_part!(YEAR, "Year", "`@Year(d)`: the year.", |t| t.year().max(0)
    as u32);
time_part!(
    YEAR_DAY,
    "YearDay",
    "`@YearDay(d)`: day of the year, 1–366.",
    |t| t.ordinal()
);

/// `@PushExtPeriod(s name, s start, s end)`, `(s, d, d)`: makes a new
/// period current until `@PopExtPeriod(name)`. Macros are relative to the
/// current period: the start's to its start, the end's to its end; numbers
/// are time points. An invalid period keeps the current one (pushed under
/// the name, so the pop still matches). The value is the seconds the
/// period grew by.
const PUSH_EXT_PERIOD: Function = Function {
    name: "PushExtPeriod",
    signatures: &[
        number(&[V::String, V::String, V::String]),
        number(&[V::String, V::Number, V::Number]),
    ],
    body: push_ext_period,
    extension: None,
};

fn push_ext_period(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let current = call.interval;
    let (name, start, end) = match args.as_slice() {
        [Value::String(name), Value::String(start), Value::String(end)] => {
            let start =
                spec("PushExtPeriod", start)?.resolve(current.start_ms, current, call.settings);
            let end = spec("PushExtPeriod", end)?.resolve(current.end_ms, current, call.settings);
            (name, start, end)
        }
        [Value::String(name), Value::Number(start), Value::Number(end)] => {
            (name, ticks_to_ms(*start), ticks_to_ms(*end))
        }
        _ => return Err("@PushExtPeriod: argument of no declared form".into()),
    };
    let period = match (start, end) {
        (Some(start_ms), Some(end_ms)) if start_ms < end_ms => Interval { start_ms, end_ms },
        _ => current,
    };
    call.periods.push(name.clone(), period);
    let grown = (current.start_ms - period.start_ms) + (period.end_ms - current.end_ms);
    Ok(Value::Number(grown as f64 / 1000.0))
}

/// `@PopExtPeriod(s name)`: back to the period before the push of that
/// name. Popping a name never pushed is an error: the expression's periods
/// would silently differ from what it says.
const POP_EXT_PERIOD: Function = Function {
    name: "PopExtPeriod",
    signatures: &[number(&[V::String])],
    body: pop_ext_period,
    extension: None,
};

fn pop_ext_period(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let Some(Value::String(name)) = args.first() else {
        return Err("@PopExtPeriod: argument of no declared form".into());
    };
    if !call.periods.pop(name) {
        return Err(FnError::Invalid(format!(
            "@PopExtPeriod: no period was pushed as '{name}'"
        )));
    }
    Ok(Value::Number(0.0))
}

/// `@TIME_MASK(s frequency, S times, D values[, s resolution])`: in every
/// period of the frequency (`MIN15` … `YEAR`, standard time) overlapping
/// the period, the value `values[i]` from the instant `times[i]` names
/// relative to that period's start (`'HOUR+15x'`, `'DAY+8h'`), holding
/// until the next; as a breakpoint series (`VARINT`, the default), or read
/// at every step of the resolution given. `@TIME_MASK(S times, D values)`:
/// absolute times with their values, a breakpoint series. The holiday
/// and weekday forms are not served: they need a calendar of holidays the
/// sources do not define.
const TIME_MASK: Function = Function {
    name: "TIME_MASK",
    signatures: &[
        Signature {
            params: &[V::String, V::Strings, V::Numbers],
            returns: V::Series,
        },
        Signature {
            params: &[V::String, V::Strings, V::Numbers, V::String],
            returns: V::Series,
        },
        Signature {
            params: &[V::Strings, V::Numbers],
            returns: V::Series,
        },
    ],
    body: time_mask,
    extension: None,
};

fn time_mask(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let interval = call.interval;
    let zone = call.settings.standard_zone;
    let (frequency, times, values, resolution) = match args.as_slice() {
        [Value::String(f), Value::Strings(t), Value::Numbers(v)] => (Some(f), t, v, None),
        [Value::String(f), Value::Strings(t), Value::Numbers(v), Value::String(r)] => {
            (Some(f), t, v, Some(super::transform::resolution(r)?))
        }
        [Value::Strings(t), Value::Numbers(v)] => (None, t, v, None),
        _ => return Err("@TIME_MASK: argument of no declared form".into()),
    };
    if times.len() != values.len() {
        return Err(FnError::Invalid(format!(
            "@TIME_MASK: {} times and {} values; give one value per time",
            times.len(),
            values.len()
        )));
    }
    let specs = times
        .iter()
        .map(|t| spec("TIME_MASK", t))
        .collect::<Result<Vec<_>, _>>()?;
    let mut points: Vec<(i64, f64)> = Vec::new();
    match frequency {
        None => {
            for (spec, &v) in specs.iter().zip(values.iter()) {
                if let Some(t) = spec.resolve(interval.start_ms, interval, call.settings) {
                    points.push((t, v));
                }
            }
        }
        Some(f) => {
            let frequency = super::transform::resolution(f)?;
            if frequency.is_breakpoint() {
                return Err("@TIME_MASK: the frequency is a resolution from MIN to YEAR".into());
            }
            let grid = Grid::with_zone(frequency, zone);
            let first = grid.floor(interval.start_ms).unwrap_or(interval.start_ms);
            let periods = grid
                .step_count_bound(first, interval.end_ms)
                .saturating_add(1);
            let total = periods.saturating_mul(specs.len() as u64);
            call.allow(usize::try_from(total).unwrap_or(usize::MAX))?;
            for start in grid.steps(first, interval.end_ms) {
                let period = Interval::new(start, grid.next_after(start).unwrap_or(start));
                for (spec, &v) in specs.iter().zip(values.iter()) {
                    if let Some(t) = spec.resolve(start, period, call.settings) {
                        points.push((t, v));
                    }
                }
            }
        }
    }
    points.sort_by_key(|p| p.0);
    // A later entry for the same instant wins.
    points.reverse();
    points.dedup_by_key(|p| p.0);
    points.reverse();
    let breakpoints = Series::from_parts(
        points.iter().map(|p| p.0).collect::<Vec<_>>().into(),
        points.iter().map(|p| p.1).collect::<Vec<_>>().into(),
        points
            .iter()
            .map(|p| if p.1.is_nan() { MISSING } else { 0 })
            .collect::<Vec<_>>()
            .into(),
        Resolution::Breakpoint,
        CurveType::StaircaseStartOfStep,
    );
    let Some(resolution) = resolution.filter(|r| !r.is_breakpoint()) else {
        return Ok(Value::Series(super::shift::cut(&breakpoints, interval)));
    };
    let grid = Grid::with_zone(resolution, zone);
    let axis: Int64Array = super::transform::steps(&grid, call)?.into();
    let column = crate::ops::read_at(&breakpoints, &axis);
    Ok(Value::Series(Series::from_parts(
        axis,
        column.values,
        column.flags,
        resolution,
        CurveType::StaircaseStartOfStep,
    )))
}

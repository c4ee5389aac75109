//! TRANSFORM and the resolution changes built on it: TS (a constant at
//! a resolution) and TS_EXPAND (gaps filled).

use arrow_array::{Float64Array, UInt32Array};
use chrono_tz::Tz;
use mesh_timeseries::flags::{MISSING, SUSPECT};
use mesh_timeseries::{CurveType, Grid, Resolution};

use super::{Call, FnError, Function, Signature};
use crate::context::Interval;
use crate::ops;
use crate::transform::{self, implicit_method, read_period, Method, TransformError};
use crate::value::{Series, Value, ValueType as V};
use crate::Settings;

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[&TRANSFORM, &TS, &TS_EXPAND, &LINEAR, &SET_TS_VALUNIT];

/// `@TRANSFORM(t, s resolution, s method)` (R1) and `@TRANSFORM(t, s
/// resolution, s method, s zone)` (R4): the series at another resolution
/// (calc notes §4.1). The series is read over whole target steps, so a
/// daily sum of a period starting mid-day sums the whole day.
/// `@TRANSFORM(t, t points, s method)` (R2): aggregated over the periods
/// between the points of the second series in the period, the last until
/// the period's end; `@TRANSFORM(t, d seconds, s method)` (R3): over
/// periods of that many seconds from the period's start. Both answer a
/// breakpoint series and aggregate whatever the resolutions (fn/transform).
const TRANSFORM: Function = Function {
    name: "TRANSFORM",
    signatures: &[
        Signature {
            params: &[V::Series, V::String, V::String],
            returns: V::Series,
        },
        Signature {
            params: &[V::Series, V::String, V::String, V::String],
            returns: V::Series,
        },
        Signature {
            params: &[V::Series, V::Series, V::String],
            returns: V::Series,
        },
        Signature {
            params: &[V::Series, V::Number, V::String],
            returns: V::Series,
        },
    ],
    body: transform_body,
    extension: Some(transform_period),
};

/// The arguments of a TRANSFORM call, resolved.
struct Request<'a> {
    series: &'a Series,
    to: Resolution,
    method: Method,
    zone: Tz,
}

fn request<'a>(call: &Call<'_>, args: &'a [Value]) -> Result<Request<'a>, FnError> {
    let (Some(Value::Series(series)), Some(Value::String(to)), Some(Value::String(method))) =
        (args.first(), args.get(1), args.get(2))
    else {
        return Err("@TRANSFORM: argument of no declared form".into());
    };
    let to = resolution(to)?;
    let method = method_of(series, to, method)?;
    let zone = match args.get(3) {
        Some(Value::String(name)) => zone(name, call.settings),
        _ => call.settings.standard_zone,
    };
    Ok(Request {
        series,
        to,
        method,
        zone,
    })
}

fn transform_period(call: &Call<'_>, args: &[Value]) -> Option<Interval> {
    let r = request(call, args).ok()?;
    Some(read_period(r.series, call.interval, r.to, r.zone))
}

/// A method argument: a documented method, DEFAULT (by the series and
/// the target), an undocumented code (`UNIMPLEMENTED`), else invalid.
fn method_of(series: &Series, to: Resolution, symbol: &str) -> Result<Method, FnError> {
    if symbol.eq_ignore_ascii_case("DEFAULT") {
        return Ok(implicit_method(series, to));
    }
    match Method::parse(symbol) {
        Some(m) => Ok(m),
        None if is_undocumented_method(symbol) => Err(FnError::Unimplemented(format!(
            "@TRANSFORM: the method '{symbol}' is not served (its definition is not public)"
        ))),
        None => Err(FnError::Invalid(format!(
            "@TRANSFORM: unknown method '{symbol}'; expected SUM, SUMI, AVG, AVGI, FIRST, LAST, MIN, MAX or DEFAULT"
        ))),
    }
}

fn transform_periods(call: &mut Call<'_>, args: &[Value]) -> Result<Value, FnError> {
    let interval = call.interval;
    let zone = call.settings.standard_zone;
    let (series, starts, method) = match args {
        [Value::Series(s), Value::Series(points), Value::String(m)] => {
            let starts: Vec<i64> = points
                .timestamps()
                .values()
                .iter()
                .copied()
                .filter(|&t| t >= interval.start_ms && t < interval.end_ms)
                .collect();
            (s, starts, method_of(s, Resolution::Breakpoint, m)?)
        }
        [Value::Series(s), Value::Number(seconds), Value::String(m)] => {
            if !(*seconds >= 1.0 && *seconds <= 1e12) {
                return Err(FnError::Invalid(format!(
                    "@TRANSFORM: a period of {seconds} seconds; give at least 1"
                )));
            }
            let step = (*seconds * 1000.0) as i64;
            let span =
                i64::try_from(interval.end_ms.abs_diff(interval.start_ms)).unwrap_or(i64::MAX);
            let count = span.div_euclid(step).saturating_add(1);
            call.allow(usize::try_from(count).unwrap_or(usize::MAX))?;
            let starts: Vec<i64> = (0..count)
                .map_while(|k| interval.start_ms.checked_add(k.checked_mul(step)?))
                .filter(|&t| t < interval.end_ms)
                .collect();
            (s, starts, method_of(s, Resolution::Breakpoint, m)?)
        }
        _ => return Err("@TRANSFORM: argument of no declared form".into()),
    };
    Ok(Value::Series(transform::aggregate(
        series,
        starts,
        interval.end_ms,
        method,
        zone,
    )))
}

fn transform_body(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    if call.form >= 2 {
        return transform_periods(call, &args);
    }
    let r = request(call, &args)?;
    transform::transform(
        r.series,
        call.interval,
        r.to,
        r.method,
        r.zone,
        call.points_left,
    )
    .map(Value::Series)
    .map_err(|e| match e {
        TransformError::Limit(m) => FnError::Limit(format!("@TRANSFORM: {m}")),
        TransformError::Invalid(m) => FnError::Invalid(format!("@TRANSFORM: {m}")),
    })
}

/// A target resolution symbol (transform_terms; the SDK also sends the
/// wire names, `MIN30` among them).
pub(crate) fn resolution(symbol: &str) -> Result<Resolution, FnError> {
    Ok(match symbol.to_ascii_uppercase().as_str() {
        "VARINT" | "BREAKPOINT" => Resolution::Breakpoint,
        "MIN" => Resolution::Min,
        "MIN5" => Resolution::Min5,
        "MIN10" => Resolution::Min10,
        "MIN15" => Resolution::Min15,
        "MIN30" => Resolution::Min30,
        "HOUR" => Resolution::Hour,
        "DAY" => Resolution::Day,
        "WEEK" => Resolution::Week,
        "MONTH" => Resolution::Month,
        "YEAR" => Resolution::Year,
        _ => {
            return Err(FnError::Invalid(format!(
                "unknown resolution '{symbol}'; expected VARINT, MIN, MIN5, MIN10, MIN15, MIN30, HOUR, DAY, WEEK, MONTH or YEAR"
            )))
        }
    })
}

/// Method codes the documentation names without defining them.
fn is_undocumented_method(symbol: &str) -> bool {
    ["GSUM", "GMEAN", "ACCVOLUME", "ACCM2V"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(symbol))
}

/// A zone argument (calc notes §3.6): `LOCAL`/`LOKAL`/`LT` the server's
/// local zone, `NORMAL`/`STANDARD`/`NT` its standard time, `UTC`, or an
/// IANA name; anything else falls back to standard time, as documented
/// for an unknown zone.
pub(crate) fn zone(name: &str, settings: &Settings) -> Tz {
    match name.to_ascii_uppercase().as_str() {
        "LOCAL" | "LOKAL" | "LT" => settings.local_zone,
        "NORMAL" | "STANDARD" | "NT" => settings.standard_zone,
        "UTC" => Tz::UTC,
        _ => name.parse().unwrap_or(settings.standard_zone),
    }
}

/// `@TS(s res[, d value])`, `@TS(s res, s curve[, d value])`: a constant
/// series over the period, at every step of the resolution (in standard
/// time for calendar ones) from the one holding the period's start; value
/// NaN (MISSING) when none is given. `VARINT` gives one point at the
/// start. Curves `NONE`/`STEP` (staircase, the default) or `LINEAR`, which
/// also answers the step at the end as linear reads do. The page calls the
/// curve argument case-sensitive; any case is accepted here, since nothing
/// else could be meant.
const TS: Function = Function {
    name: "TS",
    signatures: &[
        Signature {
            params: &[V::String],
            returns: V::Series,
        },
        Signature {
            params: &[V::String, V::Number],
            returns: V::Series,
        },
        Signature {
            params: &[V::String, V::String],
            returns: V::Series,
        },
        Signature {
            params: &[V::String, V::String, V::Number],
            returns: V::Series,
        },
    ],
    body: ts,
    extension: None,
};

/// The steps of `grid` overlapping the call's period, within its budget.
pub(crate) fn steps(grid: &Grid, call: &Call<'_>) -> Result<Vec<i64>, FnError> {
    transform::steps_overlapping(grid, call.interval, call.points_left).map_err(limit)
}

/// A kernel refusal as the library's error.
fn limit(error: TransformError) -> FnError {
    match error {
        TransformError::Limit(m) => FnError::Limit(m),
        TransformError::Invalid(m) => FnError::Invalid(m),
    }
}

fn curve(symbol: &str) -> Option<CurveType> {
    match symbol.to_ascii_uppercase().as_str() {
        "NONE" | "STEP" => Some(CurveType::StaircaseStartOfStep),
        "LINEAR" => Some(CurveType::PiecewiseLinear),
        _ => None,
    }
}

fn curve_arg(name: &str, symbol: &str) -> Result<CurveType, FnError> {
    curve(symbol).ok_or_else(|| {
        FnError::Invalid(format!(
            "@{name}: unknown curve type '{symbol}'; expected NONE, STEP or LINEAR"
        ))
    })
}

fn ts(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let (res, curve, value) = match args.as_slice() {
        [Value::String(r)] => (r, "STEP", f64::NAN),
        [Value::String(r), Value::Number(v)] => (r, "STEP", *v),
        [Value::String(r), Value::String(c)] => (r, c.as_str(), f64::NAN),
        [Value::String(r), Value::String(c), Value::Number(v)] => (r, c.as_str(), *v),
        _ => return Err("@TS: argument of no declared form".into()),
    };
    let resolution = resolution(res)?;
    let curve = curve_arg("TS", curve)?;
    let interval = call.interval;
    let mut instants = if resolution.is_breakpoint() {
        vec![interval.start_ms]
    } else {
        let grid = Grid::with_zone(resolution, call.settings.standard_zone);
        let mut all = steps(&grid, call)?;
        if curve == CurveType::PiecewiseLinear {
            all.extend(grid.ceil(interval.end_ms));
        }
        all
    };
    instants.dedup();
    let n = instants.len();
    let flag = if value.is_nan() { MISSING } else { 0 };
    Ok(Value::Series(Series::from_parts(
        instants.into(),
        Float64Array::from_value(value, n),
        UInt32Array::from_value(flag, n),
        resolution,
        curve,
    )))
}

/// `@TS_EXPAND(t[, s curve])`, `@TS_EXPAND(t, s res[, s curve])`: NaN
/// values replaced, by the previous valid value (staircase) or by
/// interpolation between the valid values around them (linear); the curve
/// argument overrides the series' own. NaN before the first valid value
/// stays; a linear gap with no valid value after it holds the last one.
/// Filled points are SUSPECT (a value not measured, as TS_IQ_FILL marks
/// them). With a resolution, the series is first TRANSFORMed with FIRST.
/// A second argument that is a curve name is the curve; else a resolution.
const TS_EXPAND: Function = Function {
    name: "TS_EXPAND",
    signatures: &[
        Signature {
            params: &[V::Series],
            returns: V::Series,
        },
        Signature {
            params: &[V::Series, V::String],
            returns: V::Series,
        },
        Signature {
            params: &[V::Series, V::String, V::String],
            returns: V::Series,
        },
    ],
    body: ts_expand,
    extension: Some(ts_expand_period),
};

/// The target resolution of a TS_EXPAND call, if it names one.
fn expand_resolution(args: &[Value]) -> Option<Resolution> {
    match args.get(1) {
        Some(Value::String(s)) if curve(s).is_none() => resolution(s).ok(),
        _ => None,
    }
}

fn ts_expand_period(call: &Call<'_>, args: &[Value]) -> Option<Interval> {
    let (Some(Value::Series(series)), Some(to)) = (args.first(), expand_resolution(args)) else {
        return None;
    };
    Some(read_period(
        series,
        call.interval,
        to,
        call.settings.standard_zone,
    ))
}

fn ts_expand(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let Some(Value::Series(series)) = args.first() else {
        return Err("@TS_EXPAND: argument of no declared form".into());
    };
    let (to, curve_symbol) = match args.as_slice() {
        [_] => (None, None),
        [_, Value::String(s)] if curve(s).is_some() => (None, Some(s.as_str())),
        [_, Value::String(r)] => (Some(resolution(r)?), None),
        [_, Value::String(r), Value::String(c)] => (Some(resolution(r)?), Some(c.as_str())),
        _ => return Err("@TS_EXPAND: argument of no declared form".into()),
    };
    let series = match to {
        Some(to) => transform::transform(
            series,
            call.interval,
            to,
            Method::First,
            call.settings.standard_zone,
            call.points_left,
        )
        .map_err(|e| FnError::Invalid(format!("@TS_EXPAND: {e}")))?,
        None => series.clone(),
    };
    let linear = match curve_symbol {
        Some(c) => curve_arg("TS_EXPAND", c)? == CurveType::PiecewiseLinear,
        None => series.is_linear(),
    };
    let (values, flags) = fill_gaps(&series, linear, false);
    let curve = if linear {
        CurveType::PiecewiseLinear
    } else {
        CurveType::StaircaseStartOfStep
    };
    Ok(Value::Series(
        series
            .with_columns(values.into(), flags.into())
            .with_curve(curve),
    ))
}

/// The values and flags of `series` with its NaN values filled, each
/// filled point SUSPECT: a run of NaN takes the valid value before it
/// (staircase) or the line from it to the valid value after it
/// (`linear`); a run with no valid value after it holds the one before.
/// A leading run (no valid value before it) stays NaN, or takes the first
/// valid value when `leading` (TS_IQ_FILL's "the next value is copied").
pub(super) fn fill_gaps(series: &Series, linear: bool, leading: bool) -> (Vec<f64>, Vec<u32>) {
    let ts = series.timestamps().values();
    let mut values = series.values().values().to_vec();
    let mut flags = series.flags().values().to_vec();
    let mut last_valid: Option<usize> = None;
    let mut i = 0;
    while i < values.len() {
        if !values[i].is_nan() {
            last_valid = Some(i);
            i += 1;
            continue;
        }
        // A run of NaN from i to j (exclusive).
        let j = i + values[i..].iter().take_while(|v| v.is_nan()).count();
        let source = match last_valid {
            Some(p) => Some(p),
            None if leading && j < values.len() => Some(j),
            None => None,
        };
        if let Some(p) = source {
            for k in i..j {
                values[k] = if linear && p < i && j < values.len() {
                    ops::interpolate((ts[p], values[p]), (ts[j], values[j]), ts[k])
                } else {
                    values[p]
                };
                flags[k] = SUSPECT;
            }
        }
        i = j;
    }
    (values, flags)
}

/// `@Linear(t, s)`: the series with a linear curve for `TRUE` (also `1`,
/// `YES`, `LINEAR`) and a staircase for `FALSE` (`0`, `NO`, `STEP`).
const LINEAR: Function = Function {
    name: "Linear",
    signatures: &[Signature {
        params: &[V::Series, V::String],
        returns: V::Series,
    }],
    body: linear,
    extension: None,
};

fn linear(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let [Value::Series(s), Value::String(flag)] = args.as_slice() else {
        return Err("@Linear: argument of no declared form".into());
    };
    let curve = match flag.trim().to_ascii_uppercase().as_str() {
        "TRUE" | "1" | "YES" | "LINEAR" => CurveType::PiecewiseLinear,
        "FALSE" | "0" | "NO" | "STEP" => CurveType::StaircaseStartOfStep,
        other => {
            return Err(FnError::Invalid(format!(
                "@Linear: '{other}' is neither TRUE nor FALSE"
            )))
        }
    };
    Ok(Value::Series(s.with_curve(curve)))
}

/// `@SET_TS_VALUNIT(t, d code)`, `(t, s name)`: names the unit of the
/// values. A calculation result carries no unit on the wire (its message
/// has no field for one), so the series is answered unchanged; the form
/// is served so that expressions written for the reference run.
const SET_TS_VALUNIT: Function = Function {
    name: "SET_TS_VALUNIT",
    signatures: &[
        Signature {
            params: &[V::Series, V::Number],
            returns: V::Series,
        },
        Signature {
            params: &[V::Series, V::String],
            returns: V::Series,
        },
    ],
    body: |_, args| match args.into_iter().next() {
        Some(Value::Series(s)) => Ok(Value::Series(s)),
        _ => Err("@SET_TS_VALUNIT: argument of no declared form".into()),
    },
    extension: None,
};

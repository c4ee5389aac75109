//! Validation and correction: the Validate* and Correct* functions, TS_IQ_FILL.
//!
//! A validation checks each point and adds to its flags: `validated` and
//! its method code for every point it could check, NOT_OK for those that
//! fail; it never clears a bit (the pages reset the status first when
//! they want a clean slate). A correction replaces the points in error —
//! NOT_OK, or without a value — and marks them `corrected` with its method
//! code, NOT_OK and MISSING cleared. The bits are those of
//! [`super::status::STATUS_BITS`]. Every result keeps the input's
//! instants, resolution and curve.

use mesh_timeseries::echo;
use mesh_timeseries::flags::{MISSING, NOT_OK};

use super::logic::series_form;
use super::status::{C01, C02, C03, CORRECTED, V01, V04, VALIDATED};
use super::transform::fill_gaps;
use super::{Call, FnError, Function};
use crate::ops::{self, Column};
use crate::value::{Series, Value, ValueType as V};

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[
    &VALIDATE_ABS_LIMIT,
    &VALIDATE_REPEAT_VALUE,
    &CORRECT_CONSTANT_VALUE,
    &CORRECT_COPY_VALUE,
    &CORRECT_INTERPOLATE,
    &TS_IQ_FILL,
];

/// `limit` read at each point of `series`: a series by its functional
/// value, a number as a constant.
fn limit_at(series: &Series, limit: &Value) -> Result<Column, FnError> {
    match limit {
        Value::Series(l) => Ok(ops::read_at(l, series.timestamps())),
        Value::Number(d) => Ok(ops::broadcast(*d, series.len())),
        _ => Err("a limit is a series or a number".into()),
    }
}

/// `series` with its values kept and these flags.
fn with_flags(series: &Series, flags: Vec<u32>) -> Value {
    Value::Series(series.with_columns(series.values().clone(), flags.into()))
}

// --- ValidateAbsLimit -------------------------------------------------------------

/// `@ValidateAbsLimit(t, lower, upper)`, each limit a series or a number:
/// a value below the lower or above the upper limit is NOT_OK (a value on
/// a limit passes); every value checked is `validated` and `V01`. A NaN
/// value is not checked; a NaN limit checks nothing on its side, so a
/// point with both limits NaN is not checked either.
const VALIDATE_ABS_LIMIT: Function = Function {
    name: "ValidateAbsLimit",
    signatures: &[
        series_form(&[V::Series, V::Series, V::Series]),
        series_form(&[V::Series, V::Series, V::Number]),
        series_form(&[V::Series, V::Number, V::Series]),
        series_form(&[V::Series, V::Number, V::Number]),
    ],
    body: validate_abs_limit,
    extension: None,
};

/// The body of [`VALIDATE_ABS_LIMIT`].
fn validate_abs_limit(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let [Value::Series(series), lower, upper] = args.as_slice() else {
        return Err("@ValidateAbsLimit: argument of no declared form".into());
    };
    let named = |e: FnError| match e {
        FnError::Invalid(m) => FnError::Invalid(format!("@ValidateAbsLimit: {m}")),
        other => other,
    };
    let (lo, hi) = (
        limit_at(series, lower).map_err(named)?,
        limit_at(series, upper).map_err(named)?,
    );
    let (lo, hi) = (lo.values.values(), hi.values.values());
    let xs = series.values().values();
    let flags = series
        .flags()
        .values()
        .iter()
        .enumerate()
        .map(|(i, &f)| {
            let (x, lo, hi) = (xs[i], lo[i], hi[i]);
            if x.is_nan() || (lo.is_nan() && hi.is_nan()) {
                return f;
            }
            // A NaN limit compares false, so it fails nothing.
            let outside = x < lo || x > hi;
            f | VALIDATED | V01 | if outside { NOT_OK } else { 0 }
        })
        .collect();
    Ok(with_flags(series, flags))
}

// --- ValidateRepeatValue ----------------------------------------------------------

/// `@ValidateRepeatValue(t, max, d delta, d exception)`: a run is
/// consecutive values within `delta` of the run's first value; the k-th
/// repeat of a run (its first value is no repeat) is NOT_OK when k exceeds
/// `max` read at that point (rounded down; below 0 counts as 0). A run
/// whose first value is within `delta` of `exception` is never NOT_OK (a
/// NaN exception excepts nothing). Every value with a `max` is checked:
/// `validated` and `V04`. A NaN value ends the run and is not checked;
/// runs count from the first point read. `delta` is a number ≥ 0.
const VALIDATE_REPEAT_VALUE: Function = Function {
    name: "ValidateRepeatValue",
    signatures: &[series_form(&[V::Series, V::Series, V::Number, V::Number])],
    body: validate_repeat_value,
    extension: None,
};

/// The body of [`VALIDATE_REPEAT_VALUE`].
fn validate_repeat_value(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let [Value::Series(series), Value::Series(max), Value::Number(delta), Value::Number(exception)] =
        args.as_slice()
    else {
        return Err("@ValidateRepeatValue: argument of no declared form".into());
    };
    let delta = *delta;
    if delta.is_nan() || delta < 0.0 {
        return Err(FnError::Invalid(format!(
            "@ValidateRepeatValue: the delta is a number of at least 0, not {delta}"
        )));
    }
    let max = ops::read_at(max, series.timestamps());
    let near = |a: f64, b: f64| (a - b).abs() <= delta;
    let xs = series.values().values();
    let mut flags = series.flags().values().to_vec();
    // The current run: its first value and the repeats so far.
    let mut run: Option<(f64, f64)> = None;
    for (i, f) in flags.iter_mut().enumerate() {
        let x = xs[i];
        if x.is_nan() {
            run = None;
            continue;
        }
        let (first, repeats) = match run {
            Some((first, k)) if near(x, first) => (first, k + 1.0),
            _ => (x, 0.0),
        };
        run = Some((first, repeats));
        let allowed = max.values.value(i);
        if allowed.is_nan() {
            continue;
        }
        *f |= VALIDATED | V04;
        let excepted = near(first, *exception);
        if !excepted && repeats > allowed.floor().max(0.0) {
            *f |= NOT_OK;
        }
    }
    Ok(with_flags(series, flags))
}

// --- corrections ------------------------------------------------------------------

/// Whether a point needs correcting: NOT_OK, or no value.
fn in_error(value: f64, flags: u32) -> bool {
    value.is_nan() || flags & NOT_OK != 0
}

/// A corrected point's flags: NOT_OK and MISSING cleared, `corrected`
/// and the method's code added, the rest (the validation's marks) kept.
fn corrected(flags: u32, method: u32) -> u32 {
    (flags & !(NOT_OK | MISSING)) | CORRECTED | method
}

/// The runs `[start, end)` of consecutive points in error.
fn error_runs(series: &Series) -> Vec<(usize, usize)> {
    let xs = series.values().values();
    let fs = series.flags().values();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < xs.len() {
        if !in_error(xs[i], fs[i]) {
            i += 1;
            continue;
        }
        let j = i
            + (i..xs.len())
                .take_while(|&k| in_error(xs[k], fs[k]))
                .count();
        runs.push((i, j));
        i = j;
    }
    runs
}

/// Whether point `i` may be the source of a correction: a value not in
/// error, and not itself corrected unless `use_corrected`.
fn usable(series: &Series, i: usize, use_corrected: bool) -> bool {
    let (x, f) = (series.values().value(i), series.flags().value(i));
    !in_error(x, f) && (use_corrected || f & CORRECTED == 0)
}

/// The `'TRUE'`/`'FALSE'` symbol of the Correct* functions (any case).
fn truth(function: &str, symbol: &str) -> Result<bool, FnError> {
    match symbol.trim().to_ascii_uppercase().as_str() {
        "TRUE" => Ok(true),
        "FALSE" => Ok(false),
        _ => Err(FnError::Invalid(format!(
            "@{function}: whether corrected values may be used is 'TRUE' or 'FALSE', not '{}'",
            echo(symbol)
        ))),
    }
}

/// A count argument of the Correct* functions: a whole number ≥ 0.
fn count(function: &str, what: &str, n: f64) -> Result<usize, FnError> {
    if n >= 0.0 && n.fract() == 0.0 {
        // Saturates for huge counts, which no series reaches.
        Ok(n as usize)
    } else {
        Err(FnError::Invalid(format!(
            "@{function}: {what} is a whole number of at least 0, not {n}"
        )))
    }
}

/// `series` with the points `(index, value)` replaced and marked as
/// corrected by `method`.
fn replace(series: &Series, fixes: impl Iterator<Item = (usize, f64)>, method: u32) -> Value {
    let mut values = series.values().values().to_vec();
    let mut flags = series.flags().values().to_vec();
    for (i, v) in fixes {
        values[i] = v;
        flags[i] = corrected(flags[i], method);
    }
    Value::Series(series.with_columns(values.into(), flags.into()))
}

/// `@CorrectConstantValue(t, d)`: every point in error (NOT_OK or NaN)
/// takes the constant, `corrected` and `C01`. The constant must not be NaN.
const CORRECT_CONSTANT_VALUE: Function = Function {
    name: "CorrectConstantValue",
    signatures: &[series_form(&[V::Series, V::Number])],
    body: correct_constant_value,
    extension: None,
};

/// The body of [`CORRECT_CONSTANT_VALUE`].
fn correct_constant_value(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let [Value::Series(series), Value::Number(c)] = args.as_slice() else {
        return Err("@CorrectConstantValue: argument of no declared form".into());
    };
    if c.is_nan() {
        return Err("@CorrectConstantValue: the constant is a number, not NaN".into());
    }
    let fixes = error_runs(series)
        .into_iter()
        .flat_map(|(i, j)| i..j)
        .map(|i| (i, *c));
    Ok(replace(series, fixes, C01))
}

/// `@CorrectCopyValue(t, d n, s use_corrected)`: each run of points in
/// error takes the value of the point just before it, for at most `n`
/// points (the rest of a longer run stays as it was), `corrected` and
/// `C02`. With `'FALSE'` a point corrected earlier (flag `corrected`) is
/// no source, and its run stays. A run at the start has no source.
const CORRECT_COPY_VALUE: Function = Function {
    name: "CorrectCopyValue",
    signatures: &[series_form(&[V::Series, V::Number, V::String])],
    body: correct_copy_value,
    extension: None,
};

/// The body of [`CORRECT_COPY_VALUE`].
fn correct_copy_value(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    const NAME: &str = "CorrectCopyValue";
    let [Value::Series(series), Value::Number(n), Value::String(s)] = args.as_slice() else {
        return Err("@CorrectCopyValue: argument of no declared form".into());
    };
    let n = count(NAME, "the most copies", *n)?;
    let use_corrected = truth(NAME, s)?;
    let xs = series.values().values();
    let fixes = error_runs(series)
        .into_iter()
        .filter(|&(i, _)| i > 0 && usable(series, i - 1, use_corrected))
        .flat_map(|(i, j)| (i..j).take(n).map(move |k| (k, xs[i - 1])));
    Ok(replace(series, fixes, C02))
}

/// `@CorrectInterpolate(t, d n, s use_corrected)`: each run of at most
/// `n` points in error between two valid points takes the straight line
/// between them (by time), `corrected` and `C03`; a longer run, or one at
/// an end of the series, stays as it was. With `'FALSE'` a neighbour
/// corrected earlier is no end of a line, and its run stays.
const CORRECT_INTERPOLATE: Function = Function {
    name: "CorrectInterpolate",
    signatures: &[series_form(&[V::Series, V::Number, V::String])],
    body: correct_interpolate,
    extension: None,
};

/// The body of [`CORRECT_INTERPOLATE`].
fn correct_interpolate(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    const NAME: &str = "CorrectInterpolate";
    let [Value::Series(series), Value::Number(n), Value::String(s)] = args.as_slice() else {
        return Err("@CorrectInterpolate: argument of no declared form".into());
    };
    let n = count(NAME, "the most points in error", *n)?;
    let use_corrected = truth(NAME, s)?;
    let ts = series.timestamps().values();
    let xs = series.values().values();
    let fixes = error_runs(series)
        .into_iter()
        .filter(|&(i, j)| {
            j - i <= n
                && i > 0
                && j < xs.len()
                && usable(series, i - 1, use_corrected)
                && usable(series, j, use_corrected)
        })
        .flat_map(|(i, j)| {
            let (from, to) = ((ts[i - 1], xs[i - 1]), (ts[j], xs[j]));
            (i..j).map(move |k| (k, ops::interpolate(from, to, ts[k])))
        });
    Ok(replace(series, fixes, C03))
}

// --- TS_IQ_FILL -------------------------------------------------------------------

/// `@TS_IQ_FILL(t)`: every NaN value filled, by the series' own curve: a
/// staircase holds the value before the gap, a linear curve follows the
/// line to the value after it; a gap at the start takes the first value,
/// one at the end holds the last. Filled points are SUSPECT (the page).
/// A series with no value at all stays as it is.
const TS_IQ_FILL: Function = Function {
    name: "TS_IQ_FILL",
    signatures: &[series_form(&[V::Series])],
    body: ts_iq_fill,
    extension: None,
};

/// The body of [`TS_IQ_FILL`].
fn ts_iq_fill(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let [Value::Series(series)] = args.as_slice() else {
        return Err("@TS_IQ_FILL: argument of no declared form".into());
    };
    let (values, flags) = fill_gaps(series, series.is_linear(), true);
    Ok(Value::Series(
        series.with_columns(values.into(), flags.into()),
    ))
}

//! Logical functions: BOOL, NOT, INSIDE, OUTSIDE, POSITIVE, NEGATIVE, MIX, MIX0.
//!
//! A logical series holds 1 (true) and 0 (false) with flags 0: the truth
//! of a step is always known, even where the tested value is missing (the
//! pages turn NaN into a definite 0 or 1). Such results are staircase,
//! since interpolating between truths means nothing. Functions that pick
//! values (POSITIVE, MIX, MIX0) keep the picked point's flags instead.

use arrow_arith::boolean;
use arrow_array::{BooleanArray, Float64Array, UInt32Array};
use arrow_ord::cmp;
use mesh_timeseries::flags::MISSING;
use mesh_timeseries::{CurveType, Resolution};

use super::{Call, FnError, Function, Signature};
use crate::ops;
use crate::value::{Series, Value, ValueType as V};

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[
    &BOOL, &NOT, &INSIDE, &OUTSIDE, &POSITIVE, &NEGATIVE, &MIX, &MIX0,
];

/// A form returning a series.
pub(super) const fn series_form(params: &'static [V]) -> Signature {
    Signature {
        params,
        returns: V::Series,
    }
}

/// 1.0 where `mask` holds, else 0.0.
fn ones(mask: &BooleanArray) -> Float64Array {
    ops::zip_f64(
        mask,
        &Float64Array::new_scalar(1.0),
        &Float64Array::new_scalar(0.0),
    )
}

/// The logical series of `truth` on the instants and resolution of
/// `timestamps`/`resolution`: values 1/0, flags 0, staircase.
fn logical(
    timestamps: arrow_array::Int64Array,
    resolution: Resolution,
    truth: &BooleanArray,
) -> Series {
    let len = truth.len();
    Series::from_parts(
        timestamps,
        ones(truth),
        UInt32Array::from_value(0, len),
        resolution,
        CurveType::StaircaseStartOfStep,
    )
}

/// The logical series of `truth` on `s`'s instants and resolution.
pub(super) fn logical_like(s: &Series, truth: &BooleanArray) -> Series {
    logical(s.timestamps().clone(), s.resolution(), truth)
}

/// `values` with −0 made +0: Arrow compares floats by their total order,
/// where −0 < +0 and −0 ≠ 0, but the language's zero is either.
fn canonical(values: &Float64Array) -> Float64Array {
    arrow_arith::arity::unary(values, |v| v + 0.0)
}

/// Where a value is there and not zero: the language's truth (MIX's
/// condition, MIX0's choice).
fn truthy(values: &Float64Array) -> BooleanArray {
    let zero = cmp::eq(&canonical(values), &Float64Array::new_scalar(0.0)).expect("same type");
    let missing = boolean::or(&zero, &ops::nan_mask_of(values)).expect("same length");
    boolean::not(&missing).expect("no nulls")
}

/// `s` with every point equal to the one before it dropped (NaN equals
/// NaN here), as a breakpoint series: the COMPRESS options. The first
/// point always stays, so the series keeps its start.
fn compress(s: &Series) -> Series {
    let ts = s.timestamps().values();
    let vs = s.values().values();
    let fs = s.flags().values();
    let (mut t, mut v, mut f) = (Vec::new(), Vec::new(), Vec::new());
    let mut last: Option<f64> = None;
    for i in 0..s.len() {
        let repeat = last.is_some_and(|l| l == vs[i] || (l.is_nan() && vs[i].is_nan()));
        if !repeat {
            t.push(ts[i]);
            v.push(vs[i]);
            f.push(fs[i]);
            last = Some(vs[i]);
        }
    }
    Series::from_parts(
        t.into(),
        v.into(),
        f.into(),
        Resolution::Breakpoint,
        s.curve(),
    )
}

/// The symbol argument at `index`, if given, in upper case (the pages
/// write the options in upper case; case is not significant for symbols
/// elsewhere in the language).
fn symbol(args: &[Value], index: usize) -> Option<String> {
    match args.get(index) {
        Some(Value::String(s)) => Some(s.trim().to_ascii_uppercase()),
        _ => None,
    }
}

/// `@BOOL(d) -> d`, `@BOOL(t) -> t`: 0 for NaN, 1 for every value (zero
/// included). `@BOOL(t, d) -> t`: also 0 where the value equals `d`.
/// `@BOOL(t, d, 'COMPRESS') -> t`: and, for a breakpoint input, repeated
/// values dropped. The result keeps the input's instants and resolution.
const BOOL: Function = Function {
    name: "BOOL",
    signatures: &[
        series_form(&[V::Series]),
        Signature {
            params: &[V::Number],
            returns: V::Number,
        },
        series_form(&[V::Series, V::Number]),
        series_form(&[V::Series, V::Number, V::String]),
    ],
    body: bool_fn,
    extension: None,
};

/// The body of [`BOOL`].
fn bool_fn(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let compress_it = match symbol(&args, 2) {
        None => false,
        Some(s) if s == "COMPRESS" => true,
        Some(s) => {
            return Err(format!("@BOOL: the third argument must be 'COMPRESS', not '{s}'").into())
        }
    };
    let also_false = match args.get(1) {
        Some(Value::Number(d)) => Some(*d),
        _ => None,
    };
    match args.first() {
        Some(Value::Number(x)) => Ok(Value::Number(if x.is_nan() { 0.0 } else { 1.0 })),
        Some(Value::Series(s)) => {
            let mut falsy = ops::nan_mask_of(s.values());
            // A NaN `d` matches nothing (NaN equals no value), so only the
            // NaN points are false then.
            if let Some(d) = also_false.filter(|d| !d.is_nan()) {
                let equal = cmp::eq(&canonical(s.values()), &Float64Array::new_scalar(d + 0.0))
                    .expect("same type");
                falsy = boolean::or(&falsy, &equal).expect("same length");
            }
            let truth = boolean::not(&falsy).expect("no nulls");
            let result = logical_like(s, &truth);
            // The page limits COMPRESS to breakpoint inputs: a fixed
            // interval series keeps one point per step.
            if compress_it && s.resolution() == Resolution::Breakpoint {
                Ok(Value::Series(compress(&result)))
            } else {
                Ok(Value::Series(result))
            }
        }
        _ => Err("@BOOL: argument of no declared form".into()),
    }
}

/// `@NOT(t) -> t`: 1 where the value is 0 or NaN, else 0 (so NaN is
/// false, unlike the `!` operator, which gives NaN for NaN).
const NOT: Function = Function {
    name: "NOT",
    signatures: &[series_form(&[V::Series])],
    body: not_fn,
    extension: None,
};

/// The body of [`NOT`].
fn not_fn(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    match args.first() {
        Some(Value::Series(s)) => {
            let truth = boolean::not(&truthy(s.values())).expect("no nulls");
            Ok(Value::Series(logical_like(s, &truth)))
        }
        _ => Err("@NOT: argument of no declared form".into()),
    }
}

/// The forms of INSIDE and OUTSIDE: `(lower, t, upper[, s option])`, each
/// limit a number or a series. The pages list `(d,t,d)` and `(t,t,t)`;
/// their argument tables allow either type per limit, so the mixed forms
/// are served too.
const RANGE_FORMS: &[Signature] = &[
    series_form(&[V::Number, V::Series, V::Number]),
    series_form(&[V::Series, V::Series, V::Series]),
    series_form(&[V::Number, V::Series, V::Series]),
    series_form(&[V::Series, V::Series, V::Number]),
    series_form(&[V::Number, V::Series, V::Number, V::String]),
    series_form(&[V::Series, V::Series, V::Series, V::String]),
    series_form(&[V::Number, V::Series, V::Series, V::String]),
    series_form(&[V::Series, V::Series, V::Number, V::String]),
];

/// `@INSIDE(lo, t, hi[, option]) -> t`: 1 where the value lies between the
/// limits, else 0; NaN (in the value or a limit) is 0. Options: none =
/// both limits excluded, `'LOHI'` = both included, `'LOW'` = lower
/// excluded and upper included, `'HIGH'` = lower included and upper
/// excluded (the page lost the default's and HIGH's text; they are read
/// as OUTSIDE's complements, whose page is complete).
const INSIDE: Function = Function {
    name: "INSIDE",
    signatures: RANGE_FORMS,
    body: |call, args| range(call, args, false),
    extension: None,
};

/// `@OUTSIDE(lo, t, hi[, option]) -> t`: 1 where the value lies beyond a
/// limit, else 0; NaN is 0. Options: none = `x < lo or x > hi`, `'LOHI'` =
/// `x ≤ lo or x ≥ hi`, `'LOW'` = `x ≤ lo or x > hi`, `'HIGH'` = `x < lo or
/// x ≥ hi` (the page's table).
const OUTSIDE: Function = Function {
    name: "OUTSIDE",
    signatures: RANGE_FORMS,
    body: |call, args| range(call, args, true),
    extension: None,
};

/// The body of [`INSIDE`] and of [`OUTSIDE`] (`outside`).
fn range(call: &mut Call<'_>, args: Vec<Value>, outside: bool) -> Result<Value, FnError> {
    let name = if outside { "OUTSIDE" } else { "INSIDE" };
    // Whether a value on the lower / upper limit makes the step true.
    // LOW and HIGH name the limit that counts for OUTSIDE and the one that
    // does not for INSIDE (the pages' tables).
    let (on_lower, on_upper) = match symbol(&args, 3).as_deref() {
        None | Some("") => (false, false),
        Some("LOHI") => (true, true),
        Some("LOW") => (outside, !outside),
        Some("HIGH") => (!outside, outside),
        Some(other) => {
            return Err(format!(
                "@{name}: the option must be 'LOHI', 'LOW' or 'HIGH', not '{other}'"
            )
            .into())
        }
    };
    // OUTSIDE is computed as NOT inside, so its limits are inside exactly
    // when they are not outside.
    let (lower_in, upper_in) = if outside {
        (!on_lower, !on_upper)
    } else {
        (on_lower, on_upper)
    };
    let Some(Value::Series(x)) = args.get(1) else {
        return Err(format!("@{name}: argument of no declared form").into());
    };
    let series: Vec<&Series> = args
        .iter()
        .take(3)
        .filter_map(|a| match a {
            Value::Series(s) => Some(s),
            _ => None,
        })
        .collect();
    // Number limits keep the tested series' axis; series limits are
    // aligned with it as operands are (§3.2).
    let (timestamps, resolution) = if series.len() == 1 {
        (x.timestamps().clone(), x.resolution())
    } else {
        call.allow(ops::axis_bound(&series))?;
        let axis = ops::axis(&series);
        (axis.timestamps, axis.resolution)
    };
    let read = |v: &Value| match v {
        Value::Series(s) if series.len() == 1 => ops::column_of(s),
        Value::Series(s) => ops::read_at(s, &timestamps),
        Value::Number(d) => ops::broadcast(*d, timestamps.len()),
        // Unreachable by the forms; a NaN limit makes every step false.
        _ => ops::broadcast(f64::NAN, timestamps.len()),
    };
    let (lo, xs, hi) = match (args.first(), args.get(2)) {
        (Some(lo), Some(hi)) => (read(lo), read(&args[1]), read(hi)),
        _ => return Err(format!("@{name}: argument of no declared form").into()),
    };
    let (lo, xs, hi) = (
        canonical(&lo.values),
        canonical(&xs.values),
        canonical(&hi.values),
    );
    let above = if lower_in {
        cmp::gt_eq(&xs, &lo)
    } else {
        cmp::gt(&xs, &lo)
    }
    .expect("same type");
    let below = if upper_in {
        cmp::lt_eq(&xs, &hi)
    } else {
        cmp::lt(&xs, &hi)
    }
    .expect("same type");
    let inside = boolean::and(&above, &below).expect("same length");
    let truth = if outside {
        boolean::not(&inside).expect("no nulls")
    } else {
        inside
    };
    // Arrow orders NaN above every number, so a NaN would pass some of the
    // comparisons: every step with a NaN operand is false, explicitly.
    let nan = boolean::or(
        &boolean::or(&ops::nan_mask_of(&lo), &ops::nan_mask_of(&xs)).expect("same length"),
        &ops::nan_mask_of(&hi),
    )
    .expect("same length");
    let truth = boolean::and_not(&truth, &nan).expect("same length");
    Ok(Value::Series(logical(timestamps, resolution, &truth)))
}

/// The forms of POSITIVE and NEGATIVE: `(t[, d zero[, s option]])`.
const SIGN_FORMS: &[Signature] = &[
    series_form(&[V::Series]),
    series_form(&[V::Series, V::Number]),
    series_form(&[V::Series, V::Number, V::String]),
];

/// `@POSITIVE(t[, d[, s]]) -> t`: the values ≥ 0, others NaN. Zero counts
/// as positive unless `d` is 0 (the page's rule). Options: `'VALUE'`
/// (default), `'BOOL'` (1 where kept, else 0), `'BOOL_COMPRESS'` (that,
/// repeats dropped, as a breakpoint series). A kept point keeps its flags;
/// a dropped value is NaN, MISSING; a NaN input keeps its own flags.
const POSITIVE: Function = Function {
    name: "POSITIVE",
    signatures: SIGN_FORMS,
    body: |_, args| sign(args, true),
    extension: None,
};

/// `@NEGATIVE(t[, d[, s]]) -> t`: the values < 0, others NaN. Zero counts
/// as positive unless `d` is 1 (the page's rule, unlike POSITIVE's 0).
/// Options and flags as [`POSITIVE`].
const NEGATIVE: Function = Function {
    name: "NEGATIVE",
    signatures: SIGN_FORMS,
    body: |_, args| sign(args, false),
    extension: None,
};

/// The body of [`POSITIVE`] (`positive`) and [`NEGATIVE`].
fn sign(args: Vec<Value>, positive: bool) -> Result<Value, FnError> {
    let name = if positive { "POSITIVE" } else { "NEGATIVE" };
    let Some(Value::Series(s)) = args.first() else {
        return Err(format!("@{name}: argument of no declared form").into());
    };
    // The pages: POSITIVE's argument 0, NEGATIVE's argument 1, moves zero
    // to the negative side; any other number leaves it positive.
    let zero_negative = match args.get(1) {
        Some(Value::Number(d)) => *d == if positive { 0.0 } else { 1.0 },
        _ => false,
    };
    let x = s.values();
    let xc = canonical(x);
    let zero = Float64Array::new_scalar(0.0);
    let keep = match (positive, zero_negative) {
        (true, false) => cmp::gt_eq(&xc, &zero),
        (true, true) => cmp::gt(&xc, &zero),
        (false, false) => cmp::lt(&xc, &zero),
        (false, true) => cmp::lt_eq(&xc, &zero),
    }
    .expect("same type");
    // NaN sorts above every number in Arrow, so it is excluded explicitly.
    let nan = ops::nan_mask_of(x);
    let keep = boolean::and_not(&keep, &nan).expect("same length");
    match symbol(&args, 2).as_deref() {
        None | Some("VALUE") => {
            let values = ops::zip_f64(&keep, x, &Float64Array::new_scalar(f64::NAN));
            let dropped_flags = ops::zip_u32(&nan, s.flags(), &UInt32Array::new_scalar(MISSING));
            let flags = ops::zip_u32(&keep, s.flags(), &dropped_flags);
            Ok(Value::Series(s.with_columns(values, flags)))
        }
        Some("BOOL") => Ok(Value::Series(logical_like(s, &keep))),
        Some("BOOL_COMPRESS") => Ok(Value::Series(compress(&logical_like(s, &keep)))),
        Some(other) => Err(format!(
            "@{name}: the option must be 'VALUE', 'BOOL' or 'BOOL_COMPRESS', not '{other}'"
        )
        .into()),
    }
}

/// `@MIX(t1, t2) -> t`: per step t1's value where it has one, else t2's.
/// `@MIX(t1, t2, s) -> t` with a symbol: `'MERGE'` as `(t1, t2)`;
/// `'MERGE_ADD'` t2 where it has a value, else t1; `'MERGE_POINTS'` t1
/// where it has a point with a value at the instant (not a held value),
/// else t2; `'END'` t1 up to its last point, t2 after it. A time macro as
/// the symbol: t1 before the instant it names (relative to now), t2 from it.
/// `@MIX(cond, t1, t2) -> t`: t1 where `cond` is true (a value other than
/// 0 and NaN), else t2 (a NaN condition is false, as the page says, unlike
/// the `?:` operator).
/// `@MIX(index, T[, default]) -> t`: per step the member numbered by the
/// index rounded to the nearest integer, counting from 1; out of range or
/// NaN, the default's value, or NaN MISSING without one.
/// The series are aligned on the union of their instants (§3.2); each
/// step keeps the chosen operand's flags.
const MIX: Function = Function {
    name: "MIX",
    signatures: &[
        series_form(&[V::Series, V::Series]),
        series_form(&[V::Series, V::Series, V::Series]),
        series_form(&[V::Series, V::Series, V::String]),
        series_form(&[V::Series, V::SeriesArray]),
        series_form(&[V::Series, V::SeriesArray, V::Series]),
    ],
    body: mix,
    extension: None,
};

/// How `MIX(t1, t2[, s])` chooses t1 at a step.
#[derive(Clone, Copy, PartialEq)]
enum Merge {
    /// Where t1's functional value is not NaN (no symbol, `MERGE`).
    Values,
    /// Where t2's functional value is NaN (`MERGE_ADD`).
    Add,
    /// Where t1 has a point with a value at the instant (`MERGE_POINTS`).
    Points,
    /// Up to t1's last point (`END`).
    End,
    /// Before an instant (a time macro such as `DAY+1d`).
    Until(i64),
}

/// The body of [`MIX`].
fn mix(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let merge = match symbol(&args, 2).as_deref() {
        None => Merge::Values,
        Some("MERGE") => Merge::Values,
        Some("MERGE_ADD") => Merge::Add,
        Some("MERGE_POINTS") => Merge::Points,
        Some("END") => Merge::End,
        // A time macro, relative to now as `@Time`'s are.
        Some(other) => match super::time::instant(call, other) {
            Ok(Some(until)) => Merge::Until(until),
            Ok(None) => {
                return Err(FnError::Invalid(format!(
                    "@MIX: the time '{other}' is out of range"
                )))
            }
            Err(e) => {
                return Err(FnError::Invalid(format!(
                    "@MIX: '{other}' is none of END, MERGE, MERGE_ADD, MERGE_POINTS, and no time macro: {e}"
                )))
            }
        },
    };
    if let Some(Value::SeriesArray(_)) = args.get(1) {
        return mix_by_index(call, args);
    }
    let series: Vec<&Series> = args
        .iter()
        .filter_map(|a| match a {
            Value::Series(s) => Some(s),
            _ => None,
        })
        .collect();
    call.allow(ops::axis_bound(&series))?;
    let axis = ops::axis(&series);
    let columns: Vec<ops::Column> = series
        .iter()
        .map(|s| ops::read_at(s, &axis.timestamps))
        .collect();
    let (take_first, yes, no) = match (columns.as_slice(), series.first()) {
        ([cond, a, b], _) => (truthy(&cond.values), a, b),
        ([a, b], Some(first)) => {
            let mask = match merge {
                Merge::Values => boolean::not(&ops::nan_mask_of(&a.values)).expect("no nulls"),
                Merge::Add => ops::nan_mask_of(&b.values),
                Merge::Points => points_with_values(first, &axis.timestamps),
                Merge::End => match first.timestamps().values().last() {
                    Some(&last) => {
                        cmp::lt_eq(&axis.timestamps, &arrow_array::Int64Array::new_scalar(last))
                            .expect("same type")
                    }
                    None => BooleanArray::from(vec![false; axis.timestamps.len()]),
                },
                Merge::Until(until) => cmp::lt(
                    &axis.timestamps,
                    &arrow_array::Int64Array::new_scalar(until),
                )
                .expect("same type"),
            };
            (mask, a, b)
        }
        _ => return Err("@MIX: argument of no declared form".into()),
    };
    let column = ops::Column {
        values: ops::zip_f64(&take_first, &yes.values, &no.values),
        flags: ops::zip_u32(&take_first, &yes.flags, &no.flags),
    };
    Ok(Value::Series(ops::series(axis, column)))
}

/// Where `s` has a point with a value at an instant of `axis` (both
/// increasing, so one merge pass).
fn points_with_values(s: &Series, axis: &arrow_array::Int64Array) -> BooleanArray {
    let ts = s.timestamps().values();
    let vs = s.values().values();
    let mut i = 0usize;
    axis.values()
        .iter()
        .map(|&t| {
            while i < ts.len() && ts[i] < t {
                i += 1;
            }
            Some(i < ts.len() && ts[i] == t && !vs[i].is_nan())
        })
        .collect()
}

/// `MIX(index, T[, default])`: the member the rounded index names, per
/// step, in one pass over the aligned columns.
fn mix_by_index(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let mut args = args.into_iter();
    let (Some(Value::Series(index)), Some(Value::SeriesArray(members))) =
        (args.next(), args.next())
    else {
        return Err("@MIX: argument of no declared form".into());
    };
    let default = match args.next() {
        Some(Value::Series(d)) => Some(d),
        _ => None,
    };
    let mut all: Vec<&Series> = vec![&index];
    all.extend(members.iter());
    all.extend(default.iter());
    call.allow(ops::axis_bound(&all))?;
    let axis = ops::axis(&all);
    let at = |s: &Series| ops::read_at(s, &axis.timestamps);
    let picks = at(&index);
    let columns: Vec<ops::Column> = members.iter().map(at).collect();
    let fallback = default
        .as_ref()
        .map_or_else(|| ops::broadcast(f64::NAN, axis.timestamps.len()), at);
    let mut values = Vec::with_capacity(axis.timestamps.len());
    let mut flags = Vec::with_capacity(axis.timestamps.len());
    for (step, &pick) in picks.values.values().iter().enumerate() {
        // Rounded to the nearest integer (halves away from zero, as ROUND),
        // 1-based; NaN and anything out of range take the default.
        let member = pick.round();
        let chosen = if member >= 1.0 && member <= columns.len() as f64 {
            columns.get(member as usize - 1)
        } else {
            None
        };
        let (v, f) = match chosen {
            Some(c) => (c.values.value(step), c.flags.value(step)),
            None if default.is_some() => (fallback.values.value(step), fallback.flags.value(step)),
            None => (f64::NAN, MISSING),
        };
        values.push(v);
        flags.push(f);
    }
    Ok(Value::Series(ops::series(
        axis,
        ops::Column {
            values: values.into(),
            flags: flags.into(),
        },
    )))
}

/// `@MIX0(t, t) -> t`, `@MIX0(T) -> t`: per step the first member's value
/// that is there and not zero; 0 when the members are all zero or missing
/// with at least one zero; NaN, MISSING when all are missing. The chosen
/// member's flags are kept. The series are aligned on the union of their
/// instants; an empty array gives the empty series.
const MIX0: Function = Function {
    name: "MIX0",
    signatures: &[
        series_form(&[V::Series, V::Series]),
        series_form(&[V::SeriesArray]),
    ],
    body: mix0,
    extension: None,
};

/// The body of [`MIX0`].
fn mix0(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let mut members: Vec<Series> = Vec::new();
    for a in args {
        match a {
            Value::Series(s) => members.push(s),
            Value::SeriesArray(many) => members.extend(many),
            _ => return Err("@MIX0: argument of no declared form".into()),
        }
    }
    let refs: Vec<&Series> = members.iter().collect();
    if refs.is_empty() {
        return Ok(Value::Series(Series::empty_at(call.interval.start_ms)));
    }
    call.allow(ops::axis_bound(&refs))?;
    let axis = ops::axis(&refs);
    let mut columns = refs.iter().map(|s| ops::read_at(s, &axis.timestamps));
    let Some(mut chosen) = columns.next() else {
        return Ok(Value::Series(Series::empty_at(call.interval.start_ms)));
    };
    let zero = Float64Array::new_scalar(0.0);
    for c in columns {
        // A value beats a zero, a zero beats a missing value; among equals
        // the earlier member stays.
        let chosen_value = truthy(&chosen.values);
        let chosen_nan = ops::nan_mask_of(&chosen.values);
        let c_value = truthy(&c.values);
        let c_zero = cmp::eq(&canonical(&c.values), &zero).expect("same type");
        let take = boolean::or(
            &boolean::and_not(&c_value, &chosen_value).expect("same length"),
            &boolean::and(&c_zero, &chosen_nan).expect("same length"),
        )
        .expect("same length");
        chosen = ops::Column {
            values: ops::zip_f64(&take, &c.values, &chosen.values),
            flags: ops::zip_u32(&take, &c.flags, &chosen.flags),
        };
    }
    let none = ops::nan_mask_of(&chosen.values);
    let flags = ops::zip_u32(&none, &UInt32Array::new_scalar(MISSING), &chosen.flags);
    Ok(Value::Series(ops::series(
        axis,
        ops::Column {
            values: chosen.values,
            flags,
        },
    )))
}

//! Status flag functions: RESET_STATUS, STATUS_MASK, STATUS_COUNT.
//!
//! A status mask is text naming statuses joined by `|`
//! (`'missing|MANUAL'`), case-sensitive as the pages say (`manual` and
//! `MANUAL` are different statuses). Each name stands for bits of a
//! point's flags, by [`STATUS_BITS`]: the one table of status bits in the
//! engine, which the validation and correction functions (`quality.rs`)
//! set as well. A point matches a mask when it has any of its bits.

use arrow_array::{BooleanArray, Float64Array, UInt32Array};
use mesh_timeseries::flags::{MISSING, NOT_OK, SUSPECT};
use mesh_timeseries::{echo, CurveType, Resolution};

use super::logic::{logical_like, series_form};
use super::statistics::members_axis;
use super::{Call, FnError, Function, Signature};
use crate::ops;
use crate::value::{Series, Value, ValueType as V};

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[&RESET_STATUS, &STATUS_MASK, &STATUS_COUNT];

// --- the bit table ----------------------------------------------------------------

// The reference does not publish the bits of its statuses other than
// NOT_OK, MISSING and SUSPECT (calc notes §3.4). Ours sit in the low 17
// bits, away from the public ones (which are high), one bit per status and
// per method code, so that "has V01" is a plain bit test and a point can
// carry a validation and a correction at once (docs/decisions.md, "Status
// bits in expressions").

/// Changed by hand (`MANUAL`).
pub(crate) const MANUAL: u32 = 0x0000_0001;
/// Estimated by hand (`estimated`).
pub(crate) const ESTIMATED: u32 = 0x0000_0002;
/// Checked by a validation (`validated`).
pub(crate) const VALIDATED: u32 = 0x0000_0004;
/// Replaced by a correction (`corrected`).
pub(crate) const CORRECTED: u32 = 0x0000_0008;
/// Locked against changes (`locked`).
pub(crate) const LOCKED: u32 = 0x0000_0010;
/// Accepted by a person (`accepted`).
pub(crate) const ACCEPTED: u32 = 0x0000_0020;
/// A default value (`default`).
pub(crate) const DEFAULT: u32 = 0x0000_0040;
/// Validation method 1, absolute limits (ValidateAbsLimit).
pub(crate) const V01: u32 = 0x0000_0100;
/// Validation method 2, delta limit.
pub(crate) const V02: u32 = 0x0000_0200;
/// Validation method 3, delta limit extreme.
pub(crate) const V03: u32 = 0x0000_0400;
/// Validation method 4, repeated values (ValidateRepeatValue).
pub(crate) const V04: u32 = 0x0000_0800;
/// Correction method 1, constant value (CorrectConstantValue).
pub(crate) const C01: u32 = 0x0000_1000;
/// Correction method 2, copy of the previous value (CorrectCopyValue).
pub(crate) const C02: u32 = 0x0000_2000;
/// Correction method 3, interpolation (CorrectInterpolate).
pub(crate) const C03: u32 = 0x0000_4000;
/// Correction method 4, extrapolation.
pub(crate) const C04: u32 = 0x0000_8000;
/// Correction method 5, average value.
pub(crate) const C05: u32 = 0x0001_0000;

/// Every status name a mask may use, with its bits, in the pages' order.
/// `novalue` and `missing` are the one public bit a step without a value
/// carries; `manual` is either of its two kinds (the pages: "both manually
/// changed and estimated").
pub(crate) const STATUS_BITS: &[(&str, u32)] = &[
    ("novalue", MISSING),
    ("notok", NOT_OK),
    ("missing", MISSING),
    ("suspect", SUSPECT),
    ("manual", MANUAL | ESTIMATED),
    ("MANUAL", MANUAL),
    ("estimated", ESTIMATED),
    ("validated", VALIDATED),
    ("corrected", CORRECTED),
    ("locked", LOCKED),
    ("accepted", ACCEPTED),
    ("default", DEFAULT),
    ("V01", V01),
    ("V02", V02),
    ("V03", V03),
    ("V04", V04),
    ("C01", C01),
    ("C02", C02),
    ("C03", C03),
    ("C04", C04),
    ("C05", C05),
];

/// The bits of a status mask such as `'notok|manual|V01'`: names
/// case-sensitive, spaces around them ignored. An unknown or empty name is
/// an error naming it and the known ones.
pub(crate) fn mask_bits(function: &str, text: &str) -> Result<u32, FnError> {
    let mut bits = 0;
    for name in text.split('|').map(str::trim) {
        let Some((_, b)) = STATUS_BITS.iter().find(|(n, _)| *n == name) else {
            let known: Vec<&str> = STATUS_BITS.iter().map(|(n, _)| *n).collect();
            return Err(FnError::Invalid(format!(
                "@{function}: unknown status '{}' in the mask '{}'; the known ones are {} (case-sensitive)",
                echo(name),
                echo(text),
                known.join(", ")
            )));
        };
        bits |= b;
    }
    Ok(bits)
}

/// Where a point's flags have any of `bits`.
fn matching(series: &Series, bits: u32) -> BooleanArray {
    series
        .flags()
        .values()
        .iter()
        .map(|f| Some(f & bits != 0))
        .collect()
}

// --- RESET_STATUS -----------------------------------------------------------------

/// `@RESET_STATUS(t)`: every flag bit cleared, values kept (a NaN stays
/// NaN, now with no flag: the page says all status goes).
/// `@RESET_STATUS(t, s mask)`: only the mask's bits cleared.
/// `@RESET_STATUS(t, d bits)`: the given bits cleared (the page's
/// "internal use" form): a whole number from 0 to 2³²−1.
const RESET_STATUS: Function = Function {
    name: "RESET_STATUS",
    signatures: &[
        series_form(&[V::Series]),
        series_form(&[V::Series, V::Number]),
        series_form(&[V::Series, V::String]),
    ],
    body: reset_status,
    extension: None,
};

/// The bits a raw number names, checked: flags are 32 bits.
fn number_bits(d: f64) -> Result<u32, FnError> {
    if d >= 0.0 && d <= f64::from(u32::MAX) && d.fract() == 0.0 {
        Ok(d as u32)
    } else {
        Err(FnError::Invalid(format!(
            "@RESET_STATUS: the bits to clear are a whole number from 0 to {}, not {d}",
            u32::MAX
        )))
    }
}

/// The body of [`RESET_STATUS`].
fn reset_status(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let (series, bits) = match args.as_slice() {
        [Value::Series(s)] => (s, u32::MAX),
        [Value::Series(s), Value::Number(d)] => (s, number_bits(*d)?),
        [Value::Series(s), Value::String(text)] => (s, mask_bits("RESET_STATUS", text)?),
        _ => return Err("@RESET_STATUS: argument of no declared form".into()),
    };
    let flags = arrow_arith::arity::unary(series.flags(), |f: u32| f & !bits);
    Ok(Value::Series(
        series.with_columns(series.values().clone(), flags),
    ))
}

// --- STATUS_MASK ------------------------------------------------------------------

/// `@STATUS_MASK(t, s mask, s op)`: by the points whose flags match the
/// mask, with `op` (case-insensitive): `BOOL` a logical series, 0 where a
/// point matches and 1 elsewhere; `BOOLINV` the reverse; `REMOVE` the
/// matching points dropped, as a breakpoint series (the page) keeping the
/// others' values, flags and the curve; `BLANK` the matching values made
/// NaN, their flags kept and MISSING added (a NaN step says it has no
/// value, as reads do).
const STATUS_MASK: Function = Function {
    name: "STATUS_MASK",
    signatures: &[series_form(&[V::Series, V::String, V::String])],
    body: status_mask,
    extension: None,
};

/// What STATUS_MASK does with the matching points.
#[derive(Clone, Copy)]
enum MaskOp {
    /// 0 where matching, 1 elsewhere.
    Bool,
    /// 1 where matching, 0 elsewhere.
    BoolInv,
    /// Matching points dropped.
    Remove,
    /// Matching values NaN.
    Blank,
}

/// The operation a symbol names.
fn mask_op(symbol: &str) -> Result<MaskOp, FnError> {
    match symbol.trim().to_ascii_uppercase().as_str() {
        "BOOL" => Ok(MaskOp::Bool),
        "BOOLINV" => Ok(MaskOp::BoolInv),
        "REMOVE" => Ok(MaskOp::Remove),
        "BLANK" => Ok(MaskOp::Blank),
        _ => Err(FnError::Invalid(format!(
            "@STATUS_MASK: the operation must be BOOL, BOOLINV, REMOVE or BLANK, not '{}'",
            echo(symbol)
        ))),
    }
}

/// The body of [`STATUS_MASK`].
fn status_mask(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let [Value::Series(series), Value::String(mask), Value::String(op)] = args.as_slice() else {
        return Err("@STATUS_MASK: argument of no declared form".into());
    };
    let bits = mask_bits("STATUS_MASK", mask)?;
    let op = mask_op(op)?;
    let hit = matching(series, bits);
    let result = match op {
        MaskOp::BoolInv => logical_like(series, &hit),
        MaskOp::Bool => logical_like(series, &arrow_arith::boolean::not(&hit).expect("no nulls")),
        MaskOp::Blank => {
            let values = ops::zip_f64(&hit, &Float64Array::new_scalar(f64::NAN), series.values());
            let flags = arrow_arith::arity::binary(series.flags(), &hit_bits(&hit), |f, m| f | m)
                .expect("same length");
            series.with_columns(values, flags)
        }
        MaskOp::Remove => remove(series, &hit),
    };
    Ok(Value::Series(result))
}

/// MISSING where `hit` holds, else no bit.
fn hit_bits(hit: &BooleanArray) -> UInt32Array {
    ops::zip_u32(
        hit,
        &UInt32Array::new_scalar(MISSING),
        &UInt32Array::new_scalar(0),
    )
}

/// `series` without the points where `hit` holds, as a breakpoint series.
fn remove(series: &Series, hit: &BooleanArray) -> Series {
    let kept: Vec<usize> = (0..series.len()).filter(|&i| !hit.value(i)).collect();
    let pick = |i: &usize| (series.timestamps().value(*i), series.values().value(*i));
    let (timestamps, values): (Vec<i64>, Vec<f64>) = kept.iter().map(pick).unzip();
    let flags: Vec<u32> = kept.iter().map(|&i| series.flags().value(i)).collect();
    Series::from_parts(
        timestamps.into(),
        values.into(),
        flags.into(),
        Resolution::Breakpoint,
        series.curve(),
    )
}

// --- STATUS_COUNT -----------------------------------------------------------------

/// `@STATUS_COUNT(t, s mask) -> d`: how many points read match the mask
/// (a linear series' end point included, as `SUM(t)` counts it).
/// `@STATUS_COUNT(T, s mask) -> t`: per step, how many members match
/// there. The page wants members of one resolution; others are accepted
/// and aligned as MEAN aligns them (union of the instants, breakpoint when
/// the resolutions differ), each member read by its functional value, so
/// a member with no point yet at an instant counts as missing there. The
/// counts have flags 0 and a staircase curve; an empty array gives the
/// empty series.
const STATUS_COUNT: Function = Function {
    name: "STATUS_COUNT",
    signatures: &[
        Signature {
            params: &[V::Series, V::String],
            returns: V::Number,
        },
        series_form(&[V::SeriesArray, V::String]),
    ],
    body: status_count,
    extension: None,
};

/// The body of [`STATUS_COUNT`].
fn status_count(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    match args.as_slice() {
        [Value::Series(s), Value::String(mask)] => {
            let bits = mask_bits("STATUS_COUNT", mask)?;
            Ok(Value::Number(matching(s, bits).true_count() as f64))
        }
        [Value::SeriesArray(members), Value::String(mask)] => {
            let bits = mask_bits("STATUS_COUNT", mask)?;
            let refs: Vec<&Series> = members.iter().collect();
            if refs.is_empty() {
                return Ok(Value::Series(Series::empty_at(call.interval.start_ms)));
            }
            let axis = members_axis(call, &refs)?;
            let mut counts = vec![0.0f64; axis.timestamps.len()];
            for member in &refs {
                let column = ops::read_at(member, &axis.timestamps);
                for (count, f) in counts.iter_mut().zip(column.flags.values()) {
                    if f & bits != 0 {
                        *count += 1.0;
                    }
                }
            }
            let len = counts.len();
            Ok(Value::Series(Series::from_parts(
                axis.timestamps,
                counts.into(),
                UInt32Array::from_value(0, len),
                axis.resolution,
                CurveType::StaircaseStartOfStep,
            )))
        }
        _ => Err("@STATUS_COUNT: argument of no declared form".into()),
    }
}

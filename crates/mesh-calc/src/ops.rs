//! Operators over aligned columns, vectorised with Arrow kernels.
//!
//! Operands are first brought onto one time axis ([`align`]): the union of
//! their instants, each operand read there by its functional value (calc
//! notes §3.2). Numbers are broadcast. The operator then runs as whole
//! column kernels; the status rules of §3.4 become masks.

use arrow_arith::{boolean, numeric};
use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, UInt32Array};
use arrow_ord::cmp;
use arrow_select::zip::zip;
use mesh_timeseries::flags::{MISSING, NOT_OK, SUSPECT};
use mesh_timeseries::{CurveType, Resolution};

use crate::ast::BinaryOp;
use crate::value::Series;

/// One operand read on the common axis.
pub(crate) struct Column {
    pub values: Float64Array,
    pub flags: UInt32Array,
}

/// The common axis of some series: instants, resolution, curve.
pub(crate) struct Axis {
    pub timestamps: Int64Array,
    pub resolution: Resolution,
    pub curve: CurveType,
}

/// Upper bound of the axis length of `series` (for the point budget,
/// checked before anything is allocated).
pub(crate) fn axis_bound(series: &[&Series]) -> usize {
    series.iter().map(|s| s.len()).sum()
}

/// The union of the series' instants; the finer resolution wins
/// (breakpoint counts as finest, its instants being irregular), and the
/// result is linear if any operand is (calc notes §3.2).
pub(crate) fn axis(series: &[&Series]) -> Axis {
    let mut all: Vec<i64> = Vec::with_capacity(axis_bound(series));
    for s in series {
        all.extend_from_slice(s.timestamps().values());
    }
    all.sort_unstable();
    all.dedup();
    let resolution = series
        .iter()
        .map(|s| s.resolution())
        .min()
        .unwrap_or(Resolution::Breakpoint);
    let curve = if series.iter().any(|s| s.is_linear()) {
        CurveType::PiecewiseLinear
    } else {
        CurveType::StaircaseStartOfStep
    };
    Axis {
        timestamps: all.into(),
        resolution,
        curve,
    }
}

/// `series` read at every instant of `axis` by its functional value:
/// a staircase holds its last point; a linear curve interpolates between
/// two valid points. Before the first point there is no value (NaN,
/// MISSING). Next to NaN on a linear curve (§3.2, SDK evidence): from a
/// valid point towards a NaN point the value is NaN MISSING; from a NaN
/// point on it is NaN with that point's flags.
pub(crate) fn read_at(series: &Series, axis: &Int64Array) -> Column {
    let ts = series.timestamps().values();
    let vs = series.values().values();
    let fs = series.flags().values();
    let linear = series.is_linear();
    let mut values = Vec::with_capacity(axis.len());
    let mut flags = Vec::with_capacity(axis.len());
    let mut i = 0usize; // first point after the instant
    for &t in axis.values().iter() {
        while i < ts.len() && ts[i] <= t {
            i += 1;
        }
        let (v, f) = if i == 0 {
            (f64::NAN, MISSING)
        } else {
            let p = i - 1;
            if ts[p] == t || !linear {
                (vs[p], fs[p])
            } else if vs[p].is_nan() {
                (f64::NAN, fs[p])
            } else if i == ts.len() || vs[i].is_nan() {
                (f64::NAN, MISSING)
            } else {
                (interpolate((ts[p], vs[p]), (ts[i], vs[i]), t), fs[p])
            }
        };
        values.push(v);
        flags.push(f);
    }
    Column {
        values: values.into(),
        flags: flags.into(),
    }
}

/// The value at `t` on the straight line through `from` and `to`
/// (instant, value), `from` before `to`.
pub(crate) fn interpolate(from: (i64, f64), to: (i64, f64), t: i64) -> f64 {
    // Differences as unsigned: instants near both ends of i64 must not
    // overflow.
    let w = t.abs_diff(from.0) as f64 / to.0.abs_diff(from.0) as f64;
    from.1 + (to.1 - from.1) * w
}

/// A number as a column of `len` equal values with no flags.
pub(crate) fn broadcast(value: f64, len: usize) -> Column {
    Column {
        values: Float64Array::from_value(value, len),
        flags: UInt32Array::from_value(0, len),
    }
}

fn nan_mask(values: &Float64Array) -> BooleanArray {
    values.values().iter().map(|v| Some(v.is_nan())).collect()
}

fn truthy_mask(values: &Float64Array) -> BooleanArray {
    values
        .values()
        .iter()
        .map(|x| Some(*x != 0.0 && !x.is_nan()))
        .collect()
}

fn f64s(array: ArrayRef) -> Float64Array {
    array
        .as_any()
        .downcast_ref::<Float64Array>()
        .cloned()
        .unwrap_or_else(|| Float64Array::from(Vec::<f64>::new()))
}

fn u32s(array: ArrayRef) -> UInt32Array {
    array
        .as_any()
        .downcast_ref::<UInt32Array>()
        .cloned()
        .unwrap_or_else(|| UInt32Array::from(Vec::<u32>::new()))
}

fn zero_nan(values: &Float64Array) -> Float64Array {
    arrow_arith::arity::unary(values, |v: f64| if v.is_nan() { 0.0 } else { v })
}

fn bools_to_f64(mask: &BooleanArray) -> Float64Array {
    mask.iter()
        .map(|b| Some(if b == Some(true) { 1.0 } else { 0.0 }))
        .collect()
}

/// Where `mask` holds, `value` and flags `flag`; elsewhere keep `column`.
fn override_where(mask: &BooleanArray, value: f64, flag: u32, column: Column) -> Column {
    if mask.true_count() == 0 {
        return column;
    }
    Column {
        values: f64s(
            zip(mask, &Float64Array::new_scalar(value), &column.values).expect("same length"),
        ),
        flags: u32s(zip(mask, &UInt32Array::new_scalar(flag), &column.flags).expect("same length")),
    }
}

/// `a op b` on aligned columns of equal length, with the status rules of
/// calc notes §3.4. The operands' own flags are not carried into the
/// result (§3.4, SDK evidence of TsCalcAtt): only the rule's flags are.
pub(crate) fn binary(op: BinaryOp, a: &Column, b: &Column) -> Column {
    let len = a.values.len();
    let an = nan_mask(&a.values);
    let bn = nan_mask(&b.values);
    let either = boolean::or(&an, &bn).expect("same length");
    let clean = |values: Float64Array| Column {
        values,
        flags: UInt32Array::from_value(0, len),
    };
    match op {
        // §3.4: a NaN operand of + or − is skipped (read as 0) and the step
        // is SUSPECT (`NaN + 10 = 10`, `10 − NaN = 10`); both NaN gives
        // NaN, MISSING. `NaN − 10` is not covered by the notes: reading the
        // missing operand as 0 gives −10 (docs/decisions.md).
        BinaryOp::Add | BinaryOp::Sub => {
            let (a0, b0) = (zero_nan(&a.values), zero_nan(&b.values));
            let v = if op == BinaryOp::Add {
                numeric::add(&a0, &b0)
            } else {
                numeric::sub(&a0, &b0)
            };
            let flags = u32s(
                zip(
                    &either,
                    &UInt32Array::new_scalar(SUSPECT),
                    &UInt32Array::new_scalar(0),
                )
                .expect("same length"),
            );
            // SUSPECT means "a component is missing" (§3.4), so it stays
            // set through chained sums (`NaN + x + y`, SUM of an array);
            // other operand bits are not carried (the TsCalcAtt evidence).
            let carried =
                arrow_arith::arity::binary(&a.flags, &b.flags, |x: u32, y: u32| (x | y) & SUSPECT)
                    .expect("same length");
            let flags = arrow_arith::bitwise::bitwise_or(&flags, &carried).expect("same length");
            let column = Column {
                values: f64s(v.expect("float arithmetic")),
                flags,
            };
            let both = boolean::and(&an, &bn).expect("same length");
            override_where(&both, f64::NAN, MISSING, column)
        }
        // §3.4: `10 * NaN = NaN`, SUSPECT|MISSING. `^` follows `*`.
        BinaryOp::Mul | BinaryOp::Pow => {
            let v = if op == BinaryOp::Mul {
                f64s(numeric::mul(&a.values, &b.values).expect("float arithmetic"))
            } else {
                arrow_arith::arity::binary(&a.values, &b.values, f64::powf).expect("same length")
            };
            override_where(&either, f64::NAN, SUSPECT | MISSING, clean(v))
        }
        // §3.4: `10 / NaN = NaN`, NOT_OK|MISSING; NaN on the left and a
        // zero divisor are treated alike (docs/decisions.md), so no
        // infinity leaves the engine.
        BinaryOp::Div => {
            let zero = cmp::eq(&b.values, &Float64Array::new_scalar(0.0)).expect("same type");
            let bad = boolean::or(&either, &zero).expect("same length");
            let v = f64s(numeric::div(&a.values, &b.values).expect("float arithmetic"));
            override_where(&bad, f64::NAN, NOT_OK | MISSING, clean(v))
        }
        // Comparisons and logic give 1/0; a NaN operand gives NaN, MISSING
        // (the notes are silent: docs/decisions.md).
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne => {
            let mask = match op {
                BinaryOp::Lt => cmp::lt(&a.values, &b.values),
                BinaryOp::Le => cmp::lt_eq(&a.values, &b.values),
                BinaryOp::Gt => cmp::gt(&a.values, &b.values),
                BinaryOp::Ge => cmp::gt_eq(&a.values, &b.values),
                BinaryOp::Eq => cmp::eq(&a.values, &b.values),
                _ => cmp::neq(&a.values, &b.values),
            }
            .expect("same type");
            override_where(&either, f64::NAN, MISSING, clean(bools_to_f64(&mask)))
        }
        BinaryOp::And | BinaryOp::Or => {
            let (at, bt) = (truthy_mask(&a.values), truthy_mask(&b.values));
            let mask = if op == BinaryOp::And {
                boolean::and(&at, &bt)
            } else {
                boolean::or(&at, &bt)
            }
            .expect("same length");
            override_where(&either, f64::NAN, MISSING, clean(bools_to_f64(&mask)))
        }
    }
}

/// `-a`: flags kept (a sign change does not alter the quality).
pub(crate) fn negate(a: &Column) -> Column {
    Column {
        values: f64s(numeric::neg(&a.values).expect("float negation")),
        flags: a.flags.clone(),
    }
}

/// `!a`: 1 where a is 0, else 0; NaN gives NaN, MISSING.
pub(crate) fn not(a: &Column) -> Column {
    let zero = cmp::eq(&a.values, &Float64Array::new_scalar(0.0)).expect("same type");
    let column = Column {
        values: bools_to_f64(&zero),
        flags: UInt32Array::from_value(0, a.values.len()),
    };
    override_where(&nan_mask(&a.values), f64::NAN, MISSING, column)
}

/// `cond ? yes : no` per step: the chosen operand's value and flags; a
/// NaN condition gives NaN, MISSING.
pub(crate) fn select(cond: &Column, yes: &Column, no: &Column) -> Column {
    let mask = truthy_mask(&cond.values);
    let column = Column {
        values: f64s(zip(&mask, &yes.values, &no.values).expect("same length")),
        flags: u32s(zip(&mask, &yes.flags, &no.flags).expect("same length")),
    };
    override_where(&nan_mask(&cond.values), f64::NAN, MISSING, column)
}

/// A series from the axis and a computed column.
pub(crate) fn series(axis: Axis, column: Column) -> Series {
    Series::from_parts(
        axis.timestamps,
        column.values,
        column.flags,
        axis.resolution,
        axis.curve,
    )
}

// Helpers for the function library (math, statistics, logic): the same
// kernels as the operators above, for bodies that choose per step.

/// A series' own points as a column, for functions that keep its axis.
pub(crate) fn column_of(series: &Series) -> Column {
    Column {
        values: series.values().clone(),
        flags: series.flags().clone(),
    }
}

/// Where `values` are NaN (any NaN payload).
pub(crate) fn nan_mask_of(values: &Float64Array) -> BooleanArray {
    nan_mask(values)
}

/// `yes` where `mask` holds, else `no`: values (arrays of the mask's
/// length or scalars).
pub(crate) fn zip_f64(
    mask: &BooleanArray,
    yes: &dyn arrow_array::Datum,
    no: &dyn arrow_array::Datum,
) -> Float64Array {
    f64s(zip(mask, yes, no).expect("same length and type"))
}

/// `yes` where `mask` holds, else `no`: flags (arrays of the mask's
/// length or scalars).
pub(crate) fn zip_u32(
    mask: &BooleanArray,
    yes: &dyn arrow_array::Datum,
    no: &dyn arrow_array::Datum,
) -> UInt32Array {
    u32s(zip(mask, yes, no).expect("same length and type"))
}

//! Operators over aligned columns, vectorised with Arrow kernels.
//!
//! Operands are first brought onto one time axis ([`align`]): the union of
//! their instants, each operand read there by its functional value (calc
//! notes §3.2). Numbers are broadcast. The operator then runs as whole
//! column kernels; the status rules of §3.4 become masks.

use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, UInt32Array};
use arrow_buffer::BooleanBuffer;
use arrow_select::zip::zip;
use mesh_timeseries::flags::{MISSING, NOT_OK, SUSPECT};
use mesh_timeseries::{CurveType, Resolution};

use crate::ast::BinaryOp;
use crate::value::Series;

/// The first index at or after `from` whose instant is not before
/// `bound`, in increasing `instants`: a galloping search from `from`, so a
/// walk over many short steps touches only the memory near its position
/// (a binary search over the rest would miss the cache on every probe).
pub(crate) fn first_not_before(instants: &[i64], from: usize, bound: i64) -> usize {
    let rest = instants.get(from..).unwrap_or(&[]);
    let mut reach = 1usize;
    while reach < rest.len() && rest[reach - 1] < bound {
        reach = reach.saturating_mul(2);
    }
    let window = &rest[reach / 2..reach.min(rest.len())];
    from + reach / 2 + window.partition_point(|&t| t < bound)
}

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
    let timestamps = shared_instants(series).unwrap_or_else(|| merged_instants(series));
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
        timestamps,
        resolution,
        curve,
    }
}

/// The instants, when every series has the same ones (series of one
/// resolution over one period, the common case): shared, not copied.
fn shared_instants(series: &[&Series]) -> Option<Int64Array> {
    let (first, rest) = series.split_first()?;
    let instants = first.timestamps();
    rest.iter()
        .all(|s| same_instants(s.timestamps(), instants))
        .then(|| instants.clone())
}

/// Whether two instant columns are equal: the same buffer, or equal values.
fn same_instants(a: &Int64Array, b: &Int64Array) -> bool {
    a.len() == b.len()
        && (std::ptr::eq(a.values().as_ptr(), b.values().as_ptr()) || a.values() == b.values())
}

/// The sorted union of increasing instant columns, merged pairwise in
/// linear passes (series are few; their instants are already sorted).
fn merged_instants(series: &[&Series]) -> Int64Array {
    let mut all: Vec<i64> = Vec::new();
    for s in series {
        all = merge_sorted(&all, s.timestamps().values());
    }
    all.into()
}

/// The union of two increasing slices, each instant once.
fn merge_sorted(a: &[i64], b: &[i64]) -> Vec<i64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let next = a[i].min(b[j]);
        out.push(next);
        i += usize::from(a[i] == next);
        j += usize::from(b[j] == next);
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// `series` read at every instant of `axis` by its functional value:
/// a staircase holds its last point; a linear curve interpolates between
/// two valid points. Before the first point there is no value (NaN,
/// MISSING). Next to NaN on a linear curve (§3.2, SDK evidence): from a
/// valid point towards a NaN point the value is NaN MISSING; from a NaN
/// point on it is NaN with that point's flags.
pub(crate) fn read_at(series: &Series, axis: &Int64Array) -> Column {
    if same_instants(series.timestamps(), axis) {
        // Read at its own instants, a series is its points.
        return column_of(series);
    }
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
    let v = values.values();
    BooleanArray::new(
        BooleanBuffer::collect_bool(v.len(), |i| v[i].is_nan()),
        None,
    )
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

/// The language's truth: a value, not zero (−0 is zero).
fn truthy(x: f64) -> bool {
    x != 0.0 && !x.is_nan()
}

/// 1 or 0.
fn one_if(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// One pass over aligned columns of equal length: `step` gives each
/// step's value and flags from the operands' values and flags.
///
/// The status rules make every operator a few masks and selects; as
/// separate Arrow kernels that was six to eight passes and as many
/// allocations per operator, so each operator is one fused loop instead
/// (docs/decisions.md, "The engine's inner loops"). Floats compare by
/// IEEE 754 here (−0 = 0), not by the total order of Arrow's comparison
/// kernels.
fn zip_steps(a: &Column, b: &Column, step: impl Fn(f64, f64, u32, u32) -> (f64, u32)) -> Column {
    let len = a.values.len().min(b.values.len());
    let mut values = Vec::with_capacity(len);
    let mut flags = Vec::with_capacity(len);
    let operands = a.values.values().iter().zip(b.values.values().iter());
    let marks = a.flags.values().iter().zip(b.flags.values().iter());
    for ((&x, &y), (&fx, &fy)) in operands.zip(marks) {
        let (v, f) = step(x, y, fx, fy);
        values.push(v);
        flags.push(f);
    }
    Column {
        values: values.into(),
        flags: flags.into(),
    }
}

/// `a op b` on aligned columns of equal length, with the status rules of
/// calc notes §3.4. The operands' own flags are not carried into the
/// result (§3.4, SDK evidence of TsCalcAtt): only the rule's flags are.
pub(crate) fn binary(op: BinaryOp, a: &Column, b: &Column) -> Column {
    match op {
        // §3.4: a NaN operand of + or − is skipped (read as 0) and the step
        // is SUSPECT (`NaN + 10 = 10`, `10 − NaN = 10`); both NaN gives
        // NaN, MISSING. `NaN − 10` is not covered by the notes: reading the
        // missing operand as 0 gives −10 (docs/decisions.md). SUSPECT means
        // "a component is missing" (§3.4), so it stays set through chained
        // sums (`NaN + x + y`, SUM of an array); other operand bits are
        // not carried (the TsCalcAtt evidence).
        BinaryOp::Add | BinaryOp::Sub => {
            let sign = if op == BinaryOp::Add { 1.0 } else { -1.0 };
            zip_steps(a, b, |x, y, fx, fy| match (x.is_nan(), y.is_nan()) {
                (false, false) => (x + sign * y, (fx | fy) & SUSPECT),
                (true, true) => (f64::NAN, MISSING),
                (true, false) => (sign * y, SUSPECT),
                (false, true) => (x, SUSPECT),
            })
        }
        // §3.4: `10 * NaN = NaN`, SUSPECT|MISSING. `^` follows `*`.
        BinaryOp::Mul | BinaryOp::Pow => {
            let f = if op == BinaryOp::Mul {
                |x: f64, y: f64| x * y
            } else {
                f64::powf
            };
            zip_steps(a, b, |x, y, _, _| {
                if x.is_nan() || y.is_nan() {
                    (f64::NAN, SUSPECT | MISSING)
                } else {
                    (f(x, y), 0)
                }
            })
        }
        // §3.4: `10 / NaN = NaN`, NOT_OK|MISSING; NaN on the left and a
        // zero divisor (−0 included) are treated alike
        // (docs/decisions.md), so no infinity leaves the engine.
        BinaryOp::Div => zip_steps(a, b, |x, y, _, _| {
            if x.is_nan() || y.is_nan() || y == 0.0 {
                (f64::NAN, NOT_OK | MISSING)
            } else {
                (x / y, 0)
            }
        }),
        // Comparisons and logic give 1/0; a NaN operand gives NaN, MISSING
        // (the notes are silent: docs/decisions.md).
        _ => {
            let test: fn(f64, f64) -> bool = match op {
                BinaryOp::Lt => |x, y| x < y,
                BinaryOp::Le => |x, y| x <= y,
                BinaryOp::Gt => |x, y| x > y,
                BinaryOp::Ge => |x, y| x >= y,
                BinaryOp::Eq => |x, y| x == y,
                BinaryOp::Ne => |x, y| x != y,
                BinaryOp::And => |x, y| truthy(x) && truthy(y),
                _ => |x, y| truthy(x) || truthy(y),
            };
            zip_steps(a, b, |x, y, _, _| {
                if x.is_nan() || y.is_nan() {
                    (f64::NAN, MISSING)
                } else {
                    (one_if(test(x, y)), 0)
                }
            })
        }
    }
}

/// `a op b` as [`binary`], but NaN MISSING wherever either operand is NaN
/// (history's `DeltaNaNIsNaN`).
pub(crate) fn binary_nan_is_nan(op: BinaryOp, a: &Column, b: &Column) -> Column {
    let plain = binary(op, a, b);
    let marks = zip_steps(a, b, |x, y, _, _| (one_if(x.is_nan() || y.is_nan()), 0));
    zip_steps(&plain, &marks, |v, nan, f, _| {
        if nan == 1.0 {
            (f64::NAN, MISSING)
        } else {
            (v, f)
        }
    })
}

/// `-a`: flags kept (a sign change does not alter the quality).
pub(crate) fn negate(a: &Column) -> Column {
    Column {
        values: arrow_arith::arity::unary(&a.values, |v: f64| -v),
        flags: a.flags.clone(),
    }
}

/// `!a`: 1 where a is 0 (−0 included), else 0; NaN gives NaN, MISSING.
pub(crate) fn not(a: &Column) -> Column {
    zip_steps(a, a, |x, _, _, _| {
        if x.is_nan() {
            (f64::NAN, MISSING)
        } else {
            (one_if(x == 0.0), 0)
        }
    })
}

/// `cond ? yes : no` per step: the chosen operand's value and flags; a
/// NaN condition gives NaN, MISSING.
pub(crate) fn select(cond: &Column, yes: &Column, no: &Column) -> Column {
    let len = cond.values.len().min(yes.values.len()).min(no.values.len());
    let mut values = Vec::with_capacity(len);
    let mut flags = Vec::with_capacity(len);
    for (i, &c) in cond.values.values()[..len].iter().enumerate() {
        let (v, f) = if c.is_nan() {
            (f64::NAN, MISSING)
        } else if truthy(c) {
            (yes.values.values()[i], yes.flags.values()[i])
        } else {
            (no.values.values()[i], no.flags.values()[i])
        };
        values.push(v);
        flags.push(f);
    }
    Column {
        values: values.into(),
        flags: flags.into(),
    }
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

#[cfg(test)]
mod tests {
    use super::first_not_before;

    /// The galloping search agrees with a plain scan everywhere.
    #[test]
    fn first_not_before_matches_a_scan() {
        let instants: Vec<i64> = (0..200).map(|i| i * 10 + (i % 7)).collect();
        for from in 0..=instants.len() + 1 {
            for bound in -2..2_010 {
                let want = (from..instants.len())
                    .find(|&k| instants[k] >= bound)
                    .unwrap_or(instants.len().max(from));
                assert_eq!(
                    first_not_before(&instants, from, bound),
                    want,
                    "{from} {bound}"
                );
            }
        }
    }
}

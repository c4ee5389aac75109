//! The lookup `@t` and two simple functions showing the dispatch.

use arrow_array::Float64Array;
use mesh_timeseries::flags::MISSING;
use mesh_timeseries::{CurveType, Resolution};

use super::{Call, Function, Signature};
use crate::ast::BinaryOp;
use crate::context::SeriesRef;
use crate::ops;
use crate::value::{Series, Value, ValueType as V};

/// `@t()` (the target's series) and `@t(s)` (a search).
pub(super) const LOOKUP_T: Function = Function {
    name: "t",
    signatures: &[
        Signature {
            params: &[],
            returns: V::Series,
        },
        Signature {
            params: &[V::String],
            returns: V::Series,
        },
    ],
    body: lookup_t,
};

fn lookup_t(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    let reference = match args.into_iter().next() {
        Some(Value::String(query)) => SeriesRef::Search(query),
        _ => SeriesRef::Target,
    };
    let found = call
        .context
        .series(&reference, call.interval)
        .map_err(|e| e.to_string())?;
    // A failed lookup gives the "empty series" (calc notes §2.4): a
    // breakpoint series with one NaN point at the start of the period.
    Ok(Value::Series(
        found.unwrap_or_else(|| empty_series(call.interval.start_ms)),
    ))
}

/// The "empty series" of calc notes §2.4.
fn empty_series(start_ms: i64) -> Series {
    Series::from_parts(
        vec![start_ms].into(),
        vec![f64::NAN].into(),
        vec![MISSING].into(),
        Resolution::Breakpoint,
        CurveType::StaircaseStartOfStep,
    )
}

/// `@ABS(d) -> d`, `@ABS(t) -> t`: flags kept.
pub(super) const ABS: Function = Function {
    name: "ABS",
    signatures: &[
        Signature {
            params: &[V::Number],
            returns: V::Number,
        },
        Signature {
            params: &[V::Series],
            returns: V::Series,
        },
    ],
    body: abs,
};

fn abs(_: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    match args.into_iter().next() {
        Some(Value::Number(x)) => Ok(Value::Number(x.abs())),
        Some(Value::Series(s)) => {
            let values: Float64Array = arrow_arith::arity::unary(s.values(), f64::abs);
            Ok(Value::Series(Series::from_parts(
                s.timestamps().clone(),
                values,
                s.flags().clone(),
                s.resolution(),
                s.curve(),
            )))
        }
        _ => Err("@ABS: argument of no declared form".to_string()),
    }
}

/// `@SUM(t) -> d`: the sum of the non-NaN values read (a linear series'
/// end point included, §7); NaN when there is none. `@SUM(D) -> d`: NaN as
/// soon as a member is NaN or the array is empty (the TsCalcAtt evidence,
/// calc notes §6.3). `@SUM(T) -> t`: per step with the `+` rule (a
/// missing member marks the step SUSPECT, fn/status via §3.4); an empty
/// array gives the empty series, so the answer is still one series.
pub(super) const SUM: Function = Function {
    name: "SUM",
    signatures: &[
        Signature {
            params: &[V::Series],
            returns: V::Number,
        },
        Signature {
            params: &[V::Numbers],
            returns: V::Number,
        },
        Signature {
            params: &[V::SeriesArray],
            returns: V::Series,
        },
    ],
    body: sum,
};

fn sum(call: &Call<'_>, args: Vec<Value>) -> Result<Value, String> {
    match args.into_iter().next() {
        Some(Value::Series(s)) => {
            let valid: Vec<f64> = s
                .values()
                .values()
                .iter()
                .copied()
                .filter(|v| !v.is_nan())
                .collect();
            if valid.is_empty() {
                return Ok(Value::Number(f64::NAN));
            }
            let valid = Float64Array::from(valid);
            Ok(Value::Number(
                arrow_arith::aggregate::sum(&valid).unwrap_or(f64::NAN),
            ))
        }
        Some(Value::Numbers(d)) => {
            if d.is_empty() {
                return Ok(Value::Number(f64::NAN));
            }
            Ok(Value::Number(d.iter().sum()))
        }
        Some(Value::SeriesArray(members)) => {
            let refs: Vec<&Series> = members.iter().collect();
            if refs.is_empty() {
                return Ok(Value::Series(empty_series(call.interval.start_ms)));
            }
            let axis = ops::axis(&refs);
            let mut columns = refs.iter().map(|s| ops::read_at(s, &axis.timestamps));
            let first = columns.next().expect("one member at least");
            let total = columns.fold(first, |acc, c| ops::binary(BinaryOp::Add, &acc, &c));
            Ok(Value::Series(ops::series(axis, total)))
        }
        _ => Err("@SUM: argument of no declared form".to_string()),
    }
}

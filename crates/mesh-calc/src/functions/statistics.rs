//! Statistics over series, arrays and periods.

use arrow_array::Float64Array;

use super::{Call, FnError, Function, Signature};
use crate::ast::BinaryOp;
use crate::ops;
use crate::value::{Series, Value, ValueType as V};

/// The statistics functions.
pub(super) const FUNCTIONS: &[&Function] = &[&SUM];

/// `@SUM(t) -> d`: the sum of the non-NaN values read (a linear series'
/// end point included, §7); NaN when there is none. `@SUM(D) -> d`: NaN as
/// soon as a member is NaN or the array is empty (the TsCalcAtt evidence,
/// calc notes §6.3). `@SUM(T) -> t`: per step with the `+` rule (a
/// missing member marks the step SUSPECT, fn/status via §3.4); an empty
/// array gives the empty series, so the answer is still one series.
const SUM: Function = Function {
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
    extension: None,
};

fn sum(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    match args.into_iter().next() {
        Some(Value::Series(s)) => {
            let valid: Float64Array = s
                .values()
                .values()
                .iter()
                .copied()
                .filter(|v| !v.is_nan())
                .map(Some)
                .collect();
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
                return Ok(Value::Series(Series::empty_at(call.interval.start_ms)));
            }
            let axis = ops::axis(&refs);
            call.allow(axis.timestamps.len())?;
            let mut columns = refs.iter().map(|s| ops::read_at(s, &axis.timestamps));
            let first = columns.next().expect("one member at least");
            let total = columns.fold(first, |acc, c| ops::binary(BinaryOp::Add, &acc, &c));
            Ok(Value::Series(ops::series(axis, total)))
        }
        _ => Err("@SUM: argument of no declared form".into()),
    }
}

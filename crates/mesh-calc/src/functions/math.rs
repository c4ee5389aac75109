//! Arithmetic and mathematical functions, point by point.

use arrow_array::Float64Array;

use super::{Call, FnError, Function, Signature};
use crate::value::{Value, ValueType as V};

/// The mathematical functions.
pub(super) const FUNCTIONS: &[&Function] = &[&ABS];

/// `@ABS(d) -> d`, `@ABS(t) -> t`: flags kept.
const ABS: Function = Function {
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
    extension: None,
};

fn abs(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    match args.into_iter().next() {
        Some(Value::Number(x)) => Ok(Value::Number(x.abs())),
        Some(Value::Series(s)) => {
            let values: Float64Array = arrow_arith::arity::unary(s.values(), f64::abs);
            Ok(Value::Series(s.with_columns(values, s.flags().clone())))
        }
        _ => Err("@ABS: argument of no declared form".into()),
    }
}

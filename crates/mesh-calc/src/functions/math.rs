//! Arithmetic and mathematical functions, point by point.
//!
//! Every function here maps each value on its own: a series keeps its
//! instants, resolution and curve, and a number gives a number. The flags
//! of a point are kept (a rounding or a logarithm does not change where a
//! value came from), except where the function has no value for a valid
//! input (`LOG(-1)`, `ASIN(2)`): that point becomes NaN with MISSING added,
//! so a NaN never leaves the engine looking like a good value.

use arrow_array::{Float64Array, UInt32Array};
use mesh_timeseries::flags::MISSING;

use super::{Call, FnError, Function, Signature};
use crate::ast::BinaryOp;
use crate::ops;
use crate::value::{Series, Value, ValueType as V};

/// The mathematical functions.
pub(super) const FUNCTIONS: &[&Function] = &[
    &ABS,
    &CEIL,
    &FLOOR,
    &INTEGER,
    &ROUND,
    &ROUND_INTEGER,
    &LOG,
    &LN,
    &POWER,
    &SIN,
    &COS,
    &TAN,
    &ASIN,
    &ACOS,
    &ATAN,
];

/// The forms `(d) -> d` and `(t) -> t`.
const NUMBER_OR_SERIES: &[Signature] = &[
    Signature {
        params: &[V::Number],
        returns: V::Number,
    },
    Signature {
        params: &[V::Series],
        returns: V::Series,
    },
];

/// The form `(t) -> t` alone: the trigonometric pages document no number
/// form.
const SERIES_ONLY: &[Signature] = &[Signature {
    params: &[V::Series],
    returns: V::Series,
}];

/// A value the function has no answer for is NaN: infinities (`LN(0)`,
/// an overflowing power) are not results of the language.
pub(super) fn finite(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        f64::NAN
    }
}

/// `f` over a number or a series, point by point, with the flag rule of
/// the module: flags kept; a valid input whose result is NaN gets MISSING.
fn pointwise(name: &str, f: fn(f64) -> f64, args: Vec<Value>) -> Result<Value, FnError> {
    match args.into_iter().next() {
        // A NaN number stays NaN: `f` never makes a value out of none.
        Some(Value::Number(x)) => Ok(Value::Number(finite(f(x)))),
        Some(Value::Series(s)) => Ok(Value::Series(map_series(&s, f))),
        _ => Err(format!("@{name}: argument of no declared form").into()),
    }
}

/// `f` over a series' values with [`pointwise`]'s flag rule.
fn map_series(s: &Series, f: fn(f64) -> f64) -> Series {
    let values: Float64Array = arrow_arith::arity::unary(s.values(), |x| finite(f(x)));
    let flags = lost_to_missing(s.values(), &values, s.flags());
    s.with_columns(values, flags)
}

/// `flags` with MISSING added where `before` had a value and `after` has
/// none (the function is undefined there).
pub(super) fn lost_to_missing(
    before: &Float64Array,
    after: &Float64Array,
    flags: &UInt32Array,
) -> UInt32Array {
    let was_nan = ops::nan_mask_of(before);
    let is_nan = ops::nan_mask_of(after);
    // Lost = NaN now and not before; both masks are computed without nulls.
    let lost = arrow_arith::boolean::and_not(&is_nan, &was_nan).expect("same length");
    if lost.true_count() == 0 {
        return flags.clone();
    }
    let marked: UInt32Array = arrow_arith::arity::unary(flags, |f| f | MISSING);
    ops::zip_u32(&lost, &marked, flags)
}

/// Declares a one-argument function: its doc, constant, name, forms and
/// the `f64` map it applies through [`pointwise`].
macro_rules! pointwise_function {
    ($(#[$doc:meta])* $konst:ident, $name:literal, $forms:expr, $f:expr) => {
        $(#[$doc])*
        const $konst: Function = Function {
            name: $name,
            signatures: $forms,
            body: |_: &mut Call<'_>, args: Vec<Value>| pointwise($name, $f, args),
            extension: None,
        };
    };
}

pointwise_function!(
    /// `@ABS(d) -> d`, `@ABS(t) -> t`: the absolute value, flags kept.
    ABS, "ABS", NUMBER_OR_SERIES, f64::abs
);

pointwise_function!(
    /// `@CEIL(d) -> d`, `@CEIL(t) -> t`: up to the nearest whole number
    /// (towards +∞: `CEIL(-1.5) = -1`).
    CEIL, "CEIL", NUMBER_OR_SERIES, f64::ceil
);

pointwise_function!(
    /// `@FLOOR(d) -> d`, `@FLOOR(t) -> t`: down to the nearest whole
    /// number, towards −∞ as the name says (`FLOOR(-1.5) = -2`); the page's
    /// "cut the decimals" is what INTEGER does, and the two differ only
    /// for negative values (docs/decisions.md).
    FLOOR, "FLOOR", NUMBER_OR_SERIES, f64::floor
);

pointwise_function!(
    /// `@INTEGER(d) -> d`, `@INTEGER(t) -> t`: the decimals cut, towards
    /// zero (`INTEGER(-1.5) = -1`).
    INTEGER, "INTEGER", NUMBER_OR_SERIES, f64::trunc
);

pointwise_function!(
    /// `@ROUND(d) -> d`, `@ROUND(t) -> t`: to the nearest whole number,
    /// halves away from zero (`16.5 → 17`, `-16.5 → -17`): the page's
    /// example rounds a half up and says nothing of negatives, and away
    /// from zero is the usual reading of "round" (docs/decisions.md).
    ROUND, "ROUND", NUMBER_OR_SERIES, f64::round
);

pointwise_function!(
    /// `@ROUND_INTEGER(d) -> d`, `@ROUND_INTEGER(t) -> t`: as ROUND; the
    /// pages describe the same rounding and name no difference.
    ROUND_INTEGER, "ROUND_INTEGER", NUMBER_OR_SERIES, f64::round
);

/// `log10` where defined: the pages answer "an empty value" for x ≤ 0.
fn log10(x: f64) -> f64 {
    if x > 0.0 {
        x.log10()
    } else {
        f64::NAN
    }
}

/// `ln` where defined: the pages answer "an empty value" for x ≤ 0.
fn ln(x: f64) -> f64 {
    if x > 0.0 {
        x.ln()
    } else {
        f64::NAN
    }
}

pointwise_function!(
    /// `@LOG(d) -> d`, `@LOG(t) -> t`: the base-10 logarithm; x ≤ 0 gives
    /// NaN (flagged MISSING in a series).
    LOG, "LOG", NUMBER_OR_SERIES, log10
);

pointwise_function!(
    /// `@LN(d) -> d`, `@LN(t) -> t`: the natural logarithm; x ≤ 0 gives
    /// NaN (flagged MISSING in a series).
    LN, "LN", NUMBER_OR_SERIES, ln
);

pointwise_function!(
    /// `@SIN(t) -> t`: the sine of values in radians.
    SIN, "SIN", SERIES_ONLY, f64::sin
);

pointwise_function!(
    /// `@COS(t) -> t`: the cosine of values in radians.
    COS, "COS", SERIES_ONLY, f64::cos
);

pointwise_function!(
    /// `@TAN(t) -> t`: the tangent of values in radians.
    TAN, "TAN", SERIES_ONLY, f64::tan
);

pointwise_function!(
    /// `@ASIN(t) -> t`: the arc sine in radians; outside [−1, 1] NaN,
    /// MISSING.
    ASIN, "ASIN", SERIES_ONLY, f64::asin
);

pointwise_function!(
    /// `@ACOS(t) -> t`: the arc cosine in radians; outside [−1, 1] NaN,
    /// MISSING.
    ACOS, "ACOS", SERIES_ONLY, f64::acos
);

pointwise_function!(
    /// `@ATAN(t) -> t`: the arc tangent in radians.
    ATAN, "ATAN", SERIES_ONLY, f64::atan
);

/// `@POWER(x, n)` for every combination of number and series:
/// `(d,d) -> d`, `(t,d) -> t`, `(d,t) -> t`, `(t,t) -> t`. It is the `^`
/// operator under a name, so it follows `^`'s status rule (that of `*`,
/// calc notes §3.4: a NaN operand gives NaN, SUSPECT|MISSING) and two
/// series are aligned as for any operator (§3.2). A power with no real
/// value (`(-8)^0.5`, `0^-1`) is NaN, MISSING.
const POWER: Function = Function {
    name: "POWER",
    signatures: &[
        Signature {
            params: &[V::Number, V::Number],
            returns: V::Number,
        },
        Signature {
            params: &[V::Series, V::Number],
            returns: V::Series,
        },
        Signature {
            params: &[V::Number, V::Series],
            returns: V::Series,
        },
        Signature {
            params: &[V::Series, V::Series],
            returns: V::Series,
        },
    ],
    body: power,
    extension: None,
};

/// The body of [`POWER`].
fn power(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let mut args = args.into_iter();
    match (args.next(), args.next()) {
        (Some(Value::Number(x)), Some(Value::Number(n))) => Ok(Value::Number(finite(x.powf(n)))),
        // One series: its own axis, the number broadcast.
        (Some(Value::Series(s)), Some(Value::Number(n))) => {
            let c = pow_columns(&ops::column_of(&s), &ops::broadcast(n, s.len()));
            Ok(Value::Series(s.with_columns(c.values, c.flags)))
        }
        (Some(Value::Number(x)), Some(Value::Series(s))) => {
            let c = pow_columns(&ops::broadcast(x, s.len()), &ops::column_of(&s));
            Ok(Value::Series(s.with_columns(c.values, c.flags)))
        }
        (Some(Value::Series(a)), Some(Value::Series(b))) => {
            let axis = ops::axis(&[&a, &b]);
            call.allow(axis.timestamps.len())?;
            let ca = ops::read_at(&a, &axis.timestamps);
            let cb = ops::read_at(&b, &axis.timestamps);
            Ok(Value::Series(ops::series(axis, pow_columns(&ca, &cb))))
        }
        _ => Err("@POWER: argument of no declared form".into()),
    }
}

/// `a ^ b` by the operator's rule, then the powers with no real value
/// (valid operands, NaN or infinite result) made NaN, MISSING.
fn pow_columns(a: &ops::Column, b: &ops::Column) -> ops::Column {
    let raw = ops::binary(BinaryOp::Pow, a, b);
    let values: Float64Array = arrow_arith::arity::unary(&raw.values, finite);
    // Undefined = NaN now though both operands had values: the rule gave
    // those points flags 0, which would pass the NaN off as a good value.
    let either =
        arrow_arith::boolean::or(&ops::nan_mask_of(&a.values), &ops::nan_mask_of(&b.values))
            .expect("same length");
    let undefined =
        arrow_arith::boolean::and_not(&ops::nan_mask_of(&values), &either).expect("same length");
    let flags = ops::zip_u32(&undefined, &UInt32Array::new_scalar(MISSING), &raw.flags);
    ops::Column { values, flags }
}

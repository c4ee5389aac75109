//! Strings and arrays: Compare, Concatenate, ToString, Size and AT.

use arrow_array::Int64Array;

use super::{Call, FnError, Function, Signature};
use crate::ops;
use crate::value::{Series, Value, ValueType as V};

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[&COMPARE, &CONCATENATE, &TO_STRING, &SIZE, &AT];

/// `@Compare(s, s) -> d`: 0 when the strings are identical (case
/// included), else 1.
const COMPARE: Function = Function {
    name: "Compare",
    signatures: &[Signature {
        params: &[V::String, V::String],
        returns: V::Number,
    }],
    body: compare,
    extension: None,
};

/// The body of [`COMPARE`].
fn compare(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    match (args.first(), args.get(1)) {
        (Some(Value::String(a)), Some(Value::String(b))) => {
            Ok(Value::Number(if a == b { 0.0 } else { 1.0 }))
        }
        _ => Err("@Compare: argument of no declared form".into()),
    }
}

/// `@Concatenate(s, s) -> s`, `@Concatenate(S) -> s`: the texts joined
/// with nothing between them (the page builds search strings this way).
const CONCATENATE: Function = Function {
    name: "Concatenate",
    signatures: &[
        Signature {
            params: &[V::String, V::String],
            returns: V::String,
        },
        Signature {
            params: &[V::Strings],
            returns: V::String,
        },
    ],
    body: concatenate,
    extension: None,
};

/// The body of [`CONCATENATE`].
fn concatenate(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    match (args.first(), args.get(1)) {
        (Some(Value::String(a)), Some(Value::String(b))) => Ok(Value::String(format!("{a}{b}"))),
        // The result is no larger than the texts the evaluation already
        // holds, so it needs no budget check.
        (Some(Value::Strings(parts)), None) => Ok(Value::String(parts.concat())),
        _ => Err("@Concatenate: argument of no declared form".into()),
    }
}

/// The most decimals ToString writes: past 340 every `f64` has only
/// zeros left (the smallest subnormal has 324 decimals), so a larger
/// count would only pad, and an unbounded one could exhaust memory.
const MAX_DECIMALS: usize = 340;

/// `@ToString(d[, d decimals]) -> s`: the number in decimal notation,
/// truncated (never rounded) to the given number of decimals (default 0:
/// `2.756 → "2"`, with 2: `"2.75"`). Exactly that many decimals are
/// written (`2.5` with 2 gives `"2.50"`). A count that is negative or NaN
/// means 0; a fractional one is truncated. NaN gives `"NaN"`.
const TO_STRING: Function = Function {
    name: "ToString",
    signatures: &[
        Signature {
            params: &[V::Number],
            returns: V::String,
        },
        Signature {
            params: &[V::Number, V::Number],
            returns: V::String,
        },
    ],
    body: to_string,
    extension: None,
};

/// The body of [`TO_STRING`].
fn to_string(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let x = match args.first() {
        Some(Value::Number(x)) => *x,
        _ => return Err("@ToString: argument of no declared form".into()),
    };
    let decimals = match args.get(1) {
        // `as` saturates: NaN and negatives give 0, huge counts the cap.
        Some(Value::Number(n)) => (n.trunc().max(0.0) as usize).min(MAX_DECIMALS),
        _ => 0,
    };
    Ok(Value::String(truncated(x, decimals)))
}

/// `x` written with exactly `decimals` decimals, the rest cut off.
/// Truncating the shortest exact text of `x` (Rust's `Display`, which
/// never uses exponents) avoids the binary error of `trunc(x·10ⁿ)/10ⁿ`
/// (`0.29·100 = 28.999…`).
fn truncated(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "NaN".to_string();
    }
    let text = format!("{x}");
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let mut out = String::with_capacity(whole.len() + decimals + 2);
    let kept: String = fraction
        .chars()
        .chain(std::iter::repeat('0'))
        .take(decimals)
        .collect();
    // A value truncated to zero has no sign: `-0.5` with 0 decimals is "0".
    let zero = whole.chars().all(|c| c == '0') && kept.chars().all(|c| c == '0');
    if !zero {
        out.push_str(sign);
    }
    out.push_str(whole);
    if decimals > 0 {
        out.push('.');
        out.push_str(&kept);
    }
    out
}

/// `@Size(T) -> d`, `@Size(D) -> d`, `@Size(S) -> d`: the number of
/// members (an empty or failed `@T` lookup gives 0).
const SIZE: Function = Function {
    name: "Size",
    signatures: &[
        Signature {
            params: &[V::SeriesArray],
            returns: V::Number,
        },
        Signature {
            params: &[V::Numbers],
            returns: V::Number,
        },
        Signature {
            params: &[V::Strings],
            returns: V::Number,
        },
    ],
    body: size,
    extension: None,
};

/// The body of [`SIZE`].
fn size(_: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let n = match args.first() {
        Some(Value::SeriesArray(a)) => a.len(),
        Some(Value::Numbers(a)) => a.len(),
        Some(Value::Strings(a)) => a.len(),
        _ => return Err("@Size: argument of no declared form".into()),
    };
    Ok(Value::Number(n as f64))
}

/// `@AT(T, d) -> t`: the member at a 0-based index, the empty series when
/// out of range. `@AT(D, d) -> d`: the number at the index, NaN when out
/// of range. `@AT(t, d) -> d`: the value of the index-th point read (the
/// points read may start before the period and, for a linear series, end
/// one after it, as the page warns); NaN when out of range. Negative
/// indices are out of range, fractional ones truncated; a NaN or infinite
/// index is an error. `@AT(t, s) -> d`: the value at a time
/// specification ([`value_at`]).
const AT: Function = Function {
    name: "AT",
    signatures: &[
        Signature {
            params: &[V::SeriesArray, V::Number],
            returns: V::Series,
        },
        Signature {
            params: &[V::Numbers, V::Number],
            returns: V::Number,
        },
        Signature {
            params: &[V::Series, V::Number],
            returns: V::Number,
        },
        Signature {
            params: &[V::Series, V::String],
            returns: V::Number,
        },
    ],
    body: at,
    extension: None,
};

/// `@AT(t, s)`: the functional value of the series at the instant the
/// time specification names (macros relative to now, as `@Time`'s); NaN
/// when the text names no valid time, as the page says.
fn value_at(call: &Call<'_>, series: Option<Value>, text: &str) -> f64 {
    let Some(Value::Series(series)) = series else {
        return f64::NAN;
    };
    match super::time::instant(call, text).ok().flatten() {
        Some(ms) => ops::read_at(&series, &Int64Array::from(vec![ms]))
            .values
            .value(0),
        None => f64::NAN,
    }
}

/// The body of [`AT`].
fn at(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let mut args = args.into_iter();
    let (first, second) = (args.next(), args.next());
    let index = match second {
        Some(Value::Number(i)) if i.is_finite() => {
            // Negative indices are out of range: None.
            (i >= 0.0).then(|| i.trunc() as usize)
        }
        Some(Value::Number(i)) => {
            return Err(format!("@AT: the index must be a finite number, not {i}").into())
        }
        Some(Value::String(text)) => return Ok(Value::Number(value_at(call, first, &text))),
        _ => return Err("@AT: argument of no declared form".into()),
    };
    match first {
        Some(Value::SeriesArray(members)) => {
            let found = index.and_then(|i| members.into_iter().nth(i));
            Ok(Value::Series(found.unwrap_or_else(|| {
                Series::empty_at(call.interval.start_ms)
            })))
        }
        Some(Value::Numbers(d)) => Ok(Value::Number(
            index.and_then(|i| d.get(i).copied()).unwrap_or(f64::NAN),
        )),
        Some(Value::Series(s)) => {
            let values = s.values().values();
            Ok(Value::Number(
                index
                    .and_then(|i| values.get(i).copied())
                    .unwrap_or(f64::NAN),
            ))
        }
        _ => Err("@AT: argument of no declared form".into()),
    }
}

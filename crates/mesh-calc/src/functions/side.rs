//! Side effects: `@PDLOG`, `@Trace` (log lines, no effect on the result)
//! and `@DisableCache` (nothing to disable: results are not cached).

use super::{Call, FnError, Function, Signature};
use crate::context::LogLevel;
use crate::value::{Value, ValueType as V};

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[&PDLOG, &TRACE, &DISABLE_CACHE];

const fn sig(params: &'static [V]) -> Signature {
    Signature {
        params,
        returns: V::Number,
    }
}

/// `@PDLOG(d code, s text[, t series[, d n]])`: one log line with the
/// code and text (the SDK test model's templates start with one). The
/// value is 0, dropped by the statement form.
const PDLOG: Function = Function {
    name: "PDLOG",
    signatures: &[
        sig(&[V::Number, V::String]),
        sig(&[V::Number, V::String, V::Series]),
        sig(&[V::Number, V::String, V::Series, V::Number]),
    ],
    body: pdlog,
    extension: None,
};

fn pdlog(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let (code, text) = match (args.first(), args.get(1)) {
        (Some(Value::Number(code)), Some(Value::String(text))) => (*code, text.as_str()),
        _ => return Err("@PDLOG: argument of no declared form".into()),
    };
    call.context
        .log(LogLevel::Info, &format!("PDLOG {code}: {text}"));
    Ok(Value::Number(0.0))
}

/// `@Trace(s)`, `@Trace(d level, s)`, `@Trace(d, s, t)`, `@Trace(d, s, t, d)`:
/// a log line at level 0 (info), 1 (warning) or 2 (error).
const TRACE: Function = Function {
    name: "Trace",
    signatures: &[
        sig(&[V::String]),
        sig(&[V::Number, V::String]),
        sig(&[V::Number, V::String, V::Series]),
        sig(&[V::Number, V::String, V::Series, V::Number]),
    ],
    body: trace,
    extension: None,
};

fn trace(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let (level, text) = match (args.first(), args.get(1)) {
        (Some(Value::String(text)), _) => (0.0, text.as_str()),
        (Some(Value::Number(level)), Some(Value::String(text))) => (*level, text.as_str()),
        _ => return Err("@Trace: argument of no declared form".into()),
    };
    let level = match level as i64 {
        1 => LogLevel::Warning,
        2 => LogLevel::Error,
        _ => LogLevel::Info,
    };
    call.context.log(level, text);
    Ok(Value::Number(0.0))
}

/// `@DisableCache()`: results are never cached, so nothing to do.
const DISABLE_CACHE: Function = Function {
    name: "DisableCache",
    signatures: &[sig(&[])],
    body: |_, _| Ok(Value::Number(0.0)),
    extension: None,
};

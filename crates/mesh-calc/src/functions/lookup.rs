//! The model lookups of calc notes §2.4: `@t @T @d @D @s @S`, each with
//! an optional default of its own type for when the lookup finds nothing;
//! whether lookups found something (`IsValid`, `Valid`), what they found
//! (`MeshID`), and `Parameter`.

use super::{Call, FnError, Function, Signature};
use crate::context::SeriesRef;
use crate::value::{Series, Value, ValueType as V};

/// The lookups.
pub(super) const FUNCTIONS: &[&Function] = &[
    &LOOKUP_T,
    &LOOKUP_T_ARRAY,
    &LOOKUP_D,
    &LOOKUP_D_ARRAY,
    &LOOKUP_S,
    &LOOKUP_S_ARRAY,
    &IS_VALID,
    &VALID,
    &MESH_ID,
    &PARAMETER,
];

/// `@t()` (the target's series), `@t(s)` (a search), `@t(s, t)` (with a
/// default).
const LOOKUP_T: Function = Function {
    name: "t",
    signatures: &[
        Signature::new(&[], V::Series),
        Signature::new(&[V::String], V::Series),
        Signature::new(&[V::String, V::Series], V::Series),
    ],
    body: lookup_t,
    extension: None,
};

/// A query argument: the empty text means the target, as `@t()` does.
fn reference(args: &mut std::vec::IntoIter<Value>) -> SeriesRef {
    match args.next() {
        Some(Value::String(q)) if !q.trim().is_empty() => SeriesRef::Search(q),
        _ => SeriesRef::Target,
    }
}

fn lookup_t(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let mut args = args.into_iter();
    let reference = reference(&mut args);
    let found = call.context.series(&reference, call.interval)?;
    Ok(Value::Series(match (found, args.next()) {
        (Some(s), _) => s.with_origin(reference),
        (None, Some(Value::Series(default))) => default,
        (None, _) => {
            warn_not_found(call, "t", &reference);
            Series::empty_at(call.interval.start_ms)
        }
    }))
}

/// The one-argument forms log a warning when nothing is found (§2.4).
pub(super) fn warn_not_found(call: &Call<'_>, name: &str, reference: &SeriesRef) {
    let what = match reference {
        SeriesRef::Target => "the target".to_string(),
        SeriesRef::Search(q) => format!("'{}'", crate::error::quote(q)),
        SeriesRef::Resource(p) => format!("%'{}'", crate::error::quote(p)),
    };
    call.context.log(
        crate::context::LogLevel::Warning,
        &format!("@{name}({what}) found nothing; the default is used"),
    );
}

/// `@T()`, `@T(s)`, `@T(s, T)`: every series found. A search finding
/// nothing gives an empty array (SDK: `@SUM(@T('some_query'))` must
/// succeed), or the default when given.
const LOOKUP_T_ARRAY: Function = Function {
    name: "T",
    signatures: &[
        Signature::new(&[], V::SeriesArray),
        Signature::new(&[V::String], V::SeriesArray),
        Signature::new(&[V::String, V::SeriesArray], V::SeriesArray),
    ],
    body: lookup_t_array,
    extension: None,
};

fn lookup_t_array(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let mut args = args.into_iter();
    let reference = reference(&mut args);
    let found = call
        .context
        .series_array(&reference, call.interval)?
        .filter(|found| !found.is_empty());
    Ok(Value::SeriesArray(match (found, args.next()) {
        (Some(found), _) => found,
        (None, Some(Value::SeriesArray(default))) => default,
        (None, _) => {
            warn_not_found(call, "T", &reference);
            Vec::new()
        }
    }))
}

/// `@d(s)`, `@d(s, d)`: the first number found, else the default (NaN).
const LOOKUP_D: Function = Function {
    name: "d",
    signatures: &[
        Signature::new(&[V::String], V::Number),
        Signature::new(&[V::String, V::Number], V::Number),
    ],
    body: lookup_d,
    extension: None,
};

fn query(args: &mut std::vec::IntoIter<Value>) -> String {
    match args.next() {
        Some(Value::String(q)) => q,
        _ => String::new(),
    }
}

fn lookup_d(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let mut args = args.into_iter();
    let q = query(&mut args);
    let found = call.context.numbers(&q)?.and_then(|n| n.first().copied());
    Ok(Value::Number(match (found, args.next()) {
        (Some(x), _) => x,
        (None, Some(Value::Number(default))) => default,
        (None, _) => {
            warn_not_found(call, "d", &SeriesRef::Search(q));
            f64::NAN
        }
    }))
}

/// `@D(s)`, `@D(s, D)`: every number found, else the default (an empty
/// array: `@SUM` of it is NaN, the TsCalcAtt evidence of calc notes §6.3).
const LOOKUP_D_ARRAY: Function = Function {
    name: "D",
    signatures: &[
        Signature::new(&[V::String], V::Numbers),
        Signature::new(&[V::String, V::Numbers], V::Numbers),
    ],
    body: lookup_d_array,
    extension: None,
};

fn lookup_d_array(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let mut args = args.into_iter();
    let q = query(&mut args);
    let found = call.context.numbers(&q)?.filter(|n| !n.is_empty());
    Ok(Value::Numbers(match (found, args.next()) {
        (Some(found), _) => found,
        (None, Some(Value::Numbers(default))) => default,
        (None, _) => {
            warn_not_found(call, "D", &SeriesRef::Search(q));
            Vec::new()
        }
    }))
}

/// `@s(s)`, `@s(s, s)`: the first text found, else the default (empty).
const LOOKUP_S: Function = Function {
    name: "s",
    signatures: &[
        Signature::new(&[V::String], V::String),
        Signature::new(&[V::String, V::String], V::String),
    ],
    body: lookup_s,
    extension: None,
};

fn lookup_s(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let mut args = args.into_iter();
    let q = query(&mut args);
    let found = call.context.strings(&q)?.and_then(|s| s.into_iter().next());
    Ok(Value::String(match (found, args.next()) {
        (Some(x), _) => x,
        (None, Some(Value::String(default))) => default,
        (None, _) => {
            warn_not_found(call, "s", &SeriesRef::Search(q));
            String::new()
        }
    }))
}

/// `@S(s)`, `@S(s, S)`: every text found, else the default (empty).
const LOOKUP_S_ARRAY: Function = Function {
    name: "S",
    signatures: &[
        Signature::new(&[V::String], V::Strings),
        Signature::new(&[V::String, V::Strings], V::Strings),
    ],
    body: lookup_s_array,
    extension: None,
};

fn lookup_s_array(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let mut args = args.into_iter();
    let q = query(&mut args);
    let found = call.context.strings(&q)?.filter(|s| !s.is_empty());
    Ok(Value::Strings(match (found, args.next()) {
        (Some(found), _) => found,
        (None, Some(Value::Strings(default))) => default,
        (None, _) => {
            warn_not_found(call, "S", &SeriesRef::Search(q));
            Vec::new()
        }
    }))
}

/// Whether `series` is the empty series a lookup that found nothing gives
/// (calc notes §2.4): one NaN MISSING breakpoint point. A real series of
/// that shape reads the same; the engine keeps no other mark of a failed
/// lookup (docs/decisions.md).
fn is_empty_series(series: &Series) -> bool {
    series.len() == 1
        && series.resolution().is_breakpoint()
        && series.values().value(0).is_nan()
        && series.flags().value(0) == mesh_timeseries::flags::MISSING
}

/// `@IsValid(t)`: 1 unless the series is a failed lookup's empty series;
/// `@IsValid(T)`: 1 when the array holds a series; `@IsValid(s type, s
/// search)`: 1 when the search finds a target of that type (`t d s T D
/// S`), with no warning logged.
const IS_VALID: Function = Function {
    name: "IsValid",
    signatures: &[
        Signature::new(&[V::Series], V::Number),
        Signature::new(&[V::SeriesArray], V::Number),
        Signature::new(&[V::String, V::String], V::Number),
    ],
    body: is_valid,
    extension: None,
};

fn truth(b: bool) -> Value {
    Value::Number(if b { 1.0 } else { 0.0 })
}

fn is_valid(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    match args.as_slice() {
        [Value::Series(s)] => Ok(truth(!is_empty_series(s))),
        [Value::SeriesArray(all)] => Ok(truth(all.iter().any(|s| !is_empty_series(s)))),
        [Value::String(kind), Value::String(query)] => {
            let reference = if query.trim().is_empty() {
                SeriesRef::Target
            } else {
                SeriesRef::Search(query.clone())
            };
            let found = match kind.trim() {
                "t" => call.context.series(&reference, call.interval)?.is_some(),
                "T" => call
                    .context
                    .series_array(&reference, call.interval)?
                    .is_some_and(|a| !a.is_empty()),
                "d" | "D" => call.context.numbers(query)?.is_some_and(|a| !a.is_empty()),
                "s" | "S" => call.context.strings(query)?.is_some_and(|a| !a.is_empty()),
                other => {
                    return Err(FnError::Invalid(format!(
                        "@IsValid: unknown target type '{other}'; expected t, d, s, T, D or S"
                    )))
                }
            };
            Ok(truth(found))
        }
        _ => Err("@IsValid: argument of no declared form".into()),
    }
}

/// `@Valid(T)`: the members that are not a failed lookup's empty series.
const VALID: Function = Function {
    name: "Valid",
    signatures: &[Signature::new(&[V::SeriesArray], V::SeriesArray)],
    body: |_, args| match args.into_iter().next() {
        Some(Value::SeriesArray(all)) => Ok(Value::SeriesArray(
            all.into_iter().filter(|s| !is_empty_series(s)).collect(),
        )),
        _ => Err("@Valid: argument of no declared form".into()),
    },
    extension: None,
};

/// `@MeshID(s)`: `WHAT[;search]` of the object the search finds (the
/// current object without one): `NAME`, `TYPE` (its definition's name),
/// `GUID` (hyphenated lowercase hex), `WRAPPEDGUID` (the same in braces),
/// and `PATH`, ours; the empty text when no object is found.
const MESH_ID: Function = Function {
    name: "MeshID",
    signatures: &[Signature::new(&[V::String], V::String)],
    body: mesh_id,
    extension: None,
};

fn mesh_id(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let Some(Value::String(spec)) = args.first() else {
        return Err("@MeshID: argument of no declared form".into());
    };
    let (what, query) = match spec.split_once(';') {
        Some((w, q)) if !q.trim().is_empty() => (w.trim(), Some(q.trim())),
        Some((w, _)) => (w.trim(), None),
        None => (spec.trim(), None),
    };
    let what = what.to_ascii_uppercase();
    if !["NAME", "TYPE", "GUID", "WRAPPEDGUID", "PATH"].contains(&what.as_str()) {
        return Err(FnError::Invalid(format!(
            "@MeshID: unknown field '{what}'; expected NAME, TYPE, GUID, WRAPPEDGUID or PATH"
        )));
    }
    let Some(object) = call.context.object(query)? else {
        return Ok(Value::String(String::new()));
    };
    Ok(Value::String(match what.as_str() {
        "NAME" => object.name,
        "TYPE" => object.type_name,
        "GUID" => object.id,
        "WRAPPEDGUID" => format!("{{{}}}", object.id),
        _ => object.path,
    }))
}

/// `@Parameter(s name, d|t|s default)`: a value a client program may
/// override (fn/parameter); nothing overrides it on the server, so it is
/// its default.
const PARAMETER: Function = Function {
    name: "Parameter",
    signatures: &[
        Signature::new(&[V::String, V::Number], V::Number),
        Signature::new(&[V::String, V::Series], V::Series),
        Signature::new(&[V::String, V::String], V::String),
    ],
    body: |_, args| {
        args.into_iter()
            .nth(1)
            .ok_or_else(|| "@Parameter: argument of no declared form".into())
    },
    extension: None,
};

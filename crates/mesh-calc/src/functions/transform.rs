//! TRANSFORM and the resolution changes built on it.

use chrono_tz::Tz;
use mesh_timeseries::Resolution;

use super::{Call, FnError, Function, Signature};
use crate::context::Interval;
use crate::transform::{self, implicit_method, read_period, Method, TransformError};
use crate::value::{Series, Value, ValueType as V};
use crate::Settings;

/// The functions of this module.
pub(super) const FUNCTIONS: &[&Function] = &[&TRANSFORM];

/// `@TRANSFORM(t, s resolution, s method)` (R1) and `@TRANSFORM(t, s
/// resolution, s method, s zone)` (R5): the series at another resolution
/// (calc notes §4.1). The series is read over whole target steps, so a
/// daily sum of a period starting mid-day sums the whole day.
const TRANSFORM: Function = Function {
    name: "TRANSFORM",
    signatures: &[
        Signature {
            params: &[V::Series, V::String, V::String],
            returns: V::Series,
        },
        Signature {
            params: &[V::Series, V::String, V::String, V::String],
            returns: V::Series,
        },
    ],
    body: transform_body,
    extension: Some(transform_period),
};

/// The arguments of a TRANSFORM call, resolved.
struct Request<'a> {
    series: &'a Series,
    to: Resolution,
    method: Method,
    zone: Tz,
}

fn request<'a>(call: &Call<'_>, args: &'a [Value]) -> Result<Request<'a>, FnError> {
    let (Some(Value::Series(series)), Some(Value::String(to)), Some(Value::String(method))) =
        (args.first(), args.get(1), args.get(2))
    else {
        return Err("@TRANSFORM: argument of no declared form".into());
    };
    let to = resolution(to)?;
    let method = if method.eq_ignore_ascii_case("DEFAULT") {
        implicit_method(series, to)
    } else {
        match Method::parse(method) {
            Some(m) => m,
            None if is_undocumented_method(method) => {
                return Err(FnError::Unimplemented(format!(
                    "@TRANSFORM: the method '{method}' is not served (its definition is not public)"
                )))
            }
            None => {
                return Err(FnError::Invalid(format!(
                    "@TRANSFORM: unknown method '{method}'; expected SUM, SUMI, AVG, AVGI, FIRST, LAST, MIN, MAX or DEFAULT"
                )))
            }
        }
    };
    let zone = match args.get(3) {
        Some(Value::String(name)) => zone(name, call.settings),
        _ => call.settings.standard_zone,
    };
    Ok(Request {
        series,
        to,
        method,
        zone,
    })
}

fn transform_period(call: &Call<'_>, args: &[Value]) -> Option<Interval> {
    let r = request(call, args).ok()?;
    Some(read_period(r.series, call.interval, r.to, r.zone))
}

fn transform_body(call: &mut Call<'_>, args: Vec<Value>) -> Result<Value, FnError> {
    let r = request(call, &args)?;
    transform::transform(
        r.series,
        call.interval,
        r.to,
        r.method,
        r.zone,
        call.points_left,
    )
    .map(Value::Series)
    .map_err(|e| match e {
        TransformError::Limit(m) => FnError::Limit(format!("@TRANSFORM: {m}")),
        TransformError::Invalid(m) => FnError::Invalid(format!("@TRANSFORM: {m}")),
    })
}

/// A target resolution symbol (transform_terms; the SDK also sends the
/// wire names, `MIN30` among them).
pub(crate) fn resolution(symbol: &str) -> Result<Resolution, FnError> {
    Ok(match symbol.to_ascii_uppercase().as_str() {
        "VARINT" | "BREAKPOINT" => Resolution::Breakpoint,
        "MIN" => Resolution::Min,
        "MIN5" => Resolution::Min5,
        "MIN10" => Resolution::Min10,
        "MIN15" => Resolution::Min15,
        "MIN30" => Resolution::Min30,
        "HOUR" => Resolution::Hour,
        "DAY" => Resolution::Day,
        "WEEK" => Resolution::Week,
        "MONTH" => Resolution::Month,
        "YEAR" => Resolution::Year,
        _ => {
            return Err(FnError::Invalid(format!(
                "unknown resolution '{symbol}'; expected VARINT, MIN, MIN5, MIN10, MIN15, MIN30, HOUR, DAY, WEEK, MONTH or YEAR"
            )))
        }
    })
}

/// Method codes the documentation names without defining them.
fn is_undocumented_method(symbol: &str) -> bool {
    ["GSUM", "GMEAN", "ACCVOLUME", "ACCM2V"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(symbol))
}

/// A zone argument (calc notes §3.6): `LOCAL`/`LOKAL`/`LT` the server's
/// local zone, `NORMAL`/`STANDARD`/`NT` its standard time, `UTC`, or an
/// IANA name; anything else falls back to standard time, as documented
/// for an unknown zone.
pub(crate) fn zone(name: &str, settings: &Settings) -> Tz {
    match name.to_ascii_uppercase().as_str() {
        "LOCAL" | "LOKAL" | "LT" => settings.local_zone,
        "NORMAL" | "STANDARD" | "NT" => settings.standard_zone,
        "UTC" => Tz::UTC,
        _ => name.parse().unwrap_or(settings.standard_zone),
    }
}

//! Simple values in JSON: numbers, booleans and strings as they are,
//! doubles that JSON cannot hold as `"NaN"`, `"Infinity"`, `"-Infinity"`,
//! and UTC times as RFC 3339 text (`2024-01-01T00:00:00Z`).

use serde_json::Value as Json;

use crate::value::{rfc3339, Value, ValueType};

/// A value of `value_type` from JSON.
pub fn from_json(value_type: ValueType, json: &Json) -> Result<Value, String> {
    let wrong = || format!("{json} is not {} value", value_type.with_article());
    Ok(match value_type {
        ValueType::Int => Value::Int(json.as_i64().ok_or_else(wrong)?),
        ValueType::Double => Value::Double(match json {
            Json::Number(n) => n.as_f64().ok_or_else(wrong)?,
            Json::String(s) if s == "NaN" => f64::NAN,
            Json::String(s) if s == "Infinity" => f64::INFINITY,
            Json::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
            _ => return Err(wrong()),
        }),
        ValueType::Bool => Value::Bool(json.as_bool().ok_or_else(wrong)?),
        ValueType::String => Value::String(json.as_str().ok_or_else(wrong)?.to_string()),
        ValueType::UtcTime => {
            let text = json.as_str().ok_or_else(wrong)?;
            let time = chrono::DateTime::parse_from_rfc3339(text)
                .map_err(|e| format!("'{text}' is not an RFC 3339 time: {e}"))?;
            let ticks = time
                .timestamp()
                .checked_mul(10_000_000)
                .and_then(|t| t.checked_add(i64::from(time.timestamp_subsec_nanos() / 100)))
                .ok_or_else(|| format!("'{text}' is outside the times Mesh keeps"))?;
            Value::UtcTime(ticks)
        }
        _ => {
            return Err(format!(
                "{} attributes have no simple values",
                value_type.describe()
            ))
        }
    })
}

/// A value as JSON.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Int(v) => Json::from(*v),
        Value::Double(v) if v.is_nan() => Json::from("NaN"),
        Value::Double(v) if v.is_infinite() => {
            Json::from(if *v > 0.0 { "Infinity" } else { "-Infinity" })
        }
        Value::Double(v) => Json::from(*v),
        Value::Bool(v) => Json::from(*v),
        Value::String(v) => Json::from(v.as_str()),
        Value::UtcTime(ticks) => rfc3339(*ticks).map_or(Json::from(*ticks), Json::from),
    }
}

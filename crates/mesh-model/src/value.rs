//! Values of simple attributes and the kinds of value an attribute holds.

use serde::{Deserialize, Serialize};

/// The kind of value an attribute holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValueType {
    /// 64-bit integers.
    Int,
    /// Doubles.
    Double,
    /// Booleans.
    Bool,
    /// Strings.
    String,
    /// UTC times.
    UtcTime,
    /// A time series (a resource or an expression).
    Timeseries,
    /// Objects the attribute owns.
    OwnershipRelation,
    /// Objects the attribute points at.
    LinkRelation,
    /// Objects the attribute points at, each from a time on.
    VersionedLinkRelation,
    /// Versions of a rating curve.
    RatingCurve,
    /// Versions of sets of XY curves.
    XySet,
}

impl ValueType {
    /// Whether values of this kind are simple values ([`Value`]).
    pub fn is_simple(self) -> bool {
        matches!(
            self,
            ValueType::Int
                | ValueType::Double
                | ValueType::Bool
                | ValueType::String
                | ValueType::UtcTime
        )
    }

    /// The kind's name with its article, as in "is an int value".
    pub fn with_article(self) -> String {
        let name = self.describe();
        let article = if name.starts_with(['a', 'e', 'i', 'o', 'u', 'X']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {name}")
    }

    /// How error messages name the kind.
    pub fn describe(self) -> &'static str {
        match self {
            ValueType::Int => "int",
            ValueType::Double => "double",
            ValueType::Bool => "boolean",
            ValueType::String => "string",
            ValueType::UtcTime => "UTC time",
            ValueType::Timeseries => "time series",
            ValueType::OwnershipRelation => "ownership relation",
            ValueType::LinkRelation => "link relation",
            ValueType::VersionedLinkRelation => "versioned link relation",
            ValueType::RatingCurve => "rating curve",
            ValueType::XySet => "XY set",
        }
    }
}

/// One value of a simple attribute.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Value {
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// A boolean.
    Bool(bool),
    /// A string.
    String(String),
    /// A UTC time in 100-nanosecond ticks since 1970-01-01T00:00:00Z (the
    /// resolution Mesh keeps times in).
    UtcTime(i64),
}

/// Values compare exactly: doubles bit for bit, so that a value read back
/// equals the value written even when it is a NaN.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Double(a), Value::Double(b)) => a.to_bits() == b.to_bits(),
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::UtcTime(a), Value::UtcTime(b)) => a == b,
            _ => false,
        }
    }
}

impl Value {
    /// The kind of this value.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Int(_) => ValueType::Int,
            Value::Double(_) => ValueType::Double,
            Value::Bool(_) => ValueType::Bool,
            Value::String(_) => ValueType::String,
            Value::UtcTime(_) => ValueType::UtcTime,
        }
    }

    /// Orders two values of the same numeric or time kind; `None` for
    /// other kinds, mixed kinds and NaN.
    pub fn partial_cmp_same(&self, other: &Value) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Double(a), Value::Double(b)) => a.partial_cmp(b),
            (Value::UtcTime(a), Value::UtcTime(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Double(v) => write!(f, "{v}"),
            Value::Bool(v) => write!(f, "{v}"),
            Value::String(v) => write!(f, "'{v}'"),
            Value::UtcTime(ticks) => write!(f, "{ticks} ticks"),
        }
    }
}

/// `ticks` (100 ns since 1970, UTC) as RFC 3339 text, kept to the tick;
/// `None` beyond the calendar chrono knows.
pub(crate) fn rfc3339(ticks: i64) -> Option<String> {
    let seconds = ticks.div_euclid(10_000_000);
    let nanos = (ticks.rem_euclid(10_000_000) * 100) as u32;
    chrono::DateTime::from_timestamp(seconds, nanos)
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

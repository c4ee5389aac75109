//! Attribute values: [`ValueType`], the simple [`Value`]s and what
//! [`AttributeUpdate`] sends.

use chrono::{DateTime, Utc};
use mesh_proto::model::attribute_value::ValueOneof;
use mesh_proto::model::AttributeValue;
use mesh_proto::model_definition::AttributeValueType;
use prost_types::Timestamp;

use crate::error::{Error, Result};

/// The kind of value an attribute (or attribute type) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// 64-bit integers.
    Int,
    /// Double-precision numbers.
    Double,
    /// Booleans.
    Bool,
    /// Strings.
    String,
    /// Instants in UTC.
    UtcTime,
    /// A time series (a connected series or an expression).
    Timeseries,
    /// The objects an attribute owns.
    OwnershipRelation,
    /// Links to objects elsewhere in the model.
    LinkRelation,
    /// Links that change over time.
    VersionedLinkRelation,
    /// Rating curves.
    RatingCurve,
    /// XY sets.
    XySet,
}

impl ValueType {
    /// Whether values of this kind are simple: set with
    /// `update_simple_attribute` and read as [`Value`]s.
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

    pub(crate) fn to_proto(self) -> i32 {
        use AttributeValueType as T;
        (match self {
            ValueType::Int => T::Int,
            ValueType::Double => T::Double,
            ValueType::Bool => T::Bool,
            ValueType::String => T::String,
            ValueType::UtcTime => T::UtcTime,
            ValueType::Timeseries => T::Timeseries,
            ValueType::OwnershipRelation => T::OwnershipRelation,
            ValueType::LinkRelation => T::LinkRelation,
            ValueType::VersionedLinkRelation => T::VersionedLinkRelation,
            ValueType::RatingCurve => T::RatingCurve,
            ValueType::XySet => T::XySet,
        }) as i32
    }

    pub(crate) fn from_proto(number: i32) -> Result<ValueType> {
        use AttributeValueType as T;
        Ok(match T::try_from(number) {
            Ok(T::Int) => ValueType::Int,
            Ok(T::Double) => ValueType::Double,
            Ok(T::Bool) => ValueType::Bool,
            Ok(T::String) => ValueType::String,
            Ok(T::UtcTime) => ValueType::UtcTime,
            Ok(T::Timeseries) => ValueType::Timeseries,
            Ok(T::OwnershipRelation) => ValueType::OwnershipRelation,
            Ok(T::LinkRelation) => ValueType::LinkRelation,
            Ok(T::VersionedLinkRelation) => ValueType::VersionedLinkRelation,
            Ok(T::RatingCurve) => ValueType::RatingCurve,
            Ok(T::XySet) => ValueType::XySet,
            Ok(T::Unspecified) | Err(_) => {
                return Err(Error::Protocol(format!(
                    "the server sent value type {number}, which names no kind of value"
                )))
            }
        })
    }
}

/// One value of a simple attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An integer.
    Int(i64),
    /// A double-precision number.
    Double(f64),
    /// A boolean.
    Bool(bool),
    /// A string.
    String(String),
    /// An instant. Mesh keeps times to 100 ns; finer digits are dropped.
    UtcTime(DateTime<Utc>),
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

    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The number, if this is a double.
    pub fn as_double(&self) -> Option<f64> {
        match self {
            Value::Double(v) => Some(*v),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(v) => Some(*v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(v) => Some(v),
            _ => None,
        }
    }

    /// The instant, if this is one.
    pub fn as_utc_time(&self) -> Option<DateTime<Utc>> {
        match self {
            Value::UtcTime(v) => Some(*v),
            _ => None,
        }
    }

    pub(crate) fn to_proto(&self) -> AttributeValue {
        AttributeValue {
            value_oneof: Some(match self {
                Value::Int(v) => ValueOneof::IntValue(*v),
                Value::Double(v) => ValueOneof::DoubleValue(*v),
                Value::Bool(v) => ValueOneof::BooleanValue(*v),
                Value::String(v) => ValueOneof::StringValue(v.clone()),
                Value::UtcTime(v) => ValueOneof::UtcTimeValue(timestamp(*v)),
            }),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(v.into())
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Double(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}

impl From<DateTime<Utc>> for Value {
    fn from(v: DateTime<Utc>) -> Self {
        Value::UtcTime(v)
    }
}

/// The new value of a simple attribute: one value for a singular
/// attribute, the whole list for a collection (an empty list clears it).
/// The shape must match the attribute's; the server refuses the other.
///
/// Plain values and vectors convert:
///
/// ```
/// # use mesh::{AttributeUpdate, Value};
/// assert_eq!(AttributeUpdate::from(2.5), AttributeUpdate::Singular(Value::Double(2.5)));
/// assert_eq!(
///     AttributeUpdate::from(vec![true, false]),
///     AttributeUpdate::Collection(vec![Value::Bool(true), Value::Bool(false)])
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeUpdate {
    /// The value of a singular attribute.
    Singular(Value),
    /// Every value of a collection attribute, in order.
    Collection(Vec<Value>),
}

impl From<Value> for AttributeUpdate {
    fn from(v: Value) -> Self {
        AttributeUpdate::Singular(v)
    }
}

macro_rules! singular_from {
    ($($t:ty),*) => {$(
        impl From<$t> for AttributeUpdate {
            fn from(v: $t) -> Self {
                AttributeUpdate::Singular(v.into())
            }
        }
    )*};
}
singular_from!(i64, i32, f64, bool, &str, String, DateTime<Utc>);

impl<T: Into<Value>> From<Vec<T>> for AttributeUpdate {
    fn from(values: Vec<T>) -> Self {
        AttributeUpdate::Collection(values.into_iter().map(Into::into).collect())
    }
}

/// An instant as a protobuf timestamp.
pub(crate) fn timestamp(time: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: time.timestamp(),
        // A leap second's nanoseconds reach past a second; the wire cannot.
        nanos: time.timestamp_subsec_nanos().min(999_999_999) as i32,
    }
}

/// A protobuf timestamp from the server as an instant.
pub(crate) fn from_timestamp(stamp: &Timestamp) -> Result<DateTime<Utc>> {
    u32::try_from(stamp.nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(stamp.seconds, nanos))
        .ok_or_else(|| {
            Error::Protocol(format!(
                "the server sent a time out of range ({} s, {} ns)",
                stamp.seconds, stamp.nanos
            ))
        })
}

/// A simple value the server sent; `None` for values of other kinds.
pub(crate) fn simple_value(value: &AttributeValue) -> Result<Option<Value>> {
    Ok(Some(match &value.value_oneof {
        Some(ValueOneof::IntValue(v)) => Value::Int(*v),
        Some(ValueOneof::DoubleValue(v)) => Value::Double(*v),
        Some(ValueOneof::BooleanValue(v)) => Value::Bool(*v),
        Some(ValueOneof::StringValue(v)) => Value::String(v.clone()),
        Some(ValueOneof::UtcTimeValue(t)) => Value::UtcTime(from_timestamp(t)?),
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_through_timestamps() {
        let before_epoch = DateTime::<Utc>::from_timestamp(-2, 300).unwrap();
        let stamp = timestamp(before_epoch);
        assert_eq!((stamp.seconds, stamp.nanos), (-2, 300));
        assert_eq!(from_timestamp(&stamp).unwrap(), before_epoch);
        let bad = Timestamp {
            seconds: 0,
            nanos: -1,
        };
        assert!(matches!(from_timestamp(&bad), Err(Error::Protocol(_))));
    }

    #[test]
    fn every_value_type_round_trips() {
        for number in 1..=11 {
            let value_type = ValueType::from_proto(number).unwrap();
            assert_eq!(value_type.to_proto(), number);
        }
        assert!(ValueType::from_proto(0).is_err());
        assert!(ValueType::from_proto(12).is_err());
    }

    #[test]
    fn updates_take_the_shape_they_are_given() {
        assert_eq!(
            AttributeUpdate::from(7),
            AttributeUpdate::Singular(Value::Int(7))
        );
        assert_eq!(
            AttributeUpdate::from(Vec::<f64>::new()),
            AttributeUpdate::Collection(vec![])
        );
        assert_eq!(
            AttributeUpdate::from("x"),
            AttributeUpdate::Singular(Value::String("x".into()))
        );
    }
}

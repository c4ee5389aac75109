//! Model definitions as the SDK gives them: namespaces (a model definition
//! is a namespace without owner), object definitions, attribute types and
//! attribute definitions; and [`SimpleDefinition`], what a new simple
//! attribute definition says.

use chrono::{DateTime, NaiveDateTime, Utc};
use mesh_proto::model_definition as pbd;
use pbd::attribute_definition::DefinitionTypeOneof;
use uuid::Uuid;

use super::ids::{reference, Reference};
use super::values::{timestamp, Value, ValueType};
use crate::error::{Error, Result};
use crate::guid;
use crate::time_series::UnitOfMeasurement;

/// A tag on attribute types and object definitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
}

/// A namespace of model definitions; one without owner is a model
/// definition, the root models are made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// Its id.
    pub id: Uuid,
    /// Its path, `Repository/<model definition>/…`.
    pub path: String,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// The namespace it is in; `None` for a model definition.
    pub owner: Option<Reference>,
    /// Whether it is a model definition.
    pub is_model_definition: bool,
    /// What it holds directly.
    pub children: Vec<NamespaceChild>,
}

/// Something a namespace holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceChild {
    /// A namespace in it.
    Namespace(Reference),
    /// An object definition in it.
    ObjectDefinition(Reference),
    /// An attribute type in it.
    AttributeType(Reference),
}

/// An object definition: what objects of a kind are, and which attributes
/// they have.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectDefinition {
    /// Its id.
    pub id: Uuid,
    /// Its path, `Repository/<namespace path>/<name>`.
    pub path: String,
    /// Its name, the `type_name` of its objects.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// The namespace it is in.
    pub owner: Option<Reference>,
    /// Its tags.
    pub tags: Vec<Tag>,
    /// Its namespace's path from the model definition, joined by dots.
    pub namespace: String,
    /// How many objects of this definition exist, as the session sees the
    /// model.
    pub instance_count: i32,
    /// The attributes its objects have.
    pub attribute_definitions: Vec<AttributeDefinition>,
}

/// An attribute type: the name, kind of value and (for simple types) unit
/// shared by every attribute definition made from it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeType {
    /// Its id.
    pub id: Uuid,
    /// Its path, `Repository/<namespace path>/<name>`.
    pub path: String,
    /// Its name, which its attributes take.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// The namespace it is in.
    pub owner: Option<Reference>,
    /// Its tags.
    pub tags: Vec<Tag>,
    /// Its namespace's path from the model definition, joined by dots.
    pub namespace: String,
    /// The kind of value its attributes hold.
    pub value_type: ValueType,
    /// Its unit, if it has one.
    pub unit: Option<UnitOfMeasurement>,
    /// For relation types, the object definition they point at.
    pub target_object_definition: Option<Reference>,
    /// For simple and XY set types, their expression (possibly empty).
    pub expression: Option<String>,
}

/// An attribute definition: an attribute type added to an object definition,
/// with its cardinality and rules.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDefinition {
    /// Its id.
    pub id: Uuid,
    /// Its path: the object definition's path, `/`, its name.
    pub path: String,
    /// Its name (its attribute type's).
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Its attribute type's tags.
    pub tags: Vec<Tag>,
    /// Its attribute type's namespace, from the model definition, joined by
    /// dots.
    pub namespace: String,
    /// The server's name for its kind, e.g. `DoubleAttributeDefinition` or
    /// `ElementCollectionAttributeDefinition`.
    pub type_name: String,
    /// The fewest values its attributes hold.
    pub minimum_cardinality: i64,
    /// The most values its attributes hold.
    pub maximum_cardinality: i64,
    /// Its attribute type.
    pub attribute_type: Option<Reference>,
    /// The object definition it belongs to.
    pub owner: Option<Reference>,
    /// What is particular to its kind.
    pub kind: DefinitionKind,
}

/// What is particular to each kind of attribute definition.
#[derive(Debug, Clone, PartialEq)]
pub enum DefinitionKind {
    /// A simple attribute: numbers, booleans, strings, times.
    Simple(SimpleDefinitionInfo),
    /// A time series attribute.
    Timeseries {
        /// The expression attributes have unless they set their own.
        template_expression: String,
        /// The unit of its series.
        unit: Option<UnitOfMeasurement>,
    },
    /// An ownership attribute.
    OwnershipRelation {
        /// The `type_name` of the objects it owns.
        target_object_type_name: String,
        /// Their object definition.
        target_object_definition: Option<Reference>,
    },
    /// A link attribute.
    LinkRelation {
        /// The `type_name` of the objects it links to.
        target_object_type_name: String,
        /// Their object definition.
        target_object_definition: Option<Reference>,
        /// Whether links change over time.
        versioned: bool,
    },
    /// An XY set attribute.
    XySet {
        /// Whether sets change over time.
        versioned: bool,
    },
    /// A rating curve attribute.
    RatingCurve,
    /// The server sent no kind-specific part.
    Unknown,
}

/// The rules of a simple attribute definition as the server reports them.
///
/// The wire cannot tell a missing number from zero: integer and double
/// definitions always report a default, minimum and maximum (zero where the
/// definition has none), booleans and strings a default. UTC time rules are
/// `None` when absent.
#[derive(Debug, Clone, PartialEq)]
pub struct SimpleDefinitionInfo {
    /// The kind of value.
    pub value_type: ValueType,
    /// The value new attributes start with.
    pub default: Option<Value>,
    /// The smallest value allowed.
    pub minimum: Option<Value>,
    /// The largest value allowed.
    pub maximum: Option<Value>,
    /// The only values allowed, if listed (integers, doubles, strings).
    pub allowed: Vec<Value>,
    /// The unit of its attribute type (integers and doubles).
    pub unit: Option<UnitOfMeasurement>,
}

/// A new simple attribute definition, for
/// [`Session::add_simple_attribute_definition`](crate::Session::add_simple_attribute_definition).
///
/// ```
/// # use mesh::{SimpleDefinition, Value};
/// let capacity = SimpleDefinition {
///     description: "Installed capacity".into(),
///     default: Some(Value::Double(0.0)),
///     minimum: Some(Value::Double(0.0)),
///     ..SimpleDefinition::default()
/// };
/// let history = SimpleDefinition { cardinality: 10, ..SimpleDefinition::default() };
/// # let _ = (capacity, history);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SimpleDefinition {
    /// What it is for.
    pub description: String,
    /// 0 or 1: singular, one value; more: a collection of up to that many.
    pub cardinality: u32,
    /// The value new attributes start with.
    pub default: Option<Value>,
    /// The smallest value allowed: an integer, double or time.
    pub minimum: Option<Value>,
    /// The largest value allowed: an integer, double or time.
    pub maximum: Option<Value>,
    /// The only values allowed, if any are listed: integers, doubles or
    /// strings.
    pub allowed: Vec<Value>,
}

impl SimpleDefinition {
    pub(crate) fn default_proto(&self) -> Option<pbd::AttributeDefinitionDefaultValue> {
        use pbd::attribute_definition_default_value::ValueOneof as V;
        self.default
            .as_ref()
            .map(|v| pbd::AttributeDefinitionDefaultValue {
                value_oneof: Some(match v {
                    Value::Int(v) => V::IntValue(*v),
                    Value::Double(v) => V::DoubleValue(*v),
                    Value::Bool(v) => V::BooleanValue(*v),
                    Value::String(v) => V::StringValue(v.clone()),
                    Value::UtcTime(v) => V::UtcTimeValue(timestamp(*v)),
                }),
            })
    }

    pub(crate) fn threshold_proto(
        value: Option<&Value>,
        which: &str,
    ) -> Result<Option<pbd::AttributeDefinitionThresholdValue>> {
        use pbd::attribute_definition_threshold_value::ValueOneof as V;
        let Some(value) = value else {
            return Ok(None);
        };
        let value = match value {
            Value::Int(v) => V::IntValue(*v),
            Value::Double(v) => V::DoubleValue(*v),
            Value::UtcTime(v) => V::UtcTimeValue(timestamp(*v)),
            other => {
                return Err(Error::InvalidArgument(format!(
                    "a {which} must be an integer, a double or a time, not {other:?}"
                )))
            }
        };
        Ok(Some(pbd::AttributeDefinitionThresholdValue {
            value_oneof: Some(value),
        }))
    }

    pub(crate) fn allowed_proto(&self) -> Result<Vec<pbd::AttributeDefinitionAllowedValue>> {
        use pbd::attribute_definition_allowed_value::ValueOneof as V;
        self.allowed
            .iter()
            .map(|value| {
                let value = match value {
                    Value::Int(v) => V::IntValue(*v),
                    Value::Double(v) => V::DoubleValue(*v),
                    Value::String(v) => V::StringValue(v.clone()),
                    other => {
                        return Err(Error::InvalidArgument(format!(
                            "allowed values must be integers, doubles or strings, not {other:?}"
                        )))
                    }
                };
                Ok(pbd::AttributeDefinitionAllowedValue {
                    value_oneof: Some(value),
                })
            })
            .collect()
    }
}

fn tag(proto: pbd::Tag) -> Result<Tag> {
    Ok(Tag {
        id: guid::from_proto(proto.id.as_ref())?,
        name: proto.name,
        description: proto.description,
    })
}

fn tags(protos: Vec<pbd::Tag>) -> Result<Vec<Tag>> {
    protos.into_iter().map(tag).collect()
}

fn unit(proto: Option<pbd::UnitOfMeasurement>) -> Result<Option<UnitOfMeasurement>> {
    proto
        .map(|u| {
            Ok(UnitOfMeasurement {
                id: guid::from_proto(u.id.as_ref())?,
                name: u.name,
            })
        })
        .transpose()
}

/// A namespace the server sent.
pub(crate) fn namespace(proto: pbd::Namespace) -> Result<Namespace> {
    use pbd::namespace::child::ChildIdOneof;
    let children = proto
        .children
        .iter()
        .filter_map(|child| child.child_id_oneof.as_ref())
        .map(|child| {
            let (id, make): (_, fn(Reference) -> NamespaceChild) = match child {
                ChildIdOneof::NameSpaceId(id) => (id, NamespaceChild::Namespace),
                ChildIdOneof::ObjectDefinitionId(id) => (id, NamespaceChild::ObjectDefinition),
                ChildIdOneof::AttributeTypeId(id) => (id, NamespaceChild::AttributeType),
            };
            let found = reference(Some(id), "a namespace's child")?
                .ok_or_else(|| Error::Protocol("a namespace child is empty".into()))?;
            Ok(make(found))
        })
        .collect::<Result<_>>()?;
    Ok(Namespace {
        id: guid::from_proto(proto.id.as_ref())?,
        owner: reference(proto.owner_id.as_ref(), "a namespace's owner")?,
        path: proto.path,
        name: proto.name,
        description: proto.description,
        is_model_definition: proto.is_model_definition,
        children,
    })
}

/// An object definition the server sent.
pub(crate) fn object_definition(proto: pbd::ObjectDefinition) -> Result<ObjectDefinition> {
    Ok(ObjectDefinition {
        id: guid::from_proto(proto.id.as_ref())?,
        owner: reference(proto.owner_id.as_ref(), "an object definition's owner")?,
        tags: tags(proto.tags)?,
        attribute_definitions: proto
            .attribute_definitions
            .into_iter()
            .map(attribute_definition)
            .collect::<Result<_>>()?,
        path: proto.path,
        name: proto.name,
        description: proto.description,
        namespace: proto.name_space,
        instance_count: proto.instance_count,
    })
}

/// An attribute type the server sent.
pub(crate) fn attribute_type(proto: pbd::AttributeType) -> Result<AttributeType> {
    Ok(AttributeType {
        id: guid::from_proto(proto.id.as_ref())?,
        owner: reference(proto.owner_id.as_ref(), "an attribute type's owner")?,
        tags: tags(proto.tags)?,
        value_type: ValueType::from_proto(proto.value_type)?,
        unit: unit(proto.unit_of_measurement)?,
        target_object_definition: reference(
            proto.target_object_definition_id.as_ref(),
            "an attribute type's target",
        )?,
        path: proto.path,
        name: proto.name,
        description: proto.description,
        namespace: proto.name_space,
        expression: proto.expression,
    })
}

/// An attribute definition the server sent.
pub(crate) fn attribute_definition(proto: pbd::AttributeDefinition) -> Result<AttributeDefinition> {
    Ok(AttributeDefinition {
        id: guid::from_proto(proto.id.as_ref())?,
        tags: tags(proto.tags)?,
        attribute_type: reference(proto.attribute_type_id.as_ref(), "a definition's type")?,
        owner: reference(proto.owner_id.as_ref(), "a definition's owner")?,
        kind: kind(proto.definition_type_oneof)?,
        path: proto.path,
        name: proto.name,
        description: proto.description,
        namespace: proto.name_space,
        type_name: proto.type_name,
        minimum_cardinality: proto.minimum_cardinality,
        maximum_cardinality: proto.maximum_cardinality,
    })
}

fn kind(proto: Option<DefinitionTypeOneof>) -> Result<DefinitionKind> {
    let simple = |value_type, default, minimum, maximum, allowed, unit| {
        DefinitionKind::Simple(SimpleDefinitionInfo {
            value_type,
            default,
            minimum,
            maximum,
            allowed,
            unit,
        })
    };
    Ok(match proto {
        None => DefinitionKind::Unknown,
        Some(DefinitionTypeOneof::IntDefinition(d)) => simple(
            ValueType::Int,
            Some(Value::Int(d.default_value)),
            Some(Value::Int(d.minimum_value)),
            Some(Value::Int(d.maximum_value)),
            d.allowed_values.into_iter().map(Value::Int).collect(),
            unit(d.unit_of_measurement)?,
        ),
        Some(DefinitionTypeOneof::DoubleDefinition(d)) => simple(
            ValueType::Double,
            Some(Value::Double(d.default_value)),
            Some(Value::Double(d.minimum_value)),
            Some(Value::Double(d.maximum_value)),
            d.allowed_values.into_iter().map(Value::Double).collect(),
            unit(d.unit_of_measurement)?,
        ),
        Some(DefinitionTypeOneof::BooleanDefinition(d)) => simple(
            ValueType::Bool,
            Some(Value::Bool(d.default_value)),
            None,
            None,
            Vec::new(),
            None,
        ),
        Some(DefinitionTypeOneof::StringDefinition(d)) => simple(
            ValueType::String,
            Some(Value::String(d.default_value)),
            None,
            None,
            d.allowed_values.into_iter().map(Value::String).collect(),
            None,
        ),
        Some(DefinitionTypeOneof::UtcTimeDefinition(d)) => simple(
            ValueType::UtcTime,
            definition_time(&d.default_value)?,
            definition_time(&d.minimum_value)?,
            definition_time(&d.maximum_value)?,
            Vec::new(),
            None,
        ),
        Some(DefinitionTypeOneof::TimeseriesDefinition(d)) => DefinitionKind::Timeseries {
            template_expression: d.template_expression,
            unit: unit(d.unit_of_measurement)?,
        },
        Some(DefinitionTypeOneof::OwnershipRelationDefinition(d)) => {
            DefinitionKind::OwnershipRelation {
                target_object_definition: reference(
                    d.target_object_definition_id.as_ref(),
                    "an ownership definition's target",
                )?,
                target_object_type_name: d.target_object_type_name,
            }
        }
        Some(DefinitionTypeOneof::LinkRelationDefinition(d)) => DefinitionKind::LinkRelation {
            target_object_definition: reference(
                d.target_object_definition_id.as_ref(),
                "a link definition's target",
            )?,
            target_object_type_name: d.target_object_type_name,
            versioned: d.versioned,
        },
        Some(DefinitionTypeOneof::XyTableDefinition(d)) => DefinitionKind::XySet {
            versioned: d.versioned,
        },
        Some(DefinitionTypeOneof::RatingCurveDefinition(_)) => DefinitionKind::RatingCurve,
    })
}

/// A time as definitions write it, `UTC` then `yyyyMMddHHmmss`; empty for
/// none.
fn definition_time(text: &str) -> Result<Option<Value>> {
    if text.is_empty() {
        return Ok(None);
    }
    let time = NaiveDateTime::parse_from_str(text, "UTC%Y%m%d%H%M%S").map_err(|error| {
        Error::Protocol(format!(
            "a definition's time {text:?} is not UTCyyyyMMddHHmmss: {error}"
        ))
    })?;
    Ok(Some(Value::UtcTime(
        DateTime::<Utc>::from_naive_utc_and_offset(time, Utc),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definition_times_read_as_instants() {
        let read = definition_time("UTC20220510072415").unwrap().unwrap();
        assert_eq!(
            read.as_utc_time().unwrap().to_rfc3339(),
            "2022-05-10T07:24:15+00:00"
        );
        assert_eq!(definition_time("").unwrap(), None);
        assert!(matches!(
            definition_time("2022-05-10"),
            Err(Error::Protocol(_))
        ));
    }

    #[test]
    fn thresholds_and_allowed_values_refuse_kinds_the_wire_cannot_carry() {
        let bad = Value::Bool(true);
        assert!(matches!(
            SimpleDefinition::threshold_proto(Some(&bad), "minimum"),
            Err(Error::InvalidArgument(_))
        ));
        let definition = SimpleDefinition {
            allowed: vec![Value::Int(1), bad],
            ..SimpleDefinition::default()
        };
        assert!(matches!(
            definition.allowed_proto(),
            Err(Error::InvalidArgument(_))
        ));
    }
}

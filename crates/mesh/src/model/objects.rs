//! Objects and attributes as the SDK gives them: [`Object`], [`Attribute`],
//! their values, and [`AttributeView`], how much a read returns.

use mesh_proto::model as pb;
use mesh_proto::model::attribute_value::ValueOneof;
use uuid::Uuid;

use super::curves::LinkVersion;
use super::definitions::{attribute_definition, AttributeDefinition};
use super::ids::{reference, Reference};
use super::values::{simple_value, Value, ValueType};
use crate::error::{Error, Result};
use crate::guid;

/// How much of their attributes object reads return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AttributeView {
    /// Every attribute with its values, without its definition.
    #[default]
    Basic,
    /// Every attribute with its values and its definition.
    Full,
    /// The object alone, no attributes.
    NoAttributes,
}

/// The fields of an attribute a basic read asks for.
pub(crate) const BASIC_ATTRIBUTE_FIELDS: [&str; 7] = [
    "id",
    "path",
    "name",
    "values",
    "value_type",
    "value_type_collection",
    "owner_id",
];

/// The fields of an object a read without attributes asks for.
pub(crate) const NO_ATTRIBUTES_OBJECT_FIELDS: [&str; 7] = [
    "id",
    "path",
    "name",
    "type_name",
    "owner_id",
    "object_definition_id",
    "name_space_id",
];

/// An object of a model; a model itself is an object with no owner.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// Its id.
    pub id: Uuid,
    /// Its full path, naming the owning attributes, e.g.
    /// `Model/Hydro/North.Plants/Alta`.
    pub path: String,
    /// Its name, the last part of its path.
    pub name: String,
    /// The name of its object definition; for a model, of its model
    /// definition.
    pub type_name: String,
    /// What owns it: the ownership attribute holding it, or the model for
    /// objects a model owns directly; `None` for a model.
    pub owner: Option<Reference>,
    /// Its object definition; for a model, its model definition.
    pub definition: Option<Reference>,
    /// Its attributes, as the read's [`AttributeView`] asked.
    pub attributes: Vec<Attribute>,
}

impl Object {
    /// The attribute named `name`, if the read returned it.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

/// An attribute of an object, with its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// Its id.
    pub id: Uuid,
    /// Its path: the owning object's full path, `.`, its name.
    pub path: String,
    /// Its name (its attribute type's name).
    pub name: String,
    /// The kind of value it holds.
    pub value_type: ValueType,
    /// Whether it holds a list of values rather than one.
    pub collection: bool,
    /// The object it belongs to.
    pub owner: Reference,
    /// Its values.
    pub values: AttributeValues,
    /// Its definition, when the read asked for full information.
    pub definition: Option<AttributeDefinition>,
}

impl Attribute {
    /// The value of a singular simple attribute (`None` for other
    /// attributes, and for a singular one without a value).
    pub fn value(&self) -> Option<&Value> {
        match &self.values {
            AttributeValues::Simple(values) if !self.collection => values.first(),
            _ => None,
        }
    }

    /// The values of a simple attribute (none for other attributes).
    pub fn simple_values(&self) -> &[Value] {
        match &self.values {
            AttributeValues::Simple(values) => values,
            _ => &[],
        }
    }

    /// The objects an ownership or link attribute points at (none for
    /// other attributes).
    pub fn target_ids(&self) -> &[Uuid] {
        match &self.values {
            AttributeValues::Ownership(ids) | AttributeValues::Link(ids) => ids,
            _ => &[],
        }
    }
}

/// The values of an attribute, by its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValues {
    /// Simple values: at most one for a singular attribute, the list for a
    /// collection.
    Simple(Vec<Value>),
    /// The ids of the objects an ownership attribute owns.
    Ownership(Vec<Uuid>),
    /// The ids of the objects a link attribute points at.
    Link(Vec<Uuid>),
    /// A time series attribute: its series and expression.
    Timeseries {
        /// The key of the series it is connected to, if any.
        timeseries_key: Option<i64>,
        /// The expression in effect: the local one if set, else the
        /// template's.
        expression: String,
        /// Whether `expression` is the attribute's own.
        is_local_expression: bool,
    },
    /// The entries of a versioned link (at most one for a one-to-one
    /// link), each its versions sorted by start.
    VersionedLink(Vec<Vec<LinkVersion>>),
    /// Values of kinds read with calls of their own (XY sets, rating
    /// curves), or none when the read did not ask for values.
    Other,
}

/// An object the server sent.
pub(crate) fn object(proto: pb::Object) -> Result<Object> {
    let id = guid::from_proto(proto.id.as_ref())?;
    let definition = match &proto.definition_oneof {
        Some(pb::object::DefinitionOneof::ObjectDefinitionId(d))
        | Some(pb::object::DefinitionOneof::NameSpaceId(d)) => {
            reference(Some(d), "an object's definition")?
        }
        None => None,
    };
    Ok(Object {
        id,
        owner: reference(proto.owner_id.as_ref(), "an object's owner")?,
        definition,
        attributes: proto
            .attributes
            .into_iter()
            .map(attribute)
            .collect::<Result<_>>()?,
        path: proto.path,
        name: proto.name,
        type_name: proto.type_name,
    })
}

/// An attribute the server sent.
pub(crate) fn attribute(proto: pb::Attribute) -> Result<Attribute> {
    let id = guid::from_proto(proto.id.as_ref())?;
    let value_type = ValueType::from_proto(proto.value_type)?;
    let owner = reference(proto.owner_id.as_ref(), "an attribute's owner")?
        .ok_or_else(|| Error::Protocol(format!("attribute {id} came without its owner")))?;
    Ok(Attribute {
        id,
        values: values(value_type, &proto.values)?,
        definition: proto.definition.map(attribute_definition).transpose()?,
        path: proto.path,
        name: proto.name,
        value_type,
        collection: proto.value_type_collection,
        owner,
    })
}

fn values(value_type: ValueType, values: &[pb::AttributeValue]) -> Result<AttributeValues> {
    let mismatch = |value: &pb::AttributeValue| {
        Error::Protocol(format!(
            "a {value_type:?} attribute came with a value of another kind: {value:?}"
        ))
    };
    let target = |target: Option<&mesh_proto::types::Guid>| guid::from_proto(target);
    Ok(match value_type {
        t if t.is_simple() => AttributeValues::Simple(
            values
                .iter()
                .map(|v| simple_value(v)?.ok_or_else(|| mismatch(v)))
                .collect::<Result<_>>()?,
        ),
        ValueType::OwnershipRelation => AttributeValues::Ownership(
            values
                .iter()
                .map(|v| match &v.value_oneof {
                    Some(ValueOneof::OwnershipRelationValue(o)) => {
                        target(o.target_object_id.as_ref())
                    }
                    _ => Err(mismatch(v)),
                })
                .collect::<Result<_>>()?,
        ),
        ValueType::LinkRelation => AttributeValues::Link(
            values
                .iter()
                .map(|v| match &v.value_oneof {
                    Some(ValueOneof::LinkRelationValue(l)) => target(l.target_object_id.as_ref()),
                    _ => Err(mismatch(v)),
                })
                .collect::<Result<_>>()?,
        ),
        ValueType::VersionedLinkRelation => AttributeValues::VersionedLink(
            values
                .iter()
                .map(|v| match &v.value_oneof {
                    Some(ValueOneof::VersionedLinkRelationValue(entry)) => entry
                        .versions
                        .iter()
                        .map(LinkVersion::from_proto)
                        .collect::<Result<Vec<_>>>(),
                    _ => Err(mismatch(v)),
                })
                .collect::<Result<_>>()?,
        ),
        ValueType::Timeseries => match values.first().map(|v| &v.value_oneof) {
            Some(Some(ValueOneof::TimeseriesValue(t))) => AttributeValues::Timeseries {
                timeseries_key: t
                    .time_series_resource
                    .as_ref()
                    .map(|r| r.timeseries_key)
                    .filter(|key| *key != 0),
                expression: t.expression.clone(),
                is_local_expression: t.is_local_expression,
            },
            Some(_) => return Err(mismatch(&values[0])),
            None => AttributeValues::Other,
        },
        _ => AttributeValues::Other,
    })
}

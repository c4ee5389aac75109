//! Model entities as proto messages, shaped by the masks of the request.

use crate::services::status::OrStatus;
use mesh_model::{
    AttributeRef, DefinitionRules, Held, LinkVersion, Model, Object, Owner, TypeKind, Value,
    ValueType,
};
use mesh_proto::model::{self as pb, attribute_value::ValueOneof};
use mesh_proto::model_definition::{self as pbd, attribute_definition::DefinitionTypeOneof};
use mesh_proto::types::MeshId;
use std::collections::HashSet;

use prost_types::{FieldMask, Timestamp};
use tonic::Status;
use uuid::Uuid;

use super::target::{model_attribute_id, MODEL_ATTRIBUTE};
use crate::guid;

/// A request's field mask as a set: a mask may list any number of paths,
/// and an answer of many objects asks it many times, so each question
/// must cost one lookup, not a walk over the paths.
#[derive(Debug, Clone, Default)]
pub struct FieldSet(Option<HashSet<String>>);

impl FieldSet {
    /// The fields `mask` asks for: all, unless it lists paths.
    pub fn of(mask: Option<&FieldMask>) -> FieldSet {
        FieldSet(
            mask.filter(|m| !m.paths.is_empty())
                .map(|m| m.paths.iter().cloned().collect()),
        )
    }

    /// The set, to ask.
    pub fn fields(&self) -> Fields<'_> {
        Fields(self.0.as_ref())
    }
}

/// Which fields of a message to fill ([`FieldSet::fields`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Fields<'a>(Option<&'a HashSet<String>>);

impl Fields<'_> {
    /// Whether `field` is asked for.
    pub fn has(&self, field: &str) -> bool {
        self.0.is_none_or(|set| set.contains(field))
    }
}

/// Which attributes of an object to answer with (`AttributesMasks`), as
/// sets (see [`FieldSet`]): each mask that lists something must match; an
/// empty message means all.
#[derive(Debug, Clone, Default)]
pub struct AttributeSelection {
    names: Option<HashSet<String>>,
    tags: Option<HashSet<String>>,
    namespaces: Option<HashSet<String>>,
    types: Option<HashSet<i32>>,
}

impl AttributeSelection {
    /// The attributes `masks` select; all without masks.
    pub fn of(masks: Option<&pb::AttributesMasks>) -> AttributeSelection {
        fn listed(mask: &Option<FieldMask>) -> Option<HashSet<String>> {
            mask.as_ref()
                .filter(|m| !m.paths.is_empty())
                .map(|m| m.paths.iter().cloned().collect())
        }
        let Some(masks) = masks else {
            return AttributeSelection::default();
        };
        AttributeSelection {
            names: listed(&masks.name_mask),
            tags: listed(&masks.tag_mask),
            namespaces: listed(&masks.namespace_mask),
            types: (!masks.types.is_empty()).then(|| masks.types.iter().copied().collect()),
        }
    }

    /// The selection, to ask.
    pub fn filter(&self) -> AttributeFilter<'_> {
        AttributeFilter(Some(self))
    }
}

/// Which attributes of an object to answer with ([`AttributeSelection`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct AttributeFilter<'a>(Option<&'a AttributeSelection>);

impl AttributeFilter<'_> {
    fn keeps(&self, model: &Model, attribute: &AttributeRef<'_>) -> bool {
        let Some(selection) = self.0 else {
            return true;
        };
        if let Some(names) = &selection.names {
            if !names.contains(&attribute.attribute_type.name) {
                return false;
            }
        }
        if let Some(tags) = &selection.tags {
            let has = attribute
                .attribute_type
                .tags
                .iter()
                .filter_map(|t| model.tag(*t))
                .any(|t| tags.contains(&t.name));
            if !has {
                return false;
            }
        }
        if let Some(namespaces) = &selection.namespaces {
            let namespace = namespace_name(model, attribute.attribute_type.namespace);
            if !namespaces.contains(&namespace) {
                return false;
            }
        }
        if let Some(types) = &selection.types {
            let value_type = value_type(definition_value_type(attribute)) as i32;
            if !types.contains(&value_type) {
                return false;
            }
        }
        true
    }
}

/// An id with the path that names the same thing.
pub fn mesh_id(id: Uuid, path: String) -> MeshId {
    MeshId {
        id: Some(guid::to_proto(id)),
        path: Some(path),
        timeseries_key: None,
    }
}

/// How the definitions name a namespace: its path from the model
/// definition, joined by dots.
pub fn namespace_name(model: &Model, namespace: Uuid) -> String {
    model.namespace_path(namespace).replace('/', ".")
}

/// The path of an object definition.
pub fn object_definition_path(model: &Model, definition: Uuid) -> String {
    match model.object_definition(definition) {
        Some(d) => format!(
            "Repository/{}/{}",
            model.namespace_path(d.namespace),
            d.name
        ),
        None => String::new(),
    }
}

/// What one answer's objects share: the attribute definitions built so far
/// (a search's objects share a handful), and the time series their
/// attributes are connected to (read from the store beforehand).
#[derive(Debug, Default)]
pub struct AnswerCache {
    /// Attribute definitions built so far, by id.
    pub definitions: std::collections::HashMap<Uuid, pbd::AttributeDefinition>,
    /// Time series resources by key.
    pub resources: std::collections::HashMap<i64, mesh_proto::time_series::TimeseriesResource>,
}

/// The keys of the series the time series attributes of `objects` are
/// connected to, to read into an [`AnswerCache`] before converting them.
pub fn series_keys<'a>(objects: impl IntoIterator<Item = &'a Object>) -> Vec<i64> {
    let mut keys: Vec<i64> = objects
        .into_iter()
        .flat_map(|o| o.attributes.iter().map(|slot| slot.timeseries().0))
        .filter(|key| *key != 0)
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// An object as the request asks for it, with what the answer's objects
/// share in `cache`.
pub fn object(
    model: &Model,
    object: &Object,
    object_fields: Fields<'_>,
    filter: AttributeFilter<'_>,
    attribute_fields: Fields<'_>,
    cache: &mut AnswerCache,
) -> Result<pb::Object, Status> {
    let path = model.object_path(object.id).or_status()?;
    let mut answer = pb::Object {
        id: Some(guid::to_proto(object.id)),
        ..Default::default()
    };
    if object_fields.has("path") {
        answer.path = path.clone();
    }
    if object_fields.has("name") {
        answer.name = object.name.clone();
    }
    if object_fields.has("type_name") {
        answer.type_name = if object.is_model() {
            model
                .namespace(object.definition)
                .map(|n| n.name.clone())
                .unwrap_or_default()
        } else {
            model
                .object_definition(object.definition)
                .map(|d| d.name.clone())
                .unwrap_or_default()
        };
    }
    if object_fields.has("owner_id") {
        answer.owner_id = owner_id(model, object.owner)?;
    }
    if object.is_model() {
        if object_fields.has("name_space_id") {
            answer.definition_oneof = Some(pb::object::DefinitionOneof::NameSpaceId(mesh_id(
                object.definition,
                format!("Repository/{}", model.namespace_path(object.definition)),
            )));
        }
    } else if object_fields.has("object_definition_id") {
        answer.definition_oneof = Some(pb::object::DefinitionOneof::ObjectDefinitionId(mesh_id(
            object.definition,
            object_definition_path(model, object.definition),
        )));
    }
    if object_fields.has("attributes") {
        if object.is_model() {
            answer
                .attributes
                .push(model_attribute(model, object, &path, attribute_fields));
        }
        for attribute in model.attributes_of(object) {
            if filter.keeps(model, &attribute) {
                answer.attributes.push(attribute_at(
                    model,
                    &attribute,
                    attribute_fields,
                    &path,
                    cache,
                )?);
            }
        }
    }
    Ok(answer)
}

/// Who owns an object: the owning attribute, or the model for objects a
/// model owns directly; nothing for a model.
fn owner_id(model: &Model, owner: Option<Owner>) -> Result<Option<MeshId>, Status> {
    let Some(owner) = owner else {
        return Ok(None);
    };
    let owner_object = model.find_object(owner.object).or_status()?;
    let Some(definition) = owner.attribute else {
        return Ok(Some(mesh_id(
            owner.object,
            model.object_path(owner.object).or_status()?,
        )));
    };
    let slot = owner_object
        .slot(definition)
        .ok_or_else(|| Status::internal(format!("object {} lost an attribute", owner.object)))?;
    Ok(Some(mesh_id(
        slot.id,
        model.attribute_path(slot.id).or_status()?,
    )))
}

/// The one attribute of a model: it owns the objects the model owns
/// directly. It has no definition of its own.
pub fn model_attribute(
    model: &Model,
    object: &Object,
    path: &str,
    fields: Fields<'_>,
) -> pb::Attribute {
    let children = model.children(Owner {
        object: object.id,
        attribute: None,
    });
    let mut answer = pb::Attribute {
        id: Some(guid::to_proto(model_attribute_id(object))),
        owner_id: Some(mesh_id(object.id, path.to_string())),
        value_type: pbd::AttributeValueType::OwnershipRelation as i32,
        ..Default::default()
    };
    if fields.has("path") {
        answer.path = format!("{path}.{MODEL_ATTRIBUTE}");
    }
    if fields.has("name") {
        answer.name = MODEL_ATTRIBUTE.to_string();
    }
    if fields.has("value_type_collection") {
        answer.value_type_collection = true;
    }
    if fields.has("values") {
        answer.values = children.map(ownership_value).collect();
    }
    answer
}

fn ownership_value(target: Uuid) -> pb::AttributeValue {
    pb::AttributeValue {
        value_oneof: Some(ValueOneof::OwnershipRelationValue(
            pb::OwnershipRelationAttributeValue {
                target_object_id: Some(guid::to_proto(target)),
            },
        )),
    }
}

/// The kind of value an attribute holds, versioned links told apart.
fn definition_value_type(attribute: &AttributeRef<'_>) -> ValueType {
    match attribute.definition.rules {
        DefinitionRules::LinkRelation { versioned: true } => ValueType::VersionedLinkRelation,
        _ => attribute.attribute_type.kind.value_type(),
    }
}

/// An attribute as the request asks for it. Its id, value type and owner
/// are always there: clients read them whatever they asked for.
pub fn attribute(
    model: &Model,
    attribute: &AttributeRef<'_>,
    fields: Fields<'_>,
    cache: &mut AnswerCache,
) -> Result<pb::Attribute, Status> {
    let object_path = model.object_path(attribute.object.id).or_status()?;
    attribute_at(model, attribute, fields, &object_path, cache)
}

/// [`attribute`] of an object whose path is known, with the definitions
/// already built for it.
fn attribute_at(
    model: &Model,
    attribute: &AttributeRef<'_>,
    fields: Fields<'_>,
    object_path: &str,
    cache: &mut AnswerCache,
) -> Result<pb::Attribute, Status> {
    let kind = definition_value_type(attribute);
    let mut answer = pb::Attribute {
        id: Some(guid::to_proto(attribute.slot.id)),
        owner_id: Some(mesh_id(attribute.object.id, object_path.to_string())),
        value_type: value_type(kind) as i32,
        ..Default::default()
    };
    if fields.has("path") {
        answer.path = format!("{object_path}.{}", attribute.attribute_type.name);
    }
    if fields.has("name") {
        answer.name = attribute.attribute_type.name.clone();
    }
    if fields.has("value_type_collection") {
        answer.value_type_collection = attribute.definition.is_collection();
    }
    if fields.has("values") {
        answer.values = values(model, attribute, cache);
    }
    if fields.has("definition") {
        let id = attribute.definition.id;
        let definition = match cache.definitions.get(&id) {
            Some(built) => built.clone(),
            None => {
                let built = attribute_definition(model, id)?;
                cache.definitions.insert(id, built.clone());
                built
            }
        };
        answer.definition = Some(definition);
    }
    Ok(answer)
}

fn values(
    model: &Model,
    attribute: &AttributeRef<'_>,
    cache: &AnswerCache,
) -> Vec<pb::AttributeValue> {
    match &attribute.attribute_type.kind {
        TypeKind::Simple { .. } => attribute.slot.values.iter().map(simple_value).collect(),
        TypeKind::OwnershipRelation { .. } => model
            .children(Owner {
                object: attribute.object.id,
                attribute: Some(attribute.definition.id),
            })
            .map(ownership_value)
            .collect(),
        // Clients expect exactly one value of a time series attribute,
        // connected or not.
        TypeKind::Timeseries { .. } => {
            let (key, local) = attribute.slot.timeseries();
            let expression = match (local, &attribute.definition.rules) {
                (Some(local), _) => local.to_string(),
                (
                    None,
                    DefinitionRules::Timeseries {
                        template_expression,
                    },
                ) => template_expression.clone(),
                (None, _) => String::new(),
            };
            vec![pb::AttributeValue {
                value_oneof: Some(ValueOneof::TimeseriesValue(pb::TimeseriesAttributeValue {
                    time_series_resource: cache.resources.get(&key).cloned(),
                    expression,
                    is_local_expression: local.is_some(),
                })),
            }]
        }
        // One value per target; none for a one-to-one link pointing at
        // nothing (clients cannot read an empty id).
        TypeKind::LinkRelation { .. } => match attribute.slot.held.as_deref() {
            Some(Held::Links(targets)) => targets
                .iter()
                .map(|target| pb::AttributeValue {
                    value_oneof: Some(ValueOneof::LinkRelationValue(
                        pb::LinkRelationAttributeValue {
                            target_object_id: Some(guid::to_proto(*target)),
                        },
                    )),
                })
                .collect(),
            Some(Held::VersionedLinks(entries)) => entries
                .iter()
                .map(|entry| pb::AttributeValue {
                    value_oneof: Some(ValueOneof::VersionedLinkRelationValue(
                        pb::VersionedLinkRelationAttributeValue {
                            versions: entry.iter().map(link_version).collect(),
                        },
                    )),
                })
                .collect(),
            _ => Vec::new(),
        },
        // Read with their own calls (GetXySets, GetRatingCurveVersions).
        TypeKind::RatingCurve | TypeKind::XySet { .. } => Vec::new(),
    }
}

/// One version of a versioned link as a proto message.
pub fn link_version(version: &LinkVersion) -> pb::LinkRelationVersion {
    pb::LinkRelationVersion {
        target_object_id: version.target.map(guid::to_proto),
        valid_from_time: Some(timestamp(version.valid_from)),
    }
}

/// A simple value as a proto value.
pub fn simple_value(value: &Value) -> pb::AttributeValue {
    pb::AttributeValue {
        value_oneof: Some(match value {
            Value::Int(v) => ValueOneof::IntValue(*v),
            Value::Double(v) => ValueOneof::DoubleValue(*v),
            Value::Bool(v) => ValueOneof::BooleanValue(*v),
            Value::String(v) => ValueOneof::StringValue(v.clone()),
            Value::UtcTime(ticks) => ValueOneof::UtcTimeValue(timestamp(*ticks)),
        }),
    }
}

/// A simple value from a proto value; other kinds are refused.
pub fn value_from_proto(value: &pb::AttributeValue) -> Result<Value, Status> {
    Ok(match &value.value_oneof {
        Some(ValueOneof::IntValue(v)) => Value::Int(*v),
        Some(ValueOneof::DoubleValue(v)) => Value::Double(*v),
        Some(ValueOneof::BooleanValue(v)) => Value::Bool(*v),
        Some(ValueOneof::StringValue(v)) => Value::String(v.clone()),
        Some(ValueOneof::UtcTimeValue(t)) => Value::UtcTime(ticks(t)?),
        Some(_) => {
            return Err(Status::invalid_argument(
                "only int, double, boolean, string and UTC time values can be set on a simple attribute",
            ))
        }
        None => return Err(Status::invalid_argument("an attribute value carries no value")),
    })
}

/// Ticks of 100 ns since the Unix epoch as a Timestamp.
pub fn timestamp(ticks: i64) -> Timestamp {
    Timestamp {
        seconds: ticks.div_euclid(10_000_000),
        nanos: (ticks.rem_euclid(10_000_000) * 100) as i32,
    }
}

/// A Timestamp as ticks of 100 ns (finer digits are dropped, as Mesh keeps
/// times to the tick); refused outside the range ticks can hold.
pub fn ticks(timestamp: &Timestamp) -> Result<i64, Status> {
    if !(0..1_000_000_000).contains(&timestamp.nanos) {
        return Err(Status::invalid_argument(format!(
            "invalid timestamp: nanos {} is outside 0..999999999",
            timestamp.nanos
        )));
    }
    timestamp
        .seconds
        .checked_mul(10_000_000)
        .and_then(|t| t.checked_add(i64::from(timestamp.nanos / 100)))
        .ok_or_else(|| {
            Status::invalid_argument(format!(
                "invalid timestamp: {} seconds is outside the times Mesh can keep",
                timestamp.seconds
            ))
        })
}

/// The proto enum of a kind of value.
pub fn value_type(kind: ValueType) -> pbd::AttributeValueType {
    use pbd::AttributeValueType as T;
    match kind {
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
    }
}

/// A UTC time as the definitions write it: `UTC` then `yyyyMMddHHmmss`.
pub fn definition_time(ticks: i64) -> String {
    let seconds = ticks.div_euclid(10_000_000);
    match chrono::DateTime::from_timestamp(seconds, 0) {
        Some(time) => time.format("UTC%Y%m%d%H%M%S").to_string(),
        None => String::new(),
    }
}

/// An attribute definition as a proto message.
pub fn attribute_definition(model: &Model, id: Uuid) -> Result<pbd::AttributeDefinition, Status> {
    let definition = model.find_attribute_definition(id).or_status()?;
    let base = model
        .find_attribute_type(definition.attribute_type)
        .or_status()?;
    let owner_path = object_definition_path(model, definition.object_definition);
    let unit = |unit: Option<Uuid>| {
        unit.and_then(mesh_model::units::by_id)
            .map(|u| pbd::UnitOfMeasurement {
                id: Some(guid::to_proto(u.id)),
                name: u.name.to_string(),
            })
    };
    let collection = definition.is_collection();
    let target_name = |target: Uuid| {
        model
            .object_definition(target)
            .map(|d| d.name.clone())
            .unwrap_or_default()
    };
    let (type_name, oneof) = match (&base.kind, &definition.rules) {
        (
            TypeKind::Simple {
                value_type,
                unit: u,
                ..
            },
            DefinitionRules::Simple {
                default,
                minimum,
                maximum,
                allowed,
            },
        ) => simple_definition(
            *value_type,
            collection,
            unit(*u),
            default,
            minimum,
            maximum,
            allowed,
        ),
        (
            TypeKind::Timeseries { unit: u },
            DefinitionRules::Timeseries {
                template_expression,
            },
        ) => (
            "TimeseriesAttributeDefinition".to_string(),
            DefinitionTypeOneof::TimeseriesDefinition(pbd::TimeseriesAttributeDefinition {
                template_expression: template_expression.clone(),
                unit_of_measurement: unit(*u),
            }),
        ),
        (TypeKind::OwnershipRelation { target }, _) => (
            if collection {
                "ElementCollectionAttributeDefinition"
            } else {
                "ElementAttributeDefinition"
            }
            .to_string(),
            DefinitionTypeOneof::OwnershipRelationDefinition(
                pbd::OwnershipRelationAttributeDefinition {
                    target_object_type_name: target_name(*target),
                    target_object_definition_id: Some(mesh_id(
                        *target,
                        object_definition_path(model, *target),
                    )),
                },
            ),
        ),
        (TypeKind::LinkRelation { target }, DefinitionRules::LinkRelation { versioned }) => (
            match (versioned, collection) {
                (false, false) => "ReferenceAttributeDefinition",
                (false, true) => "ReferenceCollectionAttributeDefinition",
                (true, false) => "ReferenceSeriesAttributeDefinition",
                (true, true) => "ReferenceSeriesCollectionAttributeDefinition",
            }
            .to_string(),
            DefinitionTypeOneof::LinkRelationDefinition(pbd::LinkRelationAttributeDefinition {
                target_object_type_name: target_name(*target),
                target_object_definition_id: Some(mesh_id(
                    *target,
                    object_definition_path(model, *target),
                )),
                versioned: *versioned,
            }),
        ),
        (
            TypeKind::XySet { .. },
            DefinitionRules::XySet {
                versioned,
                x_axis,
                y_axis,
                z_axis,
            },
        ) => {
            let axis = |a: &mesh_model::Axis| pbd::XySetAxis {
                description: a.description.clone(),
                unit_of_measurement: unit(a.unit),
            };
            (
                if *versioned {
                    "XYZSeriesAttributeDefinition"
                } else {
                    "XYSetAttributeDefinition"
                }
                .to_string(),
                DefinitionTypeOneof::XyTableDefinition(pbd::XySetsAttributeDefinition {
                    versioned: *versioned,
                    x_axis: Some(axis(x_axis)),
                    y_axis: Some(axis(y_axis)),
                    z_axis: z_axis.as_ref().map(axis),
                }),
            )
        }
        _ => (
            "RatingCurveAttributeDefinition".to_string(),
            DefinitionTypeOneof::RatingCurveDefinition(pbd::RatingCurveAttributeDefinition {}),
        ),
    };
    Ok(pbd::AttributeDefinition {
        id: Some(guid::to_proto(definition.id)),
        path: format!("{owner_path}/{}", base.name),
        name: base.name.clone(),
        description: definition.description.clone(),
        tags: base
            .tags
            .iter()
            .filter_map(|t| model.tag(*t))
            .map(tag)
            .collect(),
        name_space: namespace_name(model, base.namespace),
        type_name,
        minimum_cardinality: definition.minimum_cardinality,
        maximum_cardinality: definition.maximum_cardinality,
        definition_type_oneof: Some(oneof),
        attribute_type_id: Some(mesh_id(
            base.id,
            format!(
                "Repository/{}/{}",
                model.namespace_path(base.namespace),
                base.name
            ),
        )),
        owner_id: Some(mesh_id(definition.object_definition, owner_path)),
    })
}

/// A tag as a proto message.
pub fn tag(tag: &mesh_model::Tag) -> pbd::Tag {
    pbd::Tag {
        id: Some(guid::to_proto(tag.id)),
        name: tag.name.clone(),
        description: tag.description.clone(),
    }
}

fn simple_definition(
    value_type: ValueType,
    collection: bool,
    unit: Option<pbd::UnitOfMeasurement>,
    default: &Option<Value>,
    minimum: &Option<Value>,
    maximum: &Option<Value>,
    allowed: &[Value],
) -> (String, DefinitionTypeOneof) {
    let array = if collection { "Array" } else { "" };
    let int = |v: &Option<Value>| match v {
        Some(Value::Int(v)) => *v,
        _ => 0,
    };
    let double = |v: &Option<Value>| match v {
        Some(Value::Double(v)) => *v,
        _ => 0.0,
    };
    let time = |v: &Option<Value>| match v {
        Some(Value::UtcTime(t)) => definition_time(*t),
        _ => String::new(),
    };
    match value_type {
        ValueType::Int => (
            format!("Int64{array}AttributeDefinition"),
            DefinitionTypeOneof::IntDefinition(pbd::Int64AttributeDefinition {
                default_value: int(default),
                minimum_value: int(minimum),
                maximum_value: int(maximum),
                unit_of_measurement: unit,
                allowed_values: allowed
                    .iter()
                    .filter_map(|v| match v {
                        Value::Int(v) => Some(*v),
                        _ => None,
                    })
                    .collect(),
            }),
        ),
        ValueType::Double => (
            format!("Double{array}AttributeDefinition"),
            DefinitionTypeOneof::DoubleDefinition(pbd::DoubleAttributeDefinition {
                default_value: double(default),
                minimum_value: double(minimum),
                maximum_value: double(maximum),
                unit_of_measurement: unit,
                allowed_values: allowed
                    .iter()
                    .filter_map(|v| match v {
                        Value::Double(v) => Some(*v),
                        _ => None,
                    })
                    .collect(),
            }),
        ),
        ValueType::Bool => (
            format!("Boolean{array}AttributeDefinition"),
            DefinitionTypeOneof::BooleanDefinition(pbd::BooleanAttributeDefinition {
                default_value: matches!(default, Some(Value::Bool(true))),
            }),
        ),
        ValueType::UtcTime => (
            format!("UtcDateTime{array}AttributeDefinition"),
            DefinitionTypeOneof::UtcTimeDefinition(pbd::UtcTimeAttributeDefinition {
                default_value: time(default),
                minimum_value: time(minimum),
                maximum_value: time(maximum),
            }),
        ),
        _ => (
            format!("String{array}AttributeDefinition"),
            DefinitionTypeOneof::StringDefinition(pbd::StringAttributeDefinition {
                default_value: match default {
                    Some(Value::String(v)) => v.clone(),
                    _ => String::new(),
                },
                allowed_values: allowed
                    .iter()
                    .filter_map(|v| match v {
                        Value::String(v) => Some(v.clone()),
                        _ => None,
                    })
                    .collect(),
            }),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(paths: &[&str]) -> FieldMask {
        FieldMask {
            paths: paths.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn a_field_set_asks_as_its_mask_does() {
        let all = FieldSet::of(None);
        assert!(all.fields().has("path") && all.fields().has("anything"));
        let empty = FieldSet::of(Some(&mask(&[])));
        assert!(empty.fields().has("path"), "an empty mask asks for all");
        let some = FieldSet::of(Some(&mask(&["name", "path", "name"])));
        assert!(some.fields().has("name") && some.fields().has("path"));
        assert!(!some.fields().has("attributes"));
        // Many paths: still one lookup a question.
        let paths: Vec<String> = (0..100_000).map(|i| format!("f{i}")).collect();
        let many = FieldSet::of(Some(&FieldMask { paths }));
        assert!(many.fields().has("f99999") && !many.fields().has("path"));
    }

    #[test]
    fn an_attribute_selection_without_lists_keeps_all() {
        let masks = pb::AttributesMasks {
            name_mask: Some(mask(&[])),
            ..Default::default()
        };
        let selection = AttributeSelection::of(Some(&masks));
        assert!(selection.names.is_none() && selection.types.is_none());
        let selection = AttributeSelection::of(Some(&pb::AttributesMasks {
            name_mask: Some(mask(&["Capacity"])),
            types: vec![3],
            ..Default::default()
        }));
        assert!(selection.names.as_ref().unwrap().contains("Capacity"));
        assert!(selection.types.as_ref().unwrap().contains(&3));
    }
}

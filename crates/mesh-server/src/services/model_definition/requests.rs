//! Model definition requests as the model's terms: kinds, rules,
//! cardinalities and metadata.

use crate::services::status::OrStatus;
use mesh_model::{Axis, Change, DefinitionRules, Model, TypeKind, Value, ValueType};
use mesh_proto::model_definition as pbd;
use mesh_proto::types::MeshId;
use tonic::Status;
use uuid::Uuid;

use super::target;
use crate::guid;
use crate::services::model::change;
use crate::services::model::convert::ticks;
use crate::session::SessionLease;

/// The kind of a new simple attribute type.
pub fn simple_type(r: &pbd::CreateSimpleAttributeTypeRequest) -> Result<TypeKind, Status> {
    use pbd::AttributeValueType as T;
    let value_type = match T::try_from(r.value_type) {
        Ok(T::Int) => ValueType::Int,
        Ok(T::Double) => ValueType::Double,
        Ok(T::Bool) => ValueType::Bool,
        Ok(T::String) => ValueType::String,
        Ok(T::UtcTime) => ValueType::UtcTime,
        _ => {
            return Err(Status::invalid_argument(format!(
                "value_type {} is not a simple value type (int, double, bool, string or UTC time)",
                r.value_type
            )))
        }
    };
    let unit = r
        .unit_of_measurement_id
        .as_ref()
        .map(|g| guid::from_proto(g, "unit_of_measurement_id"))
        .transpose()?;
    Ok(TypeKind::Simple {
        value_type,
        unit,
        expression: r.expression.clone(),
    })
}

/// Minimum and maximum cardinality of a definition given one number: 0 or 1
/// make it singular (one value, always there); more make it a collection of
/// up to that many values.
pub fn cardinality(cardinality: i32) -> (i64, i64) {
    if cardinality <= 1 {
        (1, 1)
    } else {
        (0, i64::from(cardinality))
    }
}

fn default_value(v: &pbd::AttributeDefinitionDefaultValue) -> Result<Option<Value>, Status> {
    use pbd::attribute_definition_default_value::ValueOneof as V;
    Ok(match &v.value_oneof {
        Some(V::IntValue(v)) => Some(Value::Int(*v)),
        Some(V::DoubleValue(v)) => Some(Value::Double(*v)),
        Some(V::BooleanValue(v)) => Some(Value::Bool(*v)),
        Some(V::StringValue(v)) => Some(Value::String(v.clone())),
        Some(V::UtcTimeValue(t)) => Some(Value::UtcTime(ticks(t)?)),
        None => None,
    })
}

fn threshold(v: &pbd::AttributeDefinitionThresholdValue) -> Result<Option<Value>, Status> {
    use pbd::attribute_definition_threshold_value::ValueOneof as V;
    Ok(match &v.value_oneof {
        Some(V::IntValue(v)) => Some(Value::Int(*v)),
        Some(V::DoubleValue(v)) => Some(Value::Double(*v)),
        Some(V::UtcTimeValue(t)) => Some(Value::UtcTime(ticks(t)?)),
        None => None,
    })
}

fn allowed(values: &[pbd::AttributeDefinitionAllowedValue]) -> Vec<Value> {
    use pbd::attribute_definition_allowed_value::ValueOneof as V;
    values
        .iter()
        .filter_map(|v| match &v.value_oneof {
            Some(V::IntValue(v)) => Some(Value::Int(*v)),
            Some(V::DoubleValue(v)) => Some(Value::Double(*v)),
            Some(V::StringValue(v)) => Some(Value::String(v.clone())),
            None => None,
        })
        .collect()
}

/// The rules of a new simple attribute definition.
pub fn simple_rules(
    default: Option<&pbd::AttributeDefinitionDefaultValue>,
    lower: Option<&pbd::AttributeDefinitionThresholdValue>,
    upper: Option<&pbd::AttributeDefinitionThresholdValue>,
    allowed_values: &[pbd::AttributeDefinitionAllowedValue],
) -> Result<DefinitionRules, Status> {
    Ok(DefinitionRules::Simple {
        default: default.map(default_value).transpose()?.flatten(),
        minimum: lower.map(threshold).transpose()?.flatten(),
        maximum: upper.map(threshold).transpose()?.flatten(),
        allowed: allowed(allowed_values),
    })
}

/// The rules of a simple attribute definition after an update, or `None`
/// when the update leaves them.
pub fn updated_simple_rules(
    model: &Model,
    id: Uuid,
    fields: &[&str],
    r: &pbd::UpdateSimpleAttributeDefinitionRequest,
) -> Result<Option<DefinitionRules>, Status> {
    let touched = [
        "new_default_value",
        "new_upper_threshold",
        "new_lower_threshold",
        "new_allowed_values",
    ];
    if !fields.iter().any(|f| touched.contains(f)) {
        return Ok(None);
    }
    let DefinitionRules::Simple {
        default,
        minimum,
        maximum,
        allowed: old_allowed,
    } = &model.find_attribute_definition(id).or_status()?.rules
    else {
        return Err(Status::invalid_argument(
            "the attribute definition is not a simple one",
        ));
    };
    let (mut default, mut minimum, mut maximum, mut allowed_now) = (
        default.clone(),
        minimum.clone(),
        maximum.clone(),
        old_allowed.clone(),
    );
    if fields.contains(&"new_default_value") {
        default = r
            .new_default_value
            .as_ref()
            .map(default_value)
            .transpose()?
            .flatten();
    }
    if fields.contains(&"new_lower_threshold") {
        minimum = r
            .new_lower_threshold
            .as_ref()
            .map(threshold)
            .transpose()?
            .flatten();
    }
    if fields.contains(&"new_upper_threshold") {
        maximum = r
            .new_upper_threshold
            .as_ref()
            .map(threshold)
            .transpose()?
            .flatten();
    }
    if fields.contains(&"new_allowed_values") {
        allowed_now = allowed(&r.new_allowed_values);
    }
    Ok(Some(DefinitionRules::Simple {
        default,
        minimum,
        maximum,
        allowed: allowed_now,
    }))
}

/// The rules of an XY set attribute definition after an update.
pub fn updated_xy_rules(
    model: &Model,
    id: Uuid,
    fields: &[&str],
    r: &pbd::UpdateXySetAttributeDefinitionRequest,
) -> Result<Option<DefinitionRules>, Status> {
    if !fields.iter().any(|f| f.ends_with("_axis")) {
        return Ok(None);
    }
    let DefinitionRules::XySet {
        versioned,
        x_axis,
        y_axis,
        z_axis,
    } = &model.find_attribute_definition(id).or_status()?.rules
    else {
        return Err(Status::invalid_argument(
            "the attribute definition is not an XY set one",
        ));
    };
    Ok(Some(DefinitionRules::XySet {
        versioned: *versioned,
        x_axis: if fields.contains(&"new_x_axis") {
            axis(r.new_x_axis.as_ref())?
        } else {
            x_axis.clone()
        },
        y_axis: if fields.contains(&"new_y_axis") {
            axis(r.new_y_axis.as_ref())?
        } else {
            y_axis.clone()
        },
        z_axis: if fields.contains(&"new_z_axis") {
            r.new_z_axis.as_ref().map(|a| axis(Some(a))).transpose()?
        } else {
            z_axis.clone()
        },
    }))
}

/// An XY set axis.
pub fn axis(axis: Option<&pbd::XySetAxis>) -> Result<Axis, Status> {
    let Some(axis) = axis else {
        return Ok(Axis::default());
    };
    Ok(Axis {
        description: axis.description.clone(),
        unit: axis
            .unit_of_measurement
            .as_ref()
            .and_then(|u| u.id.as_ref())
            .map(|g| guid::from_proto(g, "unit_of_measurement.id"))
            .transpose()?,
    })
}

/// The fields of an attribute type update.
pub struct TypeUpdate<'a> {
    pub id: Option<&'a MeshId>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<Uuid>>,
    pub namespace: Option<Option<&'a MeshId>>,
    pub unit: Option<Option<Uuid>>,
    pub expression: Option<String>,
}

impl<'a> TypeUpdate<'a> {
    /// The fields every attribute type update has, from a request whose
    /// mask lists `fields`; unit and expression unchanged.
    pub fn common(
        fields: &[&str],
        id: Option<&'a MeshId>,
        new_name: &str,
        new_description: &str,
        new_tag_ids: &[mesh_proto::types::Guid],
        new_namespace: Option<&'a MeshId>,
    ) -> Result<TypeUpdate<'a>, Status> {
        Ok(TypeUpdate {
            id,
            name: fields.contains(&"new_name").then(|| new_name.to_string()),
            description: fields
                .contains(&"new_description")
                .then(|| new_description.to_string()),
            tags: fields
                .contains(&"new_tag_ids")
                .then(|| {
                    new_tag_ids
                        .iter()
                        .map(|g| guid::from_proto(g, "new_tag_ids"))
                        .collect()
                })
                .transpose()?,
            namespace: fields
                .contains(&"new_name_space_id")
                .then_some(new_namespace),
            unit: None,
            expression: None,
        })
    }

    /// Applies the update in the session.
    pub async fn apply(self, lease: &SessionLease) -> Result<(), Status> {
        change(lease, |model| {
            let namespace = match self.namespace {
                Some(ns) => Some(target::namespace(model, ns)?),
                None => None,
            };
            Ok(Change::UpdateAttributeType {
                id: target::attribute_type(model, self.id)?,
                name: self.name,
                description: self.description,
                tags: self.tags,
                namespace,
                unit: self.unit,
                expression: self.expression,
            })
        })
        .await
    }
}

/// Extended metadata as the model keeps it: category and JSON text.
pub fn metadata_from_proto(m: &pbd::ExtendedMetadata) -> Result<(String, String), Status> {
    let json = struct_to_json(m.metadata.as_ref().cloned().unwrap_or_default());
    Ok((m.category.clone(), json.to_string()))
}

/// Extended metadata as a proto message.
pub fn metadata_to_proto(category: &str, json: &str) -> Result<pbd::ExtendedMetadata, Status> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| Status::internal(format!("stored extended metadata is not JSON: {e}")))?;
    let serde_json::Value::Object(map) = value else {
        return Err(Status::internal(
            "stored extended metadata is not a JSON object",
        ));
    };
    Ok(pbd::ExtendedMetadata {
        category: category.to_string(),
        metadata: Some(json_to_struct(map)),
    })
}

fn struct_to_json(s: prost_types::Struct) -> serde_json::Value {
    serde_json::Value::Object(
        s.fields
            .into_iter()
            .map(|(k, v)| (k, value_to_json(v)))
            .collect(),
    )
}

fn value_to_json(v: prost_types::Value) -> serde_json::Value {
    use prost_types::value::Kind;
    match v.kind {
        Some(Kind::NumberValue(n)) => serde_json::Number::from_f64(n)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        Some(Kind::StringValue(s)) => serde_json::Value::String(s),
        Some(Kind::BoolValue(b)) => serde_json::Value::Bool(b),
        Some(Kind::StructValue(s)) => struct_to_json(s),
        Some(Kind::ListValue(l)) => {
            serde_json::Value::Array(l.values.into_iter().map(value_to_json).collect())
        }
        Some(Kind::NullValue(_)) | None => serde_json::Value::Null,
    }
}

fn json_to_struct(map: serde_json::Map<String, serde_json::Value>) -> prost_types::Struct {
    prost_types::Struct {
        fields: map
            .into_iter()
            .map(|(k, v)| (k, json_to_value(v)))
            .collect(),
    }
}

fn json_to_value(v: serde_json::Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match v {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(b) => Kind::BoolValue(b),
        serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Kind::StringValue(s),
        serde_json::Value::Array(a) => Kind::ListValue(prost_types::ListValue {
            values: a.into_iter().map(json_to_value).collect(),
        }),
        serde_json::Value::Object(m) => Kind::StructValue(json_to_struct(m)),
    };
    prost_types::Value { kind: Some(kind) }
}

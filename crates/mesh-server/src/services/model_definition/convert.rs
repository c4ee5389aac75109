//! Model definitions as proto messages.

use mesh_model::Model;
use mesh_proto::model_definition as pbd;
use prost_types::FieldMask;
use tonic::Status;
use uuid::Uuid;

use crate::guid;
use crate::services::model::convert::{
    self as common, mesh_id, namespace_name, object_definition_path, FieldSet,
};

fn namespace_mesh_id(model: &Model, id: Uuid) -> mesh_proto::types::MeshId {
    mesh_id(
        id,
        format!("{}/{}", super::target::REPOSITORY, model.namespace_path(id)),
    )
}

/// The namespaces under `root`: its children, or every descendant.
pub fn namespaces_under(model: &Model, root: Uuid, recursive: bool) -> Vec<Uuid> {
    let mut found: Vec<Uuid> = Vec::new();
    let mut next = vec![root];
    while let Some(parent) = next.pop() {
        let mut children: Vec<_> = model
            .all_namespaces()
            .filter(|n| n.parent == Some(parent))
            .collect();
        children.sort_by(|a, b| a.name.cmp(&b.name));
        for child in children {
            found.push(child.id);
            if recursive {
                next.push(child.id);
            }
        }
    }
    found
}

/// A namespace, with its children.
pub fn namespace(model: &Model, namespace: &mesh_model::Namespace) -> pbd::Namespace {
    use pbd::namespace::{child::ChildIdOneof, Child};
    let mut children: Vec<Child> = namespaces_under(model, namespace.id, false)
        .into_iter()
        .map(|id| Child {
            child_id_oneof: Some(ChildIdOneof::NameSpaceId(namespace_mesh_id(model, id))),
        })
        .collect();
    children.extend(
        model
            .all_object_definitions()
            .filter(|d| d.namespace == namespace.id)
            .map(|d| Child {
                child_id_oneof: Some(ChildIdOneof::ObjectDefinitionId(mesh_id(
                    d.id,
                    object_definition_path(model, d.id),
                ))),
            }),
    );
    children.extend(
        model
            .all_attribute_types()
            .filter(|t| t.namespace == namespace.id)
            .map(|t| Child {
                child_id_oneof: Some(ChildIdOneof::AttributeTypeId(type_mesh_id(model, t))),
            }),
    );
    pbd::Namespace {
        id: Some(guid::to_proto(namespace.id)),
        path: format!(
            "{}/{}",
            super::target::REPOSITORY,
            model.namespace_path(namespace.id)
        ),
        name: namespace.name.clone(),
        description: namespace.description.clone(),
        owner_id: namespace.parent.map(|p| namespace_mesh_id(model, p)),
        is_model_definition: namespace.parent.is_none(),
        children,
    }
}

fn type_mesh_id(model: &Model, t: &mesh_model::AttributeType) -> mesh_proto::types::MeshId {
    mesh_id(
        t.id,
        format!(
            "{}/{}/{}",
            super::target::REPOSITORY,
            model.namespace_path(t.namespace),
            t.name
        ),
    )
}

/// An object definition, shaped by `mask`.
pub fn object_definition(
    model: &Model,
    definition: &mesh_model::ObjectDefinition,
    mask: Option<&FieldMask>,
) -> Result<pbd::ObjectDefinition, Status> {
    let field_set = FieldSet::of(mask);
    let fields = field_set.fields();
    let mut answer = pbd::ObjectDefinition {
        id: Some(guid::to_proto(definition.id)),
        ..Default::default()
    };
    if fields.has("path") {
        answer.path = object_definition_path(model, definition.id);
    }
    if fields.has("name") {
        answer.name = definition.name.clone();
    }
    if fields.has("description") {
        answer.description = definition.description.clone();
    }
    if fields.has("owner_id") {
        answer.owner_id = Some(namespace_mesh_id(model, definition.namespace));
    }
    if fields.has("tags") {
        answer.tags = definition
            .tags
            .iter()
            .filter_map(|t| model.tag(*t))
            .map(common::tag)
            .collect();
    }
    if fields.has("name_space") {
        answer.name_space = namespace_name(model, definition.namespace);
    }
    if fields.has("instance_count") {
        answer.instance_count =
            i32::try_from(model.instance_count(definition.id)).unwrap_or(i32::MAX);
    }
    if fields.has("attribute_definitions") {
        answer.attribute_definitions = definition
            .attributes
            .iter()
            .map(|a| common::attribute_definition(model, *a))
            .collect::<Result<_, _>>()?;
    }
    Ok(answer)
}

/// The value type of an attribute type as the proto enum.
pub fn type_value_type(t: &mesh_model::AttributeType) -> pbd::AttributeValueType {
    common::value_type(t.kind.value_type())
}

/// An attribute type.
pub fn attribute_type(model: &Model, t: &mesh_model::AttributeType) -> pbd::AttributeType {
    use mesh_model::TypeKind;
    let unit = t
        .kind
        .unit()
        .and_then(mesh_model::units::by_id)
        .map(|u| pbd::UnitOfMeasurement {
            id: Some(guid::to_proto(u.id)),
            name: u.name.to_string(),
        });
    let expression = match &t.kind {
        TypeKind::Simple { expression, .. } | TypeKind::XySet { expression } => {
            Some(expression.clone())
        }
        _ => None,
    };
    pbd::AttributeType {
        id: Some(guid::to_proto(t.id)),
        path: type_mesh_id(model, t).path.unwrap_or_default(),
        name: t.name.clone(),
        description: t.description.clone(),
        owner_id: Some(namespace_mesh_id(model, t.namespace)),
        tags: t
            .tags
            .iter()
            .filter_map(|tag| model.tag(*tag))
            .map(common::tag)
            .collect(),
        name_space: namespace_name(model, t.namespace),
        value_type: type_value_type(t) as i32,
        unit_of_measurement: unit,
        target_object_definition_id: t
            .kind
            .target()
            .map(|d| mesh_id(d, object_definition_path(model, d))),
        expression,
    }
}

//! What a `MeshId` names among the model definitions: by id, or by path
//! (`Repository/<model definition>/<namespace>…/<name>`, and for attribute
//! definitions the object definition's path then `/<attribute>`).

use mesh_model::Model;
use mesh_proto::types::MeshId;
use tonic::Status;
use uuid::Uuid;

use crate::guid;

/// The first segment of every definition path.
pub const REPOSITORY: &str = "Repository";

fn split<'a>(id: &'a MeshId, what: &str) -> Result<Either<'a>, Status> {
    if let Some(g) = &id.id {
        return Ok(Either::Id(guid::from_proto(g, what)?));
    }
    match &id.path {
        Some(path) => Ok(Either::Path(path)),
        None => Err(Status::invalid_argument(format!(
            "{what} is missing: set its id or its path"
        ))),
    }
}

enum Either<'a> {
    Id(Uuid),
    Path(&'a str),
}

fn not_found(what: &str, id: &MeshId) -> Status {
    let named = crate::services::model::target::describe(id);
    Status::not_found(format!("{what} not found: {named}"))
}

/// The namespace at `parts` (names from the model definition down).
fn namespace_at(model: &Model, parts: &[&str]) -> Option<Uuid> {
    let mut current: Option<Uuid> = None;
    for part in parts {
        current = Some(
            model
                .all_namespaces()
                .find(|n| n.parent == current && n.name == *part)?
                .id,
        );
    }
    current
}

/// The segments of a definition path after `Repository/`.
fn segments(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix(REPOSITORY)?.strip_prefix('/')?;
    Some(rest.split('/').collect())
}

fn required<'a>(id: Option<&'a MeshId>, what: &str) -> Result<&'a MeshId, Status> {
    id.ok_or_else(|| Status::invalid_argument(format!("{what} is missing")))
}

/// The namespace (or model definition) `id` names.
pub fn namespace(model: &Model, id: Option<&MeshId>) -> Result<Uuid, Status> {
    let id = required(id, "name_space_id")?;
    let found = match split(id, "name_space_id")? {
        Either::Id(u) => model.namespace(u).map(|n| n.id),
        Either::Path(p) => segments(p).and_then(|s| namespace_at(model, &s)),
    };
    found.ok_or_else(|| not_found("namespace", id))
}

/// The object definition `id` names.
pub fn object_definition(model: &Model, id: Option<&MeshId>) -> Result<Uuid, Status> {
    let id = required(id, "object_definition_id")?;
    let found = match split(id, "object_definition_id")? {
        Either::Id(u) => model.object_definition(u).map(|d| d.id),
        Either::Path(p) => segments(p).and_then(|s| {
            let (name, parents) = s.split_last()?;
            let namespace = namespace_at(model, parents)?;
            model
                .all_object_definitions()
                .find(|d| d.namespace == namespace && d.name == *name)
                .map(|d| d.id)
        }),
    };
    found.ok_or_else(|| not_found("object definition", id))
}

/// The attribute type `id` names.
pub fn attribute_type(model: &Model, id: Option<&MeshId>) -> Result<Uuid, Status> {
    let id = required(id, "attribute_type_id")?;
    let found = match split(id, "attribute_type_id")? {
        Either::Id(u) => model.attribute_type(u).map(|t| t.id),
        Either::Path(p) => segments(p).and_then(|s| {
            let (name, parents) = s.split_last()?;
            let namespace = namespace_at(model, parents)?;
            model
                .all_attribute_types()
                .find(|t| t.namespace == namespace && t.name == *name)
                .map(|t| t.id)
        }),
    };
    found.ok_or_else(|| not_found("attribute type", id))
}

/// The attribute definition `id` names.
pub fn attribute_definition(model: &Model, id: Option<&MeshId>) -> Result<Uuid, Status> {
    let id = required(id, "attribute_definition_id")?;
    let found = match split(id, "attribute_definition_id")? {
        Either::Id(u) => model.attribute_definition(u).map(|d| d.id),
        Either::Path(p) => p.rsplit_once('/').and_then(|(owner, name)| {
            let owner = object_definition(
                model,
                Some(&MeshId {
                    id: None,
                    path: Some(owner.to_string()),
                    timeseries_key: None,
                }),
            )
            .ok()?;
            let owner = model.object_definition(owner)?;
            owner
                .attributes
                .iter()
                .filter_map(|a| model.attribute_definition(*a))
                .find(|d| model.attribute_definition_name(d) == name)
                .map(|d| d.id)
        }),
    };
    found.ok_or_else(|| not_found("attribute definition", id))
}

/// Any definition, namespace or object `id` names (extended metadata).
pub fn any(model: &Model, id: Option<&MeshId>) -> Result<Uuid, Status> {
    let id = required(id, "id")?;
    if let Either::Id(u) = split(id, "id")? {
        return Ok(u);
    }
    namespace(model, Some(id))
        .or_else(|_| object_definition(model, Some(id)))
        .or_else(|_| attribute_type(model, Some(id)))
        .or_else(|_| attribute_definition(model, Some(id)))
        .or_else(|_| crate::services::model::target::object(model, Some(id), "id"))
        .map_err(|_| not_found("definition, namespace or object", id))
}

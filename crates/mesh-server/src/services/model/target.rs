//! What a `MeshId` names in the model: an object, an attribute or an owner
//! for new objects, with the messages clients match when it names nothing
//! of the kind asked for.

use mesh_model::{Model, Owner, PathTarget};
use mesh_proto::types::MeshId;
use tonic::Status;
use uuid::Uuid;

use crate::guid;

/// What a `MeshId` names, before checking its kind.
fn resolve(model: &Model, id: &MeshId, what: &str) -> Result<Option<Found>, Status> {
    if let Some(guid) = &id.id {
        let id = guid::from_proto(guid, what)?;
        return Ok(found_by_id(model, id));
    }
    if let Some(path) = &id.path {
        return Ok(match model.resolve_path(path) {
            Ok(PathTarget::Object(id)) => Some(Found::Object(id)),
            Ok(PathTarget::Attribute(id)) => Some(Found::Attribute(id)),
            Err(_) => model_attribute_by_path(model, path).map(Found::ModelAttribute),
        });
    }
    Err(Status::invalid_argument(format!(
        "{what} is missing: set its id or its path"
    )))
}

enum Found {
    Object(Uuid),
    Attribute(Uuid),
    /// The ownership attribute of a model (it owns the model's first
    /// objects): the model's id.
    ModelAttribute(Uuid),
}

fn found_by_id(model: &Model, id: Uuid) -> Option<Found> {
    if model.object(id).is_some() {
        Some(Found::Object(id))
    } else if model.attribute(id).is_some() {
        Some(Found::Attribute(id))
    } else {
        model
            .models()
            .find(|m| model_attribute_id(m) == id)
            .map(|m| Found::ModelAttribute(m.id))
    }
}

/// The name of the one attribute of every model.
pub use mesh_model::MODEL_OBJECTS as MODEL_ATTRIBUTE;

/// The id of a model's ownership attribute.
pub fn model_attribute_id(model: &mesh_model::Object) -> Uuid {
    mesh_model::attribute_id(model.id, model.definition)
}

fn model_attribute_by_path(model: &Model, path: &str) -> Option<Uuid> {
    let rest = path
        .strip_prefix(mesh_model::MODEL_ROOT)?
        .strip_prefix('/')?;
    let name = rest.strip_suffix(MODEL_ATTRIBUTE)?.strip_suffix('.')?;
    model.model_named(name).map(|m| m.id)
}

/// How messages name what a `MeshId` names: its id, else its quoted path.
pub(crate) fn describe(id: &MeshId) -> String {
    match (&id.id, &id.path) {
        (Some(guid), _) => {
            guid::from_proto(guid, "id").map_or_else(|_| "?".into(), |id| id.to_string())
        }
        (None, Some(path)) => format!("'{}'", mesh_timeseries::echo::echo(path)),
        (None, None) => String::new(),
    }
}

/// The object `id` names; anything else is "not found".
pub fn object(model: &Model, id: Option<&MeshId>, what: &str) -> Result<Uuid, Status> {
    let id = id.ok_or_else(|| Status::invalid_argument(format!("{what} is missing")))?;
    match resolve(model, id, what)? {
        Some(Found::Object(found)) => Ok(found),
        Some(_) => Err(Status::not_found(format!(
            "object not found: {} names an attribute, not an object",
            describe(id)
        ))),
        None => Err(Status::not_found(format!(
            "object not found: {}",
            describe(id)
        ))),
    }
}

/// An attribute to read: one of an object, or the one of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readable {
    /// An attribute of an object: its id.
    Attribute(Uuid),
    /// The `Objects` attribute of a model: the model's id.
    ModelObjects(Uuid),
}

/// The attribute `id` names, to read (a model's `Objects` included).
pub fn readable_attribute(
    model: &Model,
    id: Option<&MeshId>,
    what: &str,
) -> Result<Readable, Status> {
    let mesh_id = id.ok_or_else(|| Status::invalid_argument(format!("{what} is missing")))?;
    if let Some(Found::ModelAttribute(model_id)) = resolve(model, mesh_id, what)? {
        return Ok(Readable::ModelObjects(model_id));
    }
    attribute(model, id, what).map(Readable::Attribute)
}

/// The attribute `id` names, to change; anything else is "not found".
pub fn attribute(model: &Model, id: Option<&MeshId>, what: &str) -> Result<Uuid, Status> {
    attribute_or(model, id, what, |named| {
        Status::not_found(format!(
            "attribute not found: {named} names an object, not an attribute"
        ))
    })
}

/// The attribute `id` names, of a kind the caller checks; an object is
/// "unexpected kind" (as clients of XY sets and rating curves expect).
pub fn attribute_of_kind(
    model: &Model,
    id: Option<&MeshId>,
    what: &str,
    kind: &str,
) -> Result<Uuid, Status> {
    attribute_or(model, id, what, |named| {
        Status::invalid_argument(format!(
            "unexpected kind: {named} names an object, not {kind}"
        ))
    })
}

fn attribute_or(
    model: &Model,
    id: Option<&MeshId>,
    what: &str,
    object_given: impl FnOnce(String) -> Status,
) -> Result<Uuid, Status> {
    let id = id.ok_or_else(|| Status::invalid_argument(format!("{what} is missing")))?;
    match resolve(model, id, what)? {
        Some(Found::Attribute(found)) => Ok(found),
        Some(Found::ModelAttribute(_)) => Err(Status::invalid_argument(format!(
            "attribute {} lists the objects a model owns; it changes as they are created, moved and deleted",
            describe(id)
        ))),
        Some(_) => Err(object_given(describe(id))),
        None => Err(Status::not_found(format!(
            "attribute not found: {}",
            describe(id)
        ))),
    }
}

/// The owner `id` names for a new or moved object: an ownership attribute,
/// or a model (or its attribute) for the objects a model owns directly.
/// `new` says whether it is the new owner of a moved object.
pub fn owner(model: &Model, id: Option<&MeshId>, new: bool) -> Result<Owner, Status> {
    let what = if new { "new_owner_id" } else { "owner_id" };
    let label = if new { "New owner" } else { "Owner" };
    let id = id.ok_or_else(|| Status::invalid_argument(format!("{what} is missing")))?;
    match resolve(model, id, what)? {
        Some(Found::Attribute(attribute)) => {
            let found = model.attribute(attribute).ok_or_else(|| {
                Status::not_found(format!("{label} of the object not found: {}", describe(id)))
            })?;
            Ok(Owner {
                object: found.object.id,
                attribute: Some(found.definition.id),
            })
        }
        Some(Found::ModelAttribute(model_id)) => Ok(Owner {
            object: model_id,
            attribute: None,
        }),
        Some(Found::Object(object)) if model.object(object).is_some_and(|o| o.is_model()) => {
            Ok(Owner {
                object,
                attribute: None,
            })
        }
        Some(Found::Object(_)) => Err(Status::invalid_argument(format!(
            "Invalid type of the {}owner: {} is an object; name one of its ownership attributes",
            if new { "new " } else { "" },
            describe(id)
        ))),
        None => Err(Status::not_found(format!(
            "{label} of the object not found: {}",
            describe(id)
        ))),
    }
}

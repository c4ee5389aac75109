//! Paths: how the model names its objects and attributes in text, and how
//! a path given by a user finds them.
//!
//! An object's full name is `Model/<model>` followed, for each object down
//! from the model, by `/<name>`, where each owner that owns the next one
//! through an ownership attribute adds `.<attribute>` after its own name:
//! `Model/Hydro/Plants.PlantRefs/PlantA`. The short path leaves the
//! attributes out (`Model/Hydro/Plants/PlantA`); both are accepted, full
//! names are answered. An attribute's path is its object's followed by
//! `.<attribute>`.

use uuid::Uuid;

use crate::echo;
use crate::error::{ModelError, Result};
use crate::model::Model;
use crate::objects::Owner;

/// The first segment of every object path.
pub const MODEL_ROOT: &str = "Model";

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathTarget {
    /// An object (or a model).
    Object(Uuid),
    /// An attribute: its id.
    Attribute(Uuid),
}

impl Model {
    /// The full name of object (or model) `id`.
    pub fn object_path(&self, id: Uuid) -> Result<String> {
        // The object and its owners, up to the model. Owners never form a
        // cycle (moves are checked); the bound only rules out an endless
        // loop on a corrupt model.
        let mut chain = vec![self.find_object(id)?];
        while let Some(owner) = chain[chain.len() - 1].owner {
            if chain.len() > self.objects.len() {
                break;
            }
            chain.push(self.find_object(owner.object)?);
        }
        let mut path = String::from(MODEL_ROOT);
        for object in chain.iter().rev() {
            if let Some(attribute) = object.owner.and_then(|owner| owner.attribute) {
                path.push('.');
                path.push_str(&self.attribute_name(attribute));
            }
            path.push('/');
            path.push_str(&object.name);
        }
        Ok(path)
    }

    fn attribute_name(&self, definition: Uuid) -> String {
        self.attribute_definition(definition)
            .map(|d| self.attribute_definition_name(d).to_string())
            .unwrap_or_default()
    }

    /// The path of attribute `id`: its object's full name and `.name`.
    pub fn attribute_path(&self, id: Uuid) -> Result<String> {
        let found = self.find_attribute(id)?;
        Ok(format!(
            "{}.{}",
            self.object_path(found.object.id)?,
            found.attribute_type.name
        ))
    }

    /// The path of namespace `id`: the names from its model definition down,
    /// joined by `/`.
    pub fn namespace_path(&self, id: Uuid) -> String {
        let mut parts = Vec::new();
        let mut current = self.namespace(id);
        while let Some(namespace) = current {
            parts.push(namespace.name.as_str());
            if parts.len() > self.namespaces.len() {
                break;
            }
            current = namespace.parent.and_then(|p| self.namespace(p));
        }
        parts.reverse();
        parts.join("/")
    }

    /// Finds what `path` names: an object (short path or full name) or,
    /// when its last segment has `.attribute`, an attribute.
    pub fn resolve_path(&self, path: &str) -> Result<PathTarget> {
        let not_found =
            |what: &str| ModelError::NotFound(format!("{what} not found: '{}'", echo(path)));
        let mut segments = path.split('/');
        if segments.next() != Some(MODEL_ROOT) {
            return Err(ModelError::Invalid(format!(
                "invalid path '{}': a model path begins with '{MODEL_ROOT}/'",
                echo(path)
            )));
        }
        let segments: Vec<&str> = segments.collect();
        let Some((last, inner)) = segments.split_last() else {
            return Err(not_found("object"));
        };
        // The model, then each object down; `via` is the attribute a segment
        // names for the next one, if it names one.
        let mut current: Option<(Uuid, Option<&str>)> = None;
        for (index, segment) in inner.iter().chain(std::iter::once(last)).enumerate() {
            let is_last = index == segments.len() - 1;
            let (name, attribute) = match segment.split_once('.') {
                Some((name, attribute)) => (name, Some(attribute)),
                None => (*segment, None),
            };
            let id = match current {
                None => self.model_named(name).map(|m| m.id),
                Some((owner, via)) => self.find_child(owner, via, name)?,
            }
            .ok_or_else(|| not_found("object"))?;
            if is_last {
                return match attribute {
                    None => Ok(PathTarget::Object(id)),
                    Some(attribute) => {
                        let object = self.find_object(id)?;
                        self.attributes_of(object)
                            .find(|a| a.attribute_type.name == attribute)
                            .map(|a| PathTarget::Attribute(a.slot.id))
                            .ok_or_else(|| not_found("attribute"))
                    }
                };
            }
            current = Some((id, attribute));
        }
        Err(not_found("object"))
    }

    /// The child named `name` of object `owner`, through its attribute
    /// named `via` or, when no attribute is named, through whichever
    /// ownership attribute (or the model itself) owns one of that name.
    fn find_child(&self, owner: Uuid, via: Option<&str>, name: &str) -> Result<Option<Uuid>> {
        let object = self.find_object(owner)?;
        if object.is_model() {
            if via.is_some() {
                return Ok(None);
            }
            return Ok(self.child(
                Owner {
                    object: owner,
                    attribute: None,
                },
                name,
            ));
        }
        for attribute in self.attributes_of(object) {
            if via.is_some_and(|via| via != attribute.attribute_type.name) {
                continue;
            }
            let found = self.child(
                Owner {
                    object: owner,
                    attribute: Some(attribute.slot.definition),
                },
                name,
            );
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }
}

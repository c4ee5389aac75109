//! Applying a [`Change`] to a [`Model`]: every rule of the model is checked
//! here, before anything changes, so a refused change leaves the model as
//! it was.

mod boundaries;
mod clone;
mod curves;
mod definitions;
mod objects;
mod relations;
mod values;

use crate::change::{Change, Mode};
use crate::error::{ModelError, Result};
use crate::model::Model;
use crate::records::Dirty;

pub use clone::copy_id;
pub use values::check_values;

/// Longest name the model takes, in bytes.
pub const MAX_NAME_BYTES: usize = 512;

impl Model {
    /// Applies `change`, noting in `dirty` every entity it touches; on error
    /// nothing changed.
    pub fn apply(&mut self, change: &Change, mode: Mode, dirty: &mut Dirty) -> Result<()> {
        match change {
            Change::CreateNamespace {
                id,
                parent,
                name,
                description,
            } => self.create_namespace(*id, *parent, name, description, dirty),
            Change::UpdateNamespace {
                id,
                name,
                description,
            } => self.update_namespace(*id, name.as_deref(), description.as_deref(), dirty),
            Change::DeleteNamespace { id } => self.delete_namespace(*id, mode, dirty),
            Change::CreateTag {
                id,
                model_definition,
                name,
                description,
            } => self.create_tag(*id, *model_definition, name, description, dirty),
            Change::UpdateTag {
                id,
                name,
                description,
            } => self.update_tag(*id, name.as_deref(), description.as_deref(), dirty),
            Change::DeleteTag { id, delete_usages } => {
                self.delete_tag(*id, *delete_usages, mode, dirty)
            }
            Change::CreateObjectDefinition {
                id,
                namespace,
                name,
                description,
                tags,
            } => self.create_object_definition(*id, *namespace, name, description, tags, dirty),
            Change::UpdateObjectDefinition {
                id,
                name,
                description,
                tags,
                namespace,
            } => self.update_object_definition(
                *id,
                name.as_deref(),
                description.as_deref(),
                tags.as_deref(),
                *namespace,
                dirty,
            ),
            Change::DeleteObjectDefinition { id } => {
                self.delete_object_definition(*id, mode, dirty)
            }
            Change::CreateAttributeType {
                id,
                namespace,
                name,
                description,
                tags,
                kind,
            } => self.create_attribute_type(*id, *namespace, name, description, tags, kind, dirty),
            Change::UpdateAttributeType { .. } => self.update_attribute_type(change, dirty),
            Change::DeleteAttributeType { id } => self.delete_attribute_type(*id, mode, dirty),
            Change::AddAttributeDefinition { .. } => self.add_attribute_definition(change, dirty),
            Change::UpdateAttributeDefinition {
                id,
                description,
                cardinality,
                rules,
            } => self.update_attribute_definition(
                *id,
                description.as_deref(),
                *cardinality,
                rules.as_ref(),
                dirty,
            ),
            Change::DeleteAttributeDefinition { id } => {
                self.delete_attribute_definition(*id, mode, dirty)
            }
            Change::SetMetadata { id, entries } => self.set_metadata(*id, entries, dirty),
            Change::CreateModel {
                id,
                name,
                model_definition,
            } => self.create_model(*id, name, *model_definition, dirty),
            Change::CreateObject {
                id,
                name,
                owner,
                definition,
                attribute_ids,
            } => self.create_object(*id, name, *owner, *definition, attribute_ids, mode, dirty),
            Change::UpdateObject { id, name, owner } => {
                self.update_object(*id, name.as_deref(), *owner, dirty)
            }
            Change::DeleteObject { id, recursive } => {
                self.delete_object(*id, *recursive, mode, dirty)
            }
            Change::SetTimeseriesAttribute {
                attribute,
                key,
                local_expression,
            } => {
                self.set_timeseries_attribute(*attribute, *key, local_expression.as_deref(), dirty)
            }
            Change::SetSimpleAttribute {
                attribute,
                values,
                as_collection,
            } => self.set_simple_attribute(*attribute, values, *as_collection, dirty),
            Change::SetLinks {
                attribute,
                targets,
                append,
            } => self.set_links(*attribute, targets, *append, mode, dirty),
            Change::SetVersionedLinks {
                attribute,
                interval,
                entries,
            } => self.set_versioned_links(*attribute, *interval, entries, mode, dirty),
            Change::SetXySets {
                attribute,
                interval,
                sets,
            } => self.set_xy_sets(*attribute, *interval, sets, dirty),
            Change::SetRatingCurve {
                attribute,
                interval,
                versions,
            } => self.set_rating_curve(*attribute, *interval, versions, dirty),
            Change::CloneObject {
                source,
                id,
                name,
                owner,
                keep_timeseries,
            } => self.clone_object(*source, *id, name, *owner, *keep_timeseries, mode, dirty),
        }
    }
}

/// Checks a name given to anything in the model: not empty, not too long,
/// and free of the characters paths are built with (`/`, `.`) and of
/// control characters, so every path names one thing.
pub fn check_name(what: &str, name: &str) -> Result<()> {
    let problem = if name.is_empty() {
        Some("is empty".to_string())
    } else if name.len() > MAX_NAME_BYTES {
        Some(format!("is longer than {MAX_NAME_BYTES} bytes"))
    } else if name.contains(['/', '.']) {
        Some("contains '/' or '.', which separate the parts of a path".to_string())
    } else if name.chars().any(char::is_control) {
        Some("contains a control character".to_string())
    } else if name.trim() != name {
        Some("begins or ends with white space".to_string())
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(ModelError::Invalid(format!(
            "invalid {what} name '{}': it {problem}",
            crate::echo(name)
        ))),
    }
}

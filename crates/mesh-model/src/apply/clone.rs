//! Copying an object with everything it owns.

use std::collections::HashMap;

use uuid::Uuid;

use super::check_name;
use crate::change::Mode;
use crate::echo;
use crate::error::{ModelError, Result};
use crate::model::Model;
use crate::objects::{attribute_id, Held, Object, Owner};
use crate::records::Dirty;

/// The id of the copy of `original` in a clone of `source` whose root copy
/// is `root`: the root's own id for the source, derived from both
/// otherwise, so that a replay makes the same ids.
pub fn copy_id(root: Uuid, source: Uuid, original: Uuid) -> Uuid {
    if original == source {
        root
    } else {
        Uuid::new_v5(&root, original.as_bytes())
    }
}

impl Model {
    /// Copies `source` and what it owns under `owner` (beside the source
    /// when `None`) as `name`. Links between copied objects point at the
    /// copies; links out of the tree stay; links into it from outside are
    /// not copied. Time series attributes keep their local expressions, and
    /// their connections only when `keep_timeseries`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn clone_object(
        &mut self,
        source: Uuid,
        id: Uuid,
        name: &str,
        owner: Option<Owner>,
        keep_timeseries: bool,
        mode: Mode,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let root = match self.object(source) {
            Some(root) => root.clone(),
            None => {
                return Err(match mode {
                    Mode::Request => ModelError::NotFound(format!("object not found: {source}")),
                    Mode::Replay => ModelError::Conflict(format!(
                        "Missing source: object {source}, to be cloned as '{}', was deleted",
                        echo(name)
                    )),
                })
            }
        };
        check_name(if root.is_model() { "model" } else { "object" }, name)?;
        let destination = match (root.owner, owner) {
            (None, Some(_)) => {
                return Err(ModelError::Invalid(format!(
                    "model {} is cloned as a model: no new owner may be given",
                    root.name
                )))
            }
            (None, None) => None,
            (Some(beside), None) => Some(beside),
            (Some(_), Some(owner)) => Some(owner),
        };
        if let Some(owner) = destination {
            let owner_object = self.object(owner.object).ok_or_else(|| {
                ModelError::NotFound(format!("Owner of the object not found: {}", owner.object))
            })?;
            self.definition_for(owner_object, owner, Some(root.definition))?;
            self.check_room(owner)?;
            self.check_ownership_depth(owner, self.ownership_height(source), name, id, "cloning")?;
        } else if let Some((deep, level)) = self.too_deep(&[source]) {
            // A model cloned as a model keeps its depths: refused only for a
            // model made before the limit.
            return Err(ModelError::Invalid(format!(
                "cloning model {} would copy object {deep} at level {level} of ownership; \
                 a model holds at most {} levels of ownership (MAX_OWNERSHIP_DEPTH)",
                root.name,
                crate::MAX_OWNERSHIP_DEPTH
            )));
        }
        self.check_name_free(destination, name, None)?;
        // The tree, parents before children; each copy's id derived from
        // the root copy's and the original's, so a replay makes the same.
        let tree = self.owned_tree(source);
        let copies: HashMap<Uuid, Uuid> = tree
            .iter()
            .map(|old| (*old, copy_id(id, source, *old)))
            .collect();
        if let Some(taken) = copies
            .values()
            .find(|new| self.objects.contains_key(*new) || self.attribute_owners.contains_key(*new))
        {
            return Err(ModelError::AlreadyExists(format!(
                "the id {taken} is already in use"
            )));
        }
        let remap = |target: Uuid| copies.get(&target).copied().unwrap_or(target);
        let mut built = Vec::with_capacity(tree.len());
        for old in &tree {
            let Some(original) = self.object(*old) else {
                continue;
            };
            let new_id = copies[old];
            let mut copy = Object {
                id: new_id,
                name: if *old == source {
                    name.to_string()
                } else {
                    original.name.clone()
                },
                definition: original.definition,
                owner: if *old == source {
                    destination
                } else {
                    original.owner.map(|o| Owner {
                        object: remap(o.object),
                        attribute: o.attribute,
                    })
                },
                attributes: original.attributes.clone(),
            };
            for slot in &mut copy.attributes {
                slot.id = attribute_id(new_id, slot.definition);
                let links = slot.map_link_targets(|t| Some(remap(t)));
                slot.held = match slot.held.take().map(|held| *held) {
                    Some(Held::Links(_) | Held::VersionedLinks(_)) => links,
                    Some(Held::Timeseries {
                        local_expression, ..
                    }) if !keep_timeseries => local_expression.map(|e| Held::Timeseries {
                        key: 0,
                        local_expression: Some(e),
                    }),
                    other => other,
                }
                .map(Box::new);
            }
            built.push(copy);
        }
        // Checked before anything is put, so a refusal changes nothing.
        if let Some(taken) = built
            .iter()
            .flat_map(|copy| &copy.attributes)
            .find(|s| self.attribute_owners.contains_key(&s.id))
        {
            return Err(ModelError::AlreadyExists(format!(
                "the id {} is already in use",
                taken.id
            )));
        }
        for copy in built {
            self.put_object(copy, dirty);
        }
        Ok(())
    }
}

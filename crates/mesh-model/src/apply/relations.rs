//! The rules of link relations: what an attribute may point at, how many,
//! and versions in time; and what happens to links when their target goes.

use std::collections::HashSet;

use uuid::Uuid;

use crate::change::Mode;
use crate::curves::{check_starts, replace_in, show_time, Interval};
use crate::definitions::{DefinitionRules, TypeKind};
use crate::error::{ModelError, Result};
use crate::model::{AttributeRef, Model};
use crate::objects::{Held, LinkVersion};
use crate::records::Dirty;

impl Model {
    pub(super) fn set_links(
        &mut self,
        attribute: Uuid,
        targets: &[Uuid],
        append: bool,
        mode: Mode,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let found = self.find_attribute(attribute)?;
        let name = link_attribute(&found, false)?;
        let one_to_one = !found.definition.is_collection();
        if one_to_one && append {
            return Err(ModelError::Invalid(format!(
                "'append' must be false for one-to-one link relation attribute {name}"
            )));
        }
        if one_to_one && targets.len() > 1 {
            return Err(ModelError::Invalid(format!(
                "multiple target object IDs set ({}) for one-to-one link relation attribute {name}",
                targets.len()
            )));
        }
        if append && targets.is_empty() {
            return Err(ModelError::Invalid(format!(
                "'append' is set to true, but no target objects are set for link relation attribute {name}"
            )));
        }
        let mut linked = match (append, found.slot.held.as_deref()) {
            (true, Some(Held::Links(present))) => present.clone(),
            _ => Vec::new(),
        };
        let mut seen: HashSet<Uuid> = linked.iter().copied().collect();
        for target in targets {
            self.check_target(&found, &name, *target, mode)?;
            if !seen.insert(*target) {
                return Err(ModelError::Invalid(format!(
                    "link relation attribute {name} would point at object {} twice",
                    self.object_path(*target)?
                )));
            }
            linked.push(*target);
        }
        check_count(&found, &name, linked.len())?;
        self.put_held(
            attribute,
            (!linked.is_empty()).then_some(Held::Links(linked)),
            dirty,
        )
    }

    pub(super) fn set_versioned_links(
        &mut self,
        attribute: Uuid,
        interval: Option<Interval>,
        entries: &[Vec<LinkVersion>],
        mode: Mode,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let found = self.find_attribute(attribute)?;
        let name = link_attribute(&found, true)?;
        for entry in entries {
            if entry.is_empty() {
                return Err(ModelError::Invalid(format!(
                    "an entry of versioned link relation attribute {name} has no versions"
                )));
            }
            if let Some(pair) = entry
                .windows(2)
                .find(|p| p[0].valid_from >= p[1].valid_from)
            {
                return Err(ModelError::Invalid(format!(
                    "the versions of an entry of link relation attribute {name} must be sorted by valid_from_time, each unique: {} is followed by {}",
                    show_time(pair[0].valid_from),
                    show_time(pair[1].valid_from)
                )));
            }
            for target in entry.iter().filter_map(|v| v.target) {
                self.check_target(&found, &name, target, mode)?;
            }
        }
        let entries = if found.definition.is_collection() {
            if let Some(interval) = interval {
                return Err(ModelError::Invalid(format!(
                    "interval must be empty (it is {interval}) when updating versioned one-to-many link relation attribute {name}: its entries are replaced whole"
                )));
            }
            check_count(&found, &name, entries.len())?;
            entries.to_vec()
        } else {
            let interval = interval.ok_or_else(|| {
                ModelError::Invalid(format!(
                    "interval must have a value when updating versioned one-to-one link relation attribute {name}"
                ))
            })?;
            if entries.len() > 1 {
                return Err(ModelError::Invalid(format!(
                    "versioned one-to-one link relation attribute {name} holds one entry; {} were given",
                    entries.len()
                )));
            }
            let new = entries.first().cloned().unwrap_or_default();
            check_starts(
                &new,
                interval,
                "link relations versions",
                "duplicate valid_from_time timestamps",
            )?;
            let present = match found.slot.held.as_deref() {
                Some(Held::VersionedLinks(present)) => present.first().cloned(),
                _ => None,
            };
            let merged = replace_in(&present.unwrap_or_default(), interval, new);
            if merged.is_empty() {
                Vec::new()
            } else {
                vec![merged]
            }
        };
        let held = (!entries.is_empty()).then_some(Held::VersionedLinks(entries));
        self.put_held(attribute, held, dirty)
    }

    /// Removes every link to the objects in `gone` (being deleted) from
    /// attributes of objects that stay: a one-to-one link points at
    /// nothing, a collection loses the target, a version keeps its start
    /// but points at nothing.
    pub(super) fn unlink(&mut self, gone: &HashSet<Uuid>, dirty: &mut Dirty) {
        let mut sources: Vec<Uuid> = gone.iter().flat_map(|id| self.linked_from(*id)).collect();
        sources.sort_unstable();
        sources.dedup();
        for attribute in sources {
            let Some(found) = self.attribute(attribute) else {
                continue;
            };
            if gone.contains(&found.object.id) {
                continue;
            }
            if !matches!(
                found.slot.held.as_deref(),
                Some(Held::Links(_) | Held::VersionedLinks(_))
            ) {
                continue;
            }
            let held = found
                .slot
                .map_link_targets(|t| (!gone.contains(&t)).then_some(t));
            // The attribute exists (found above): putting cannot fail.
            let _ = self.put_held(attribute, held, dirty);
        }
    }

    /// Checks that `target` exists and is of the definition the attribute
    /// links to.
    fn check_target(
        &self,
        found: &AttributeRef<'_>,
        name: &str,
        target: Uuid,
        mode: Mode,
    ) -> Result<()> {
        let Some(object) = self.object(target) else {
            return Err(match mode {
                Mode::Request => ModelError::NotFound(format!(
                    "target object not found: {target} (to be linked from attribute {name})"
                )),
                Mode::Replay => ModelError::Conflict(format!(
                    "Missing target: object {target}, to be linked from attribute {name}, was deleted"
                )),
            });
        };
        let wanted = found.attribute_type.kind.target();
        if wanted.is_some_and(|w| w != object.definition) {
            let wanted_name = wanted
                .and_then(|w| self.object_definition(w))
                .map_or("?", |d| d.name.as_str());
            let actual = self
                .object_definition(object.definition)
                .map_or("a model", |d| d.name.as_str());
            return Err(ModelError::Invalid(format!(
                "link relation attribute {name} points at {wanted_name} objects; {} is {actual}",
                self.object_path(target)?
            )));
        }
        Ok(())
    }

    /// Replaces what attribute `attribute` holds.
    pub(super) fn put_held(
        &mut self,
        attribute: Uuid,
        held: Option<Held>,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let mut object = self.find_attribute(attribute)?.object.clone();
        if let Some(slot) = object.attributes.iter_mut().find(|s| s.id == attribute) {
            slot.held = held.map(Box::new);
        }
        self.put_object(object, dirty);
        Ok(())
    }
}

/// The attribute's name when it is a link relation, versioned or not as
/// asked; the error saying what it is otherwise.
fn link_attribute(found: &AttributeRef<'_>, versioned: bool) -> Result<String> {
    let name = found.attribute_type.name.clone();
    let is_versioned = match (&found.attribute_type.kind, &found.definition.rules) {
        (TypeKind::LinkRelation { .. }, DefinitionRules::LinkRelation { versioned }) => *versioned,
        _ => {
            return Err(ModelError::Invalid(format!(
                "Invalid type: attribute {name} holds {} values, not a link relation",
                found.attribute_type.kind.value_type().describe()
            )))
        }
    };
    if is_versioned != versioned {
        return Err(ModelError::Invalid(if is_versioned {
            format!("Invalid type: attribute {name} is a versioned link relation; update it with UpdateVersionedLinkRelationAttribute")
        } else {
            format!("Invalid type: attribute {name} is a link relation without versions; update it with UpdateLinkRelationAttribute")
        }));
    }
    Ok(name)
}

/// Refuses more values than the definition's maximum cardinality.
fn check_count(found: &AttributeRef<'_>, name: &str, count: usize) -> Result<()> {
    let most = found.definition.maximum_cardinality;
    if most > 0 && i64::try_from(count).unwrap_or(i64::MAX) > most {
        return Err(ModelError::Invalid(format!(
            "link relation attribute {name} holds at most {most} targets; {count} were given"
        )));
    }
    Ok(())
}

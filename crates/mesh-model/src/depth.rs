//! How deep a model may nest: ownership (objects owning objects) and
//! namespaces (namespaces inside namespaces).
//!
//! Both are bounded because the model file nests each level inside the
//! one above (an object's children inside its entry, a namespace's inside
//! its), and a reader of nested JSON must bound its nesting: serde_json
//! refuses text nested past 128 levels, and any recursive reader needs
//! stack per level. Each ownership level costs the file three levels of
//! JSON (`owns` object, the attribute's array, the child's entry); below
//! the deepest object a value adds at most seven more (a versioned XY set:
//! `values`, the versions' array, a version, its curves, a curve, its
//! points, a point), and the top of the file takes two. So a model file of
//! [`MAX_OWNERSHIP_DEPTH`] levels nests at most 3 × 32 + 2 + 7 = 105 levels,
//! comfortably inside serde_json's 128. Every walk of the model is
//! iterative anyway; the limit is what keeps the file readable, and real
//! hydro models are about ten levels deep.

use uuid::Uuid;

use crate::echo;
use crate::error::{ModelError, Result};
use crate::model::Model;
use crate::objects::Owner;

/// The most levels of ownership below a model: an object a model owns
/// directly is at level 1, what it owns at level 2, and so on.
pub const MAX_OWNERSHIP_DEPTH: usize = 32;

/// The most levels of namespaces: a model definition is level 1, a
/// namespace inside it level 2, and so on. Each costs the model file two
/// levels of JSON.
pub const MAX_NAMESPACE_DEPTH: usize = 32;

impl Model {
    /// The level of object `id` below its model (0 for a model, 1 for an
    /// object a model owns directly). Iterative; a chain longer than the
    /// model has objects (a cycle, which moves rule out) stops there.
    pub fn ownership_depth(&self, id: Uuid) -> usize {
        let mut depth = 0;
        let mut current = self.object(id);
        while let Some(owner) = current.and_then(|o| o.owner) {
            depth += 1;
            if depth > self.objects.len() {
                break;
            }
            current = self.object(owner.object);
        }
        depth
    }

    /// How many levels object `id` and what it owns span: 1 for an object
    /// that owns nothing, with each level of what it owns adding one (0 for
    /// a missing object). Breadth first, no recursion.
    pub fn ownership_height(&self, id: Uuid) -> usize {
        if self.object(id).is_none() {
            return 0;
        }
        let mut height = 0;
        let mut level = vec![id];
        // Bounded by the number of objects, so even a corrupt cycle ends.
        while !level.is_empty() && height <= self.objects.len() {
            height += 1;
            level = level
                .iter()
                .filter_map(|id| self.object(*id))
                .flat_map(|object| self.all_children(object))
                .collect();
        }
        height
    }

    /// Refuses to put `height` levels of objects (the object named `name`,
    /// with id `id`, and what it owns) under `owner`, when the deepest of
    /// them would be past [`MAX_OWNERSHIP_DEPTH`].
    pub(crate) fn check_ownership_depth(
        &self,
        owner: Owner,
        height: usize,
        name: &str,
        id: Uuid,
        doing: &str,
    ) -> Result<()> {
        let level = self.ownership_depth(owner.object) + 1;
        let deepest = level + height.saturating_sub(1);
        if deepest <= MAX_OWNERSHIP_DEPTH {
            return Ok(());
        }
        let reach = if height > 1 {
            format!(" and what it owns down to level {deepest} ({height} levels)")
        } else {
            String::new()
        };
        Err(ModelError::Invalid(format!(
            "{doing} object '{}' ({id}) would put it at level {level} of ownership below its model{reach}; \
             a model holds at most {MAX_OWNERSHIP_DEPTH} levels of ownership (MAX_OWNERSHIP_DEPTH)",
            echo(name)
        )))
    }

    /// The level of namespace `id` (1 for a model definition). Iterative,
    /// bounded by the number of namespaces.
    pub fn namespace_depth(&self, id: Uuid) -> usize {
        let mut depth = 0;
        let mut current = self.namespace(id);
        while let Some(namespace) = current {
            depth += 1;
            if depth > self.namespaces.len() {
                break;
            }
            current = namespace.parent.and_then(|p| self.namespace(p));
        }
        depth
    }

    /// The first object (breadth first) of the models `models` past
    /// [`MAX_OWNERSHIP_DEPTH`], with its level: only a store written before
    /// the limit holds one.
    pub fn too_deep(&self, models: &[Uuid]) -> Option<(Uuid, usize)> {
        let mut level: Vec<Uuid> = models.to_vec();
        let mut depth = 0;
        while !level.is_empty() {
            if depth > MAX_OWNERSHIP_DEPTH {
                return level.first().map(|id| (*id, depth));
            }
            depth += 1;
            level = level
                .iter()
                .filter_map(|id| self.object(*id))
                .flat_map(|object| self.all_children(object))
                .collect();
        }
        None
    }

    /// The first namespace of the model definitions `roots` past
    /// [`MAX_NAMESPACE_DEPTH`], with its level.
    pub fn too_deep_namespace(&self, roots: &[Uuid]) -> Option<(Uuid, usize)> {
        let mut level: Vec<Uuid> = roots.to_vec();
        let mut depth = 1;
        while !level.is_empty() {
            if depth > MAX_NAMESPACE_DEPTH {
                return level.first().map(|id| (*id, depth));
            }
            depth += 1;
            let parents: std::collections::HashSet<Uuid> = level.into_iter().collect();
            level = self
                .all_namespaces()
                .filter(|n| n.parent.is_some_and(|p| parents.contains(&p)))
                .map(|n| n.id)
                .collect();
        }
        None
    }
}

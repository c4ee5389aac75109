//! The model as one value: every definition and object with the indexes
//! that find them, in persistent maps, so that cloning it (a session's view
//! of the committed model) costs nothing and changing the clone copies only
//! what changes.

use std::sync::Arc;

use imbl::{HashMap, OrdMap, OrdSet};
use uuid::Uuid;

use crate::definitions::{AttributeDefinition, AttributeType, Namespace, ObjectDefinition, Tag};
use crate::error::{ModelError, Result};
use crate::objects::{AttributeSlot, Object, Owner};
use crate::records::{Dirty, RecordKind};

/// Extended metadata of one entity: category and JSON text, as set.
pub type Metadata = Vec<(String, String)>;

/// Every definition and object of the server, with indexes.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub(crate) namespaces: HashMap<Uuid, Arc<Namespace>>,
    pub(crate) tags: HashMap<Uuid, Arc<Tag>>,
    pub(crate) object_definitions: HashMap<Uuid, Arc<ObjectDefinition>>,
    pub(crate) attribute_types: HashMap<Uuid, Arc<AttributeType>>,
    pub(crate) attribute_definitions: HashMap<Uuid, Arc<AttributeDefinition>>,
    pub(crate) objects: HashMap<Uuid, Arc<Object>>,
    pub(crate) metadata: HashMap<Uuid, Arc<Metadata>>,
    /// Owner → the objects it owns, by name (names are unique per owner).
    pub(crate) children: HashMap<Owner, OrdMap<String, Uuid>>,
    /// Model name → model.
    pub(crate) models: OrdMap<String, Uuid>,
    /// Attribute id → the object that has it.
    pub(crate) attribute_owners: HashMap<Uuid, Uuid>,
    /// Definition (object definition or model definition) → its instances.
    pub(crate) instances: HashMap<Uuid, OrdSet<Uuid>>,
    /// Object → the link relation attributes pointing at it (at any time,
    /// for versioned links).
    pub(crate) linked_from: HashMap<Uuid, OrdSet<Uuid>>,
}

/// An attribute found by id or path: the object that has it and the slot.
#[derive(Debug, Clone, Copy)]
pub struct AttributeRef<'a> {
    /// The object that has the attribute.
    pub object: &'a Object,
    /// The attribute.
    pub slot: &'a AttributeSlot,
    /// Its definition.
    pub definition: &'a AttributeDefinition,
    /// Its definition's attribute type.
    pub attribute_type: &'a AttributeType,
}

impl Model {
    /// An empty model: no definitions, no models.
    pub fn new() -> Model {
        Model::default()
    }

    /// The namespace `id`.
    pub fn namespace(&self, id: Uuid) -> Option<&Namespace> {
        self.namespaces.get(&id).map(|n| &**n)
    }

    /// The tag `id`.
    pub fn tag(&self, id: Uuid) -> Option<&Tag> {
        self.tags.get(&id).map(|t| &**t)
    }

    /// The object definition `id`.
    pub fn object_definition(&self, id: Uuid) -> Option<&ObjectDefinition> {
        self.object_definitions.get(&id).map(|d| &**d)
    }

    /// The attribute type `id`.
    pub fn attribute_type(&self, id: Uuid) -> Option<&AttributeType> {
        self.attribute_types.get(&id).map(|t| &**t)
    }

    /// The attribute definition `id`.
    pub fn attribute_definition(&self, id: Uuid) -> Option<&AttributeDefinition> {
        self.attribute_definitions.get(&id).map(|d| &**d)
    }

    /// The object (or model) `id`.
    pub fn object(&self, id: Uuid) -> Option<&Object> {
        self.objects.get(&id).map(|o| &**o)
    }

    /// The extended metadata set on `id`.
    pub fn metadata(&self, id: Uuid) -> Option<&Metadata> {
        self.metadata.get(&id).map(|m| &**m)
    }

    /// The attribute `id`.
    pub fn attribute(&self, id: Uuid) -> Option<AttributeRef<'_>> {
        let object = self.object(*self.attribute_owners.get(&id)?)?;
        let slot = object.attributes.iter().find(|s| s.id == id)?;
        self.attribute_of(object, slot)
    }

    /// The attribute of `object` in `slot`, with its definition and type.
    pub fn attribute_of<'a>(
        &'a self,
        object: &'a Object,
        slot: &'a AttributeSlot,
    ) -> Option<AttributeRef<'a>> {
        let definition = self.attribute_definition(slot.definition)?;
        let attribute_type = self.attribute_type(definition.attribute_type)?;
        Some(AttributeRef {
            object,
            slot,
            definition,
            attribute_type,
        })
    }

    /// Every attribute of `object`, in definition order.
    pub fn attributes_of<'a>(
        &'a self,
        object: &'a Object,
    ) -> impl Iterator<Item = AttributeRef<'a>> + 'a {
        object
            .attributes
            .iter()
            .filter_map(move |slot| self.attribute_of(object, slot))
    }

    /// The name of an attribute definition: its attribute type's.
    pub fn attribute_definition_name(&self, definition: &AttributeDefinition) -> &str {
        self.attribute_type(definition.attribute_type)
            .map_or("", |t| t.name.as_str())
    }

    /// The objects `owner` owns, by name.
    pub fn children(&self, owner: Owner) -> impl Iterator<Item = Uuid> + '_ {
        self.children
            .get(&owner)
            .into_iter()
            .flat_map(|names| names.values().copied())
    }

    /// The object named `name` that `owner` owns.
    pub fn child(&self, owner: Owner, name: &str) -> Option<Uuid> {
        self.children.get(&owner)?.get(name).copied()
    }

    /// Every object `object` owns, through any of its ownership attributes
    /// (directly, for a model).
    pub fn all_children(&self, object: &Object) -> Vec<Uuid> {
        let mut found: Vec<Uuid> = self
            .children(Owner {
                object: object.id,
                attribute: None,
            })
            .collect();
        for slot in &object.attributes {
            found.extend(self.children(Owner {
                object: object.id,
                attribute: Some(slot.definition),
            }));
        }
        found
    }

    /// The link relation attributes pointing at object `id` (at any time,
    /// for versioned links).
    pub fn linked_from(&self, id: Uuid) -> impl Iterator<Item = Uuid> + '_ {
        self.linked_from
            .get(&id)
            .into_iter()
            .flat_map(|ids| ids.iter().copied())
    }

    /// Object `id` and every object it owns, directly or not, owners
    /// before what they own (breadth first: no recursion, whatever the
    /// depth).
    pub fn owned_tree(&self, id: Uuid) -> Vec<Uuid> {
        let mut tree = vec![id];
        let mut next = 0;
        while next < tree.len() {
            if let Some(object) = self.object(tree[next]) {
                tree.extend(self.all_children(object));
            }
            next += 1;
        }
        tree
    }

    /// Every model, by name.
    pub fn models(&self) -> impl Iterator<Item = &Object> + '_ {
        self.models.values().filter_map(|id| self.object(*id))
    }

    /// The model named `name`.
    pub fn model_named(&self, name: &str) -> Option<&Object> {
        self.object(*self.models.get(name)?)
    }

    /// Every instance of definition `definition` (objects of an object
    /// definition, models of a model definition).
    pub fn instances(&self, definition: Uuid) -> impl Iterator<Item = Uuid> + '_ {
        self.instances
            .get(&definition)
            .into_iter()
            .flat_map(|ids| ids.iter().copied())
    }

    /// How many instances definition `definition` has.
    pub fn instance_count(&self, definition: Uuid) -> usize {
        self.instances.get(&definition).map_or(0, |ids| ids.len())
    }

    /// Every namespace, in no particular order.
    pub fn all_namespaces(&self) -> impl Iterator<Item = &Namespace> + '_ {
        self.namespaces.values().map(|n| &**n)
    }

    /// Every tag, in no particular order.
    pub fn all_tags(&self) -> impl Iterator<Item = &Tag> + '_ {
        self.tags.values().map(|t| &**t)
    }

    /// Every object definition, in no particular order.
    pub fn all_object_definitions(&self) -> impl Iterator<Item = &ObjectDefinition> + '_ {
        self.object_definitions.values().map(|d| &**d)
    }

    /// Every attribute type, in no particular order.
    pub fn all_attribute_types(&self) -> impl Iterator<Item = &AttributeType> + '_ {
        self.attribute_types.values().map(|t| &**t)
    }

    /// Every attribute definition, in no particular order.
    pub fn all_attribute_definitions(&self) -> impl Iterator<Item = &AttributeDefinition> + '_ {
        self.attribute_definitions.values().map(|d| &**d)
    }

    /// Every object (models included), in no particular order.
    pub fn all_objects(&self) -> impl Iterator<Item = &Object> + '_ {
        self.objects.values().map(|o| &**o)
    }

    /// How many objects (models included) the model holds.
    pub fn object_count(&self) -> usize {
        self.objects.len()
    }

    /// The model definition a namespace belongs to (itself, for one).
    pub fn model_definition_of(&self, namespace: Uuid) -> Option<Uuid> {
        let mut current = self.namespace(namespace)?;
        // Bounded by the number of namespaces: parents never form a cycle,
        // but a bound costs nothing and rules out an endless loop.
        for _ in 0..=self.namespaces.len() {
            match current.parent {
                None => return Some(current.id),
                Some(parent) => current = self.namespace(parent)?,
            }
        }
        None
    }

    /// Finds a namespace, or says it is missing.
    pub fn find_namespace(&self, id: Uuid) -> Result<&Namespace> {
        self.namespace(id)
            .ok_or_else(|| ModelError::NotFound(format!("namespace not found: {id}")))
    }

    /// Finds an object definition, or says it is missing.
    pub fn find_object_definition(&self, id: Uuid) -> Result<&ObjectDefinition> {
        self.object_definition(id)
            .ok_or_else(|| ModelError::NotFound(format!("object definition not found: {id}")))
    }

    /// Finds an attribute type, or says it is missing.
    pub fn find_attribute_type(&self, id: Uuid) -> Result<&AttributeType> {
        self.attribute_type(id)
            .ok_or_else(|| ModelError::NotFound(format!("attribute type not found: {id}")))
    }

    /// Finds an attribute definition, or says it is missing.
    pub fn find_attribute_definition(&self, id: Uuid) -> Result<&AttributeDefinition> {
        self.attribute_definition(id)
            .ok_or_else(|| ModelError::NotFound(format!("attribute definition not found: {id}")))
    }

    /// Finds a tag, or says it is missing.
    pub fn find_tag(&self, id: Uuid) -> Result<&Tag> {
        self.tag(id)
            .ok_or_else(|| ModelError::NotFound(format!("tag not found: {id}")))
    }

    /// Finds an object (or model), or says it is missing.
    pub fn find_object(&self, id: Uuid) -> Result<&Object> {
        self.object(id)
            .ok_or_else(|| ModelError::NotFound(format!("object not found: {id}")))
    }

    /// Finds an attribute, or says it is missing.
    pub fn find_attribute(&self, id: Uuid) -> Result<AttributeRef<'_>> {
        self.attribute(id)
            .ok_or_else(|| ModelError::NotFound(format!("attribute not found: {id}")))
    }

    // ---- index upkeep, used by the edits ----

    /// Puts `object` in place of any earlier version, keeping every index.
    pub(crate) fn put_object(&mut self, object: Object, dirty: &mut Dirty) {
        self.unindex_object(object.id);
        let object = Arc::new(object);
        if let Some(owner) = object.owner {
            self.children
                .entry(owner)
                .or_default()
                .insert(object.name.clone(), object.id);
        } else {
            self.models.insert(object.name.clone(), object.id);
        }
        for slot in &object.attributes {
            self.attribute_owners.insert(slot.id, object.id);
            for target in slot.link_targets() {
                self.linked_from.entry(target).or_default().insert(slot.id);
            }
        }
        self.instances
            .entry(object.definition)
            .or_default()
            .insert(object.id);
        dirty.mark(RecordKind::Object, object.id);
        self.objects.insert(object.id, object);
    }

    /// Removes object `id` (not what it owns) and its index entries.
    pub(crate) fn remove_object(&mut self, id: Uuid, dirty: &mut Dirty) {
        self.unindex_object(id);
        if self.objects.remove(&id).is_some() {
            dirty.mark(RecordKind::Object, id);
        }
        if self.metadata.remove(&id).is_some() {
            dirty.mark(RecordKind::Metadata, id);
        }
    }

    fn unindex_object(&mut self, id: Uuid) {
        let Some(old) = self.objects.get(&id).cloned() else {
            return;
        };
        match old.owner {
            Some(owner) => {
                if let Some(names) = self.children.get_mut(&owner) {
                    names.remove(&old.name);
                    if names.is_empty() {
                        self.children.remove(&owner);
                    }
                }
            }
            None => {
                self.models.remove(&old.name);
            }
        }
        for slot in &old.attributes {
            self.attribute_owners.remove(&slot.id);
            for target in slot.link_targets() {
                if let Some(sources) = self.linked_from.get_mut(&target) {
                    sources.remove(&slot.id);
                    if sources.is_empty() {
                        self.linked_from.remove(&target);
                    }
                }
            }
        }
        if let Some(ids) = self.instances.get_mut(&old.definition) {
            ids.remove(&id);
            if ids.is_empty() {
                self.instances.remove(&old.definition);
            }
        }
    }
}

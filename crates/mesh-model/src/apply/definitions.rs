//! The rules of model definitions: namespaces, tags, object definitions,
//! attribute types and attribute definitions.

use std::sync::Arc;

use uuid::Uuid;

use super::{check_name, values::check_rules};
use crate::change::{Change, Mode};
use crate::definitions::{
    AttributeDefinition, AttributeType, DefinitionRules, Namespace, ObjectDefinition, Tag, TypeKind,
};
use crate::echo;
use crate::error::{ModelError, Result};
use crate::model::Model;
use crate::objects::{attribute_id, AttributeSlot};
use crate::records::{Dirty, RecordKind};
use crate::units;

impl Model {
    pub(super) fn create_namespace(
        &mut self,
        id: Uuid,
        parent: Option<Uuid>,
        name: &str,
        description: &str,
        dirty: &mut Dirty,
    ) -> Result<()> {
        check_name("namespace", name)?;
        self.check_new_id(id)?;
        if let Some(parent) = parent {
            self.find_namespace(parent)?;
            let level = self.namespace_depth(parent) + 1;
            if level > crate::MAX_NAMESPACE_DEPTH {
                return Err(ModelError::Invalid(format!(
                    "namespace '{}' ({id}) would be at level {level} of namespaces (a model definition is level 1); \
                     namespaces nest at most {} levels (MAX_NAMESPACE_DEPTH)",
                    echo(name),
                    crate::MAX_NAMESPACE_DEPTH
                )));
            }
        }
        self.check_namespace_name_free(parent, name, None)?;
        self.namespaces.insert(
            id,
            Arc::new(Namespace {
                id,
                name: name.to_string(),
                description: description.to_string(),
                parent,
            }),
        );
        dirty.mark(RecordKind::Namespace, id);
        Ok(())
    }

    pub(super) fn update_namespace(
        &mut self,
        id: Uuid,
        name: Option<&str>,
        description: Option<&str>,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let mut namespace = self.find_namespace(id)?.clone();
        if let Some(name) = name {
            check_name("namespace", name)?;
            self.check_namespace_name_free(namespace.parent, name, Some(id))?;
            namespace.name = name.to_string();
        }
        if let Some(description) = description {
            namespace.description = description.to_string();
        }
        self.namespaces.insert(id, Arc::new(namespace));
        dirty.mark(RecordKind::Namespace, id);
        Ok(())
    }

    pub(super) fn delete_namespace(
        &mut self,
        id: Uuid,
        mode: Mode,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let Some(namespace) = self.namespace(id) else {
            return gone(mode, format!("namespace not found: {id}"));
        };
        let path = self.namespace_path(namespace.id);
        let users: Vec<String> = self
            .all_namespaces()
            .filter(|n| n.parent == Some(id))
            .map(|n| format!("namespace {}", n.name))
            .chain(
                self.all_object_definitions()
                    .filter(|d| d.namespace == id)
                    .map(|d| format!("object definition {}", d.name)),
            )
            .chain(
                self.all_attribute_types()
                    .filter(|t| t.namespace == id)
                    .map(|t| format!("attribute type {}", t.name)),
            )
            .chain(
                self.all_tags()
                    .filter(|t| t.model_definition == id)
                    .map(|t| format!("tag {}", t.name)),
            )
            .chain(
                self.instances(id)
                    .filter_map(|m| self.object(m).map(|m| format!("model {}", m.name))),
            )
            .collect();
        if !users.is_empty() {
            return Err(in_use(&format!("namespace {path}"), &users));
        }
        self.namespaces.remove(&id);
        dirty.mark(RecordKind::Namespace, id);
        self.drop_metadata(id, dirty);
        Ok(())
    }

    pub(super) fn create_tag(
        &mut self,
        id: Uuid,
        model_definition: Uuid,
        name: &str,
        description: &str,
        dirty: &mut Dirty,
    ) -> Result<()> {
        check_name("tag", name)?;
        self.check_new_id(id)?;
        self.find_model_definition(model_definition)?;
        self.check_tag_name_free(model_definition, name, None)?;
        self.tags.insert(
            id,
            Arc::new(Tag {
                id,
                name: name.to_string(),
                description: description.to_string(),
                model_definition,
            }),
        );
        dirty.mark(RecordKind::Tag, id);
        Ok(())
    }

    pub(super) fn update_tag(
        &mut self,
        id: Uuid,
        name: Option<&str>,
        description: Option<&str>,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let mut tag = self.find_tag(id)?.clone();
        if let Some(name) = name {
            check_name("tag", name)?;
            self.check_tag_name_free(tag.model_definition, name, Some(id))?;
            tag.name = name.to_string();
        }
        if let Some(description) = description {
            tag.description = description.to_string();
        }
        self.tags.insert(id, Arc::new(tag));
        dirty.mark(RecordKind::Tag, id);
        Ok(())
    }

    pub(super) fn delete_tag(
        &mut self,
        id: Uuid,
        delete_usages: bool,
        mode: Mode,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let Some(tag) = self.tag(id) else {
            return gone(mode, format!("tag not found: {id}"));
        };
        let tag_name = tag.name.clone();
        let definitions: Vec<Uuid> = self
            .all_object_definitions()
            .filter(|d| d.tags.contains(&id))
            .map(|d| d.id)
            .collect();
        let types: Vec<Uuid> = self
            .all_attribute_types()
            .filter(|t| t.tags.contains(&id))
            .map(|t| t.id)
            .collect();
        let unused = definitions.is_empty() && types.is_empty();
        if !delete_usages && !unused {
            let users: Vec<String> = definitions
                .iter()
                .filter_map(|d| self.object_definition(*d))
                .map(|d| format!("object definition {}", d.name))
                .chain(
                    types
                        .iter()
                        .filter_map(|t| self.attribute_type(*t))
                        .map(|t| format!("attribute type {}", t.name)),
                )
                .collect();
            return Err(in_use(&format!("tag {tag_name}"), &users));
        }
        for d in definitions {
            if let Some(mut definition) = self.object_definition(d).cloned() {
                definition.tags.retain(|t| *t != id);
                self.object_definitions.insert(d, Arc::new(definition));
                dirty.mark(RecordKind::ObjectDefinition, d);
            }
        }
        for t in types {
            if let Some(mut attribute_type) = self.attribute_type(t).cloned() {
                attribute_type.tags.retain(|tag| *tag != id);
                self.attribute_types.insert(t, Arc::new(attribute_type));
                dirty.mark(RecordKind::AttributeType, t);
            }
        }
        self.tags.remove(&id);
        dirty.mark(RecordKind::Tag, id);
        Ok(())
    }

    pub(super) fn create_object_definition(
        &mut self,
        id: Uuid,
        namespace: Uuid,
        name: &str,
        description: &str,
        tags: &[Uuid],
        dirty: &mut Dirty,
    ) -> Result<()> {
        check_name("object definition", name)?;
        self.check_new_id(id)?;
        self.find_namespace(namespace)?;
        self.check_tags(tags)?;
        self.check_tags_belong(&format!("object definition {name}"), namespace, tags)?;
        self.check_definition_name_free(namespace, name, None)?;
        self.object_definitions.insert(
            id,
            Arc::new(ObjectDefinition {
                id,
                name: name.to_string(),
                description: description.to_string(),
                namespace,
                tags: tags.to_vec(),
                attributes: Vec::new(),
            }),
        );
        dirty.mark(RecordKind::ObjectDefinition, id);
        Ok(())
    }

    pub(super) fn update_object_definition(
        &mut self,
        id: Uuid,
        name: Option<&str>,
        description: Option<&str>,
        tags: Option<&[Uuid]>,
        namespace: Option<Uuid>,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let mut definition = self.find_object_definition(id)?.clone();
        if let Some(namespace) = namespace {
            self.find_namespace(namespace)?;
            self.check_definition_move(id, namespace)?;
            definition.namespace = namespace;
        }
        if let Some(name) = name {
            check_name("object definition", name)?;
            definition.name = name.to_string();
        }
        self.check_definition_name_free(definition.namespace, &definition.name, Some(id))?;
        if let Some(description) = description {
            definition.description = description.to_string();
        }
        if let Some(tags) = tags {
            self.check_tags(tags)?;
            self.check_tags_belong(
                &format!("object definition {}", definition.name),
                definition.namespace,
                tags,
            )?;
            definition.tags = tags.to_vec();
        }
        self.object_definitions.insert(id, Arc::new(definition));
        dirty.mark(RecordKind::ObjectDefinition, id);
        Ok(())
    }

    pub(super) fn delete_object_definition(
        &mut self,
        id: Uuid,
        mode: Mode,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let Some(definition) = self.object_definition(id).cloned() else {
            return gone(mode, format!("object definition not found: {id}"));
        };
        let mut users: Vec<String> = self
            .instances(id)
            .take(10)
            .filter_map(|o| self.object_path(o).ok())
            .map(|path| format!("object {path}"))
            .collect();
        users.extend(
            self.all_attribute_types()
                .filter(|t| t.kind.target() == Some(id))
                .map(|t| format!("attribute type {}", t.name)),
        );
        if !users.is_empty() {
            return Err(in_use(
                &format!("object definition {}", definition.name),
                &users,
            ));
        }
        for attribute in &definition.attributes {
            self.attribute_definitions.remove(attribute);
            dirty.mark(RecordKind::AttributeDefinition, *attribute);
        }
        self.object_definitions.remove(&id);
        dirty.mark(RecordKind::ObjectDefinition, id);
        self.drop_metadata(id, dirty);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn create_attribute_type(
        &mut self,
        id: Uuid,
        namespace: Uuid,
        name: &str,
        description: &str,
        tags: &[Uuid],
        kind: &TypeKind,
        dirty: &mut Dirty,
    ) -> Result<()> {
        check_name("attribute type", name)?;
        self.check_new_id(id)?;
        self.find_namespace(namespace)?;
        self.check_tags(tags)?;
        self.check_tags_belong(&format!("attribute type {name}"), namespace, tags)?;
        self.check_type_kind(kind)?;
        self.check_target_belongs(name, namespace, kind.target())?;
        self.check_type_name_free(namespace, name, None)?;
        self.attribute_types.insert(
            id,
            Arc::new(AttributeType {
                id,
                name: name.to_string(),
                description: description.to_string(),
                namespace,
                tags: tags.to_vec(),
                kind: kind.clone(),
            }),
        );
        dirty.mark(RecordKind::AttributeType, id);
        Ok(())
    }

    pub(super) fn update_attribute_type(
        &mut self,
        change: &Change,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let Change::UpdateAttributeType {
            id,
            name,
            description,
            tags,
            namespace,
            unit,
            expression,
        } = change
        else {
            return Ok(());
        };
        let mut attribute_type = self.find_attribute_type(*id)?.clone();
        if let Some(namespace) = namespace {
            self.find_namespace(*namespace)?;
            self.check_type_move(*id, *namespace)?;
            attribute_type.namespace = *namespace;
        }
        if let Some(name) = name {
            check_name("attribute type", name)?;
            attribute_type.name = name.clone();
            // Attribute definitions take their name from their type: no
            // two of one object definition may end up with one name.
            for definition in self
                .all_attribute_definitions()
                .filter(|d| d.attribute_type == *id)
            {
                self.check_attribute_name_free(definition.object_definition, name, Some(*id))?;
            }
        }
        self.check_type_name_free(attribute_type.namespace, &attribute_type.name, Some(*id))?;
        if let Some(description) = description {
            attribute_type.description = description.clone();
        }
        if let Some(tags) = tags {
            self.check_tags(tags)?;
            self.check_tags_belong(
                &format!("attribute type {}", attribute_type.name),
                attribute_type.namespace,
                tags,
            )?;
            attribute_type.tags = tags.clone();
        }
        if let Some(new_unit) = unit {
            match &mut attribute_type.kind {
                TypeKind::Simple { unit, .. } | TypeKind::Timeseries { unit } => *unit = *new_unit,
                _ => return Err(not_for_kind("a unit", &attribute_type)),
            }
        }
        if let Some(new_expression) = expression {
            match &mut attribute_type.kind {
                TypeKind::Simple { expression, .. } | TypeKind::XySet { expression } => {
                    *expression = new_expression.clone()
                }
                _ => return Err(not_for_kind("an expression", &attribute_type)),
            }
        }
        self.check_type_kind(&attribute_type.kind)?;
        self.attribute_types.insert(*id, Arc::new(attribute_type));
        dirty.mark(RecordKind::AttributeType, *id);
        Ok(())
    }

    pub(super) fn delete_attribute_type(
        &mut self,
        id: Uuid,
        mode: Mode,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let Some(attribute_type) = self.attribute_type(id) else {
            return gone(mode, format!("attribute type not found: {id}"));
        };
        let users: Vec<String> = self
            .all_attribute_definitions()
            .filter(|d| d.attribute_type == id)
            .filter_map(|d| self.object_definition(d.object_definition))
            .map(|d| format!("object definition {}", d.name))
            .collect();
        if !users.is_empty() {
            return Err(in_use(
                &format!("attribute type {}", attribute_type.name),
                &users,
            ));
        }
        self.attribute_types.remove(&id);
        dirty.mark(RecordKind::AttributeType, id);
        self.drop_metadata(id, dirty);
        Ok(())
    }

    pub(super) fn add_attribute_definition(
        &mut self,
        change: &Change,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let Change::AddAttributeDefinition {
            id,
            object_definition,
            attribute_type,
            description,
            minimum_cardinality,
            maximum_cardinality,
            rules,
        } = change
        else {
            return Ok(());
        };
        self.check_new_id(*id)?;
        let owner = self.find_object_definition(*object_definition)?.clone();
        let base = self.find_attribute_type(*attribute_type)?.clone();
        self.check_type_belongs(owner.id, base.id)?;
        self.check_attribute_name_free(owner.id, &base.name, None)?;
        let definition = AttributeDefinition {
            id: *id,
            object_definition: owner.id,
            attribute_type: base.id,
            description: description.clone(),
            minimum_cardinality: *minimum_cardinality,
            maximum_cardinality: *maximum_cardinality,
            rules: rules.clone(),
        };
        check_cardinality(&base.name, *minimum_cardinality, *maximum_cardinality)?;
        check_rules(&base, &definition)?;
        let default_values = definition.initial_values(&base);
        let mut owner = owner;
        owner.attributes.push(*id);
        self.attribute_definitions.insert(*id, Arc::new(definition));
        dirty.mark(RecordKind::AttributeDefinition, *id);
        let owner_id = owner.id;
        self.object_definitions.insert(owner_id, Arc::new(owner));
        dirty.mark(RecordKind::ObjectDefinition, owner_id);
        // Existing instances gain the attribute, with its default.
        let instances: Vec<Uuid> = self.instances(owner_id).collect();
        for object in instances {
            if let Some(mut object) = self.object(object).cloned() {
                object.attributes.push(AttributeSlot {
                    id: attribute_id(object.id, *id),
                    definition: *id,
                    values: default_values.clone(),
                    held: None,
                });
                self.put_object(object, dirty);
            }
        }
        Ok(())
    }

    pub(super) fn update_attribute_definition(
        &mut self,
        id: Uuid,
        description: Option<&str>,
        cardinality: Option<(i64, i64)>,
        rules: Option<&DefinitionRules>,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let mut definition = self.find_attribute_definition(id)?.clone();
        let base = self.find_attribute_type(definition.attribute_type)?.clone();
        if let Some(description) = description {
            definition.description = description.to_string();
        }
        if let Some((minimum, maximum)) = cardinality {
            check_cardinality(&base.name, minimum, maximum)?;
            definition.minimum_cardinality = minimum;
            definition.maximum_cardinality = maximum;
        }
        if let Some(rules) = rules {
            definition.rules = rules.clone();
        }
        check_rules(&base, &definition)?;
        self.attribute_definitions.insert(id, Arc::new(definition));
        dirty.mark(RecordKind::AttributeDefinition, id);
        Ok(())
    }

    pub(super) fn delete_attribute_definition(
        &mut self,
        id: Uuid,
        mode: Mode,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let Some(definition) = self.attribute_definition(id).cloned() else {
            return gone(mode, format!("attribute definition not found: {id}"));
        };
        let name = self.attribute_definition_name(&definition).to_string();
        let users: Vec<String> = self
            .instances(definition.object_definition)
            .take(10)
            .filter_map(|o| self.object_path(o).ok())
            .map(|path| format!("object {path}"))
            .collect();
        if !users.is_empty() {
            return Err(in_use(&format!("attribute definition {name}"), &users));
        }
        if let Some(mut owner) = self
            .object_definition(definition.object_definition)
            .cloned()
        {
            owner.attributes.retain(|a| *a != id);
            let owner_id = owner.id;
            self.object_definitions.insert(owner_id, Arc::new(owner));
            dirty.mark(RecordKind::ObjectDefinition, owner_id);
        }
        self.attribute_definitions.remove(&id);
        dirty.mark(RecordKind::AttributeDefinition, id);
        self.drop_metadata(id, dirty);
        Ok(())
    }

    pub(super) fn set_metadata(
        &mut self,
        id: Uuid,
        entries: &[(String, String)],
        dirty: &mut Dirty,
    ) -> Result<()> {
        let known = self.namespaces.contains_key(&id)
            || self.object_definitions.contains_key(&id)
            || self.attribute_definitions.contains_key(&id);
        if !known {
            return Err(ModelError::NotFound(format!(
                "no namespace, object definition or attribute definition has id {id}"
            )));
        }
        for (index, (category, json)) in entries.iter().enumerate() {
            if json.chars().count() > MAX_METADATA_CHARS {
                return Err(ModelError::Invalid(format!(
                    "extended metadata '{}': its JSON object is {} characters long; at most {MAX_METADATA_CHARS} are allowed",
                    echo(category),
                    json.chars().count()
                )));
            }
            if entries[..index].iter().any(|(other, _)| other == category) {
                return Err(ModelError::AlreadyExists(format!(
                    "extended metadata category '{}' is given twice; categories must be unique",
                    echo(category)
                )));
            }
        }
        if entries.is_empty() {
            self.drop_metadata(id, dirty);
        } else {
            self.metadata.insert(id, Arc::new(entries.to_vec()));
            dirty.mark(RecordKind::Metadata, id);
        }
        Ok(())
    }

    fn drop_metadata(&mut self, id: Uuid, dirty: &mut Dirty) {
        if self.metadata.remove(&id).is_some() {
            dirty.mark(RecordKind::Metadata, id);
        }
    }

    /// Finds a model definition (a namespace without a parent).
    pub fn find_model_definition(&self, id: Uuid) -> Result<&Namespace> {
        let namespace = self
            .namespace(id)
            .ok_or_else(|| ModelError::NotFound(format!("model definition not found: {id}")))?;
        if namespace.parent.is_some() {
            return Err(ModelError::Invalid(format!(
                "namespace {} is not a model definition (it has a parent namespace)",
                self.namespace_path(id)
            )));
        }
        Ok(namespace)
    }

    fn check_new_id(&self, id: Uuid) -> Result<()> {
        let taken = self.namespaces.contains_key(&id)
            || self.tags.contains_key(&id)
            || self.object_definitions.contains_key(&id)
            || self.attribute_types.contains_key(&id)
            || self.attribute_definitions.contains_key(&id)
            || self.objects.contains_key(&id)
            || self.attribute_owners.contains_key(&id);
        if taken {
            return Err(ModelError::AlreadyExists(format!(
                "the id {id} is already in use"
            )));
        }
        Ok(())
    }

    fn check_namespace_name_free(
        &self,
        parent: Option<Uuid>,
        name: &str,
        except: Option<Uuid>,
    ) -> Result<()> {
        let clash = self
            .all_namespaces()
            .any(|n| n.parent == parent && n.name == name && Some(n.id) != except);
        if clash {
            let place = match parent {
                None => "model definition".to_string(),
                Some(p) => format!("namespace in {}", self.namespace_path(p)),
            };
            return Err(ModelError::AlreadyExists(format!(
                "a {place} named '{}' already exists",
                echo(name)
            )));
        }
        Ok(())
    }

    fn check_tag_name_free(
        &self,
        model_definition: Uuid,
        name: &str,
        except: Option<Uuid>,
    ) -> Result<()> {
        if self.all_tags().any(|t| {
            t.model_definition == model_definition && t.name == name && Some(t.id) != except
        }) {
            return Err(ModelError::AlreadyExists(format!(
                "a tag named '{}' already exists in model definition {}",
                echo(name),
                self.namespace_path(model_definition)
            )));
        }
        Ok(())
    }

    fn check_definition_name_free(
        &self,
        namespace: Uuid,
        name: &str,
        except: Option<Uuid>,
    ) -> Result<()> {
        if self
            .all_object_definitions()
            .any(|d| d.namespace == namespace && d.name == name && Some(d.id) != except)
        {
            return Err(ModelError::AlreadyExists(format!(
                "an object definition named '{}' already exists in namespace {}",
                echo(name),
                self.namespace_path(namespace)
            )));
        }
        Ok(())
    }

    fn check_type_name_free(
        &self,
        namespace: Uuid,
        name: &str,
        except: Option<Uuid>,
    ) -> Result<()> {
        if self
            .all_attribute_types()
            .any(|t| t.namespace == namespace && t.name == name && Some(t.id) != except)
        {
            return Err(ModelError::AlreadyExists(format!(
                "an attribute type named '{}' already exists in namespace {}",
                echo(name),
                self.namespace_path(namespace)
            )));
        }
        Ok(())
    }

    /// Attribute names (their types' names) are unique per object
    /// definition. `except_type` is a type being renamed.
    fn check_attribute_name_free(
        &self,
        object_definition: Uuid,
        name: &str,
        except_type: Option<Uuid>,
    ) -> Result<()> {
        let Some(owner) = self.object_definition(object_definition) else {
            return Ok(());
        };
        for attribute in &owner.attributes {
            if let Some(definition) = self.attribute_definition(*attribute) {
                if Some(definition.attribute_type) != except_type
                    && self.attribute_definition_name(definition) == name
                {
                    return Err(ModelError::AlreadyExists(format!(
                        "object definition {} already has an attribute named '{}'",
                        owner.name,
                        echo(name)
                    )));
                }
            }
        }
        Ok(())
    }

    fn check_tags(&self, tags: &[Uuid]) -> Result<()> {
        for tag in tags {
            self.find_tag(*tag)?;
        }
        Ok(())
    }

    fn check_type_kind(&self, kind: &TypeKind) -> Result<()> {
        if let Some(unit) = kind.unit() {
            if units::by_id(unit).is_none() {
                return Err(ModelError::NotFound(format!(
                    "unit of measurement not found: {unit}"
                )));
            }
        }
        if let Some(target) = kind.target() {
            self.find_object_definition(target)?;
        }
        if let TypeKind::Simple { value_type, .. } = kind {
            if !value_type.is_simple() {
                return Err(ModelError::Invalid(format!(
                    "a simple attribute type cannot hold {} values",
                    value_type.describe()
                )));
            }
        }
        Ok(())
    }
}

/// The longest JSON object of one extended metadata entry, in characters.
pub const MAX_METADATA_CHARS: usize = 4000;

/// What a replay does with a deletion of something already gone: nothing,
/// as the reference does; a request is told it is missing.
fn gone(mode: Mode, message: String) -> Result<()> {
    match mode {
        Mode::Replay => Ok(()),
        Mode::Request => Err(ModelError::NotFound(message)),
    }
}

fn in_use(what: &str, users: &[String]) -> ModelError {
    ModelError::InUse(format!("{what} is in use by {}", users.join(", ")))
}

fn not_for_kind(what: &str, attribute_type: &AttributeType) -> ModelError {
    ModelError::Invalid(format!(
        "attribute type {} holds {} values, which have no {what}",
        attribute_type.name,
        attribute_type.kind.value_type().describe()
    ))
}

fn check_cardinality(name: &str, minimum: i64, maximum: i64) -> Result<()> {
    if minimum < 0 || maximum < 0 || (maximum != 0 && minimum > maximum) {
        return Err(ModelError::Invalid(format!(
            "attribute {name}: cardinality {minimum}..{maximum} is not a range (0 as the maximum means no limit)"
        )));
    }
    Ok(())
}

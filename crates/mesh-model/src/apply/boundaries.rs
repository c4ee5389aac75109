//! Every reference of a model definition stays inside it: an attribute
//! type targets object definitions of its own model definition, an object
//! definition uses attribute types of its own, tags belong to the model
//! definition of what they tag, and objects are of definitions of their
//! model's model definition.
//!
//! The public Mesh API names definitions by their path inside one model
//! definition and says nothing of references between model definitions;
//! the model file refers to them the same way. So a change that would make
//! such a reference is refused: a new one with INVALID_ARGUMENT, a move
//! (`new_name_space_id` into another model definition) with
//! FAILED_PRECONDITION naming what would be left pointing across. Moving
//! within one model definition (to another namespace of it) is free.

use uuid::Uuid;

use crate::error::{ModelError, Result};
use crate::model::Model;

/// At most this many users are named in a refusal; the count says the rest.
const NAMED: usize = 10;

impl Model {
    fn model_definition_name(&self, namespace: Uuid) -> String {
        self.model_definition_of(namespace)
            .and_then(|md| self.namespace(md))
            .map_or_else(String::new, |md| md.name.clone())
    }

    fn model_definition_of_definition(&self, definition: Uuid) -> Option<Uuid> {
        self.object_definition(definition)
            .and_then(|d| self.model_definition_of(d.namespace))
    }

    fn model_definition_of_type(&self, attribute_type: Uuid) -> Option<Uuid> {
        self.attribute_type(attribute_type)
            .and_then(|t| self.model_definition_of(t.namespace))
    }

    /// Refuses tags of another model definition than `namespace`'s.
    pub(super) fn check_tags_belong(
        &self,
        what: &str,
        namespace: Uuid,
        tags: &[Uuid],
    ) -> Result<()> {
        let home = self.model_definition_of(namespace);
        for tag in tags {
            let tag = self.find_tag(*tag)?;
            if Some(tag.model_definition) != home {
                return Err(ModelError::Invalid(format!(
                    "{what}: tag {} belongs to model definition {}, not to {}; a tag is used only in its own model definition",
                    tag.name,
                    self.namespace_path(tag.model_definition),
                    self.model_definition_name(namespace)
                )));
            }
        }
        Ok(())
    }

    /// Refuses a relation type in `namespace` targeting an object definition
    /// of another model definition.
    pub(super) fn check_target_belongs(
        &self,
        name: &str,
        namespace: Uuid,
        target: Option<Uuid>,
    ) -> Result<()> {
        let Some(target) = target else {
            return Ok(());
        };
        if self.model_definition_of_definition(target) == self.model_definition_of(namespace) {
            return Ok(());
        }
        let target = self.find_object_definition(target)?;
        Err(ModelError::Invalid(format!(
            "attribute type {name} cannot target object definition {} of model definition {}: \
             a relation targets object definitions of its own model definition ({})",
            target.name,
            self.model_definition_name(target.namespace),
            self.model_definition_name(namespace)
        )))
    }

    /// Refuses an attribute definition joining an object definition and an
    /// attribute type of different model definitions.
    pub(super) fn check_type_belongs(
        &self,
        object_definition: Uuid,
        attribute_type: Uuid,
    ) -> Result<()> {
        if self.model_definition_of_definition(object_definition)
            == self.model_definition_of_type(attribute_type)
        {
            return Ok(());
        }
        let owner = self.find_object_definition(object_definition)?;
        let base = self.find_attribute_type(attribute_type)?;
        Err(ModelError::Invalid(format!(
            "object definition {} (model definition {}) cannot use attribute type {} of model definition {}: \
             an object definition uses attribute types of its own model definition",
            owner.name,
            self.model_definition_name(owner.namespace),
            base.name,
            self.model_definition_name(base.namespace)
        )))
    }

    /// Refuses moving object definition `id` to `namespace` in another
    /// model definition when anything would then refer across: its
    /// attribute types, relation types targeting it, its tags, its objects.
    pub(super) fn check_definition_move(&self, id: Uuid, namespace: Uuid) -> Result<()> {
        let definition = self.find_object_definition(id)?;
        let from = self.model_definition_of(definition.namespace);
        let to = self.model_definition_of(namespace);
        if from == to {
            return Ok(());
        }
        let mut dangling = Vec::new();
        for attribute in &definition.attributes {
            if let Some(a) = self.attribute_definition(*attribute) {
                if self.model_definition_of_type(a.attribute_type) != to {
                    dangling.push(format!(
                        "its attribute {} uses an attribute type of model definition {}",
                        self.attribute_definition_name(a),
                        self.model_definition_name(
                            self.attribute_type(a.attribute_type)
                                .map_or(definition.namespace, |t| t.namespace)
                        )
                    ));
                }
            }
        }
        for t in self.all_attribute_types() {
            if t.kind.target() == Some(id) && self.model_definition_of(t.namespace) != to {
                dangling.push(format!(
                    "attribute type {} of model definition {} targets it",
                    t.name,
                    self.model_definition_name(t.namespace)
                ));
            }
        }
        for tag in &definition.tags {
            if let Some(tag) = self.tag(*tag) {
                if Some(tag.model_definition) != to {
                    dangling.push(format!("it has tag {} of its model definition", tag.name));
                }
            }
        }
        let objects = self.instance_count(id);
        if objects > 0 {
            dangling.push(format!(
                "{objects} object(s) of it are in models of model definition {}",
                self.model_definition_name(definition.namespace)
            ));
        }
        self.refuse_move("object definition", &definition.name, namespace, dangling)
    }

    /// Refuses moving attribute type `id` to `namespace` in another model
    /// definition when anything would then refer across: object
    /// definitions using it, its target, its tags.
    pub(super) fn check_type_move(&self, id: Uuid, namespace: Uuid) -> Result<()> {
        let base = self.find_attribute_type(id)?;
        let from = self.model_definition_of(base.namespace);
        let to = self.model_definition_of(namespace);
        if from == to {
            return Ok(());
        }
        let mut dangling = Vec::new();
        for a in self.all_attribute_definitions() {
            if a.attribute_type == id
                && self.model_definition_of_definition(a.object_definition) != to
            {
                let owner = self
                    .object_definition(a.object_definition)
                    .map_or("?", |d| d.name.as_str());
                dangling.push(format!("object definition {owner} has an attribute of it"));
            }
        }
        if let Some(target) = base.kind.target() {
            if self.model_definition_of_definition(target) != to {
                let target = self
                    .object_definition(target)
                    .map_or("?", |d| d.name.as_str());
                dangling.push(format!("it targets object definition {target}"));
            }
        }
        for tag in &base.tags {
            if let Some(tag) = self.tag(*tag) {
                if Some(tag.model_definition) != to {
                    dangling.push(format!("it has tag {} of its model definition", tag.name));
                }
            }
        }
        self.refuse_move("attribute type", &base.name, namespace, dangling)
    }

    fn refuse_move(
        &self,
        what: &str,
        name: &str,
        namespace: Uuid,
        mut dangling: Vec<String>,
    ) -> Result<()> {
        if dangling.is_empty() {
            return Ok(());
        }
        let more = dangling.len().saturating_sub(NAMED);
        dangling.truncate(NAMED);
        let mut list = dangling.join("; ");
        if more > 0 {
            list.push_str(&format!("; and {more} more"));
        }
        Err(ModelError::InUse(format!(
            "{what} {name} cannot move to model definition {}: {list}. \
             References stay inside one model definition; move it within its own, or remove what refers to it first",
            self.model_definition_name(namespace)
        )))
    }
}

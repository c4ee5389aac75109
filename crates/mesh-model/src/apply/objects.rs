//! The rules of models, objects and simple attribute values.

use uuid::Uuid;

use super::check_name;
use super::values::check_values;
use crate::change::Mode;
use crate::definitions::TypeKind;
use crate::echo;
use crate::error::{ModelError, Result};
use crate::model::Model;
use crate::objects::{attribute_id, AttributeSlot, Held, Object, Owner};
use crate::records::Dirty;
use crate::value::{Value, ValueType};

impl Model {
    pub(super) fn create_model(
        &mut self,
        id: Uuid,
        name: &str,
        model_definition: Uuid,
        dirty: &mut Dirty,
    ) -> Result<()> {
        check_name("model", name)?;
        self.find_model_definition(model_definition)?;
        if self.objects.contains_key(&id) {
            return Err(ModelError::AlreadyExists(format!(
                "the id {id} is already in use"
            )));
        }
        self.check_name_free(None, name, None)?;
        self.put_object(
            Object {
                id,
                name: name.to_string(),
                definition: model_definition,
                owner: None,
                attributes: Vec::new(),
            },
            dirty,
        );
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn create_object(
        &mut self,
        id: Uuid,
        name: &str,
        owner: Owner,
        definition: Option<Uuid>,
        attribute_ids: &[(Uuid, Uuid)],
        mode: Mode,
        dirty: &mut Dirty,
    ) -> Result<()> {
        check_name("object", name)?;
        if self.objects.contains_key(&id) {
            return Err(ModelError::AlreadyExists(format!(
                "the id {id} is already in use"
            )));
        }
        let Some(owner_object) = self.object(owner.object) else {
            return Err(match mode {
                Mode::Request => {
                    ModelError::NotFound(format!("Owner of the object not found: {}", owner.object))
                }
                Mode::Replay => ModelError::Conflict(format!(
                    "Missing owner: object {} (to own '{}') was deleted",
                    owner.object,
                    echo(name)
                )),
            });
        };
        let definition = self.definition_for(owner_object, owner, definition)?;
        self.check_name_free(Some(owner), name, None)?;
        self.check_room(owner)?;
        self.check_ownership_depth(owner, 1, name, id, "creating")?;
        let attributes = self.new_attributes(id, definition, attribute_ids)?;
        self.put_object(
            Object {
                id,
                name: name.to_string(),
                definition,
                owner: Some(owner),
                attributes,
            },
            dirty,
        );
        Ok(())
    }

    pub(super) fn update_object(
        &mut self,
        id: Uuid,
        name: Option<&str>,
        owner: Option<Owner>,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let mut object = self.find_object(id)?.clone();
        if let Some(name) = name {
            check_name(if object.is_model() { "model" } else { "object" }, name)?;
            object.name = name.to_string();
        }
        if let Some(new_owner) = owner {
            if object.is_model() {
                return Err(ModelError::Invalid(format!(
                    "model {} cannot be moved: models have no owner",
                    object.name
                )));
            }
            let owner_object = self.object(new_owner.object).ok_or_else(|| {
                ModelError::NotFound(format!(
                    "Owner of the object not found: {}",
                    new_owner.object
                ))
            })?;
            self.definition_for(owner_object, new_owner, Some(object.definition))?;
            // An object cannot come to own itself, directly or through what
            // it owns.
            let mut ancestor = Some(new_owner.object);
            while let Some(current) = ancestor {
                if current == id {
                    return Err(ModelError::Invalid(format!(
                        "object {} cannot be moved under itself or an object it owns",
                        self.object_path(id)?
                    )));
                }
                ancestor = self.object(current).and_then(|o| o.owner).map(|o| o.object);
            }
            if object.owner != Some(new_owner) {
                self.check_room(new_owner)?;
                self.check_ownership_depth(
                    new_owner,
                    self.ownership_height(id),
                    &object.name,
                    id,
                    "moving",
                )?;
            }
            object.owner = Some(new_owner);
        }
        self.check_name_free(object.owner, &object.name, Some(id))?;
        self.put_object(object, dirty);
        Ok(())
    }

    pub(super) fn delete_object(
        &mut self,
        id: Uuid,
        recursive: bool,
        mode: Mode,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let Some(object) = self.object(id) else {
            return match mode {
                Mode::Replay => Ok(()),
                Mode::Request => Err(ModelError::NotFound(format!("object not found: {id}"))),
            };
        };
        // Objects owned through a one-to-one attribute are part of their
        // owner and go with it; those in collections (and a model's) must
        // be deleted first, or with `recursive`.
        let blocking = self
            .all_children(object)
            .into_iter()
            .filter(|child| {
                let owner = self.object(*child).and_then(|c| c.owner);
                owner
                    .and_then(|o| o.attribute)
                    .and_then(|a| self.attribute_definition(a))
                    .is_none_or(|d| d.is_collection())
            })
            .count();
        if blocking > 0 && !recursive {
            return Err(ModelError::InUse(format!(
                "object {} has child objects ({blocking}); delete them first or delete recursively",
                self.object_path(id)?
            )));
        }
        let doomed = self.owned_tree(id);
        // The reference lets an object others link to be deleted; the
        // links to it go with it, so that nothing points at a missing
        // object.
        let gone: std::collections::HashSet<Uuid> = doomed.iter().copied().collect();
        self.unlink(&gone, dirty);
        for id in doomed.into_iter().rev() {
            self.remove_object(id, dirty);
        }
        Ok(())
    }

    pub(super) fn set_simple_attribute(
        &mut self,
        attribute: Uuid,
        values: &[Value],
        as_collection: bool,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let found = self.find_attribute(attribute)?;
        let name = found.attribute_type.name.clone();
        if as_collection != found.definition.is_collection() {
            return Err(ModelError::Invalid(format!(
                "attribute {name} holds {}, but {} was given. Check if you correctly applied the singular value/collection values",
                if found.definition.is_collection() { "a collection of values" } else { "a single value" },
                if as_collection { "a collection" } else { "a single value" },
            )));
        }
        let values = coerce(found.attribute_type.kind.value_type(), values);
        check_values(&name, found.attribute_type, found.definition, &values)?;
        let mut object = found.object.clone();
        if let Some(slot) = object.attributes.iter_mut().find(|s| s.id == attribute) {
            slot.values = values;
        }
        self.put_object(object, dirty);
        Ok(())
    }

    pub(super) fn set_timeseries_attribute(
        &mut self,
        attribute: Uuid,
        key: Option<i64>,
        local_expression: Option<&str>,
        dirty: &mut Dirty,
    ) -> Result<()> {
        let found = self.find_attribute(attribute)?;
        if !matches!(found.attribute_type.kind, TypeKind::Timeseries { .. }) {
            return Err(ModelError::Invalid(format!(
                "Invalid type: attribute {} holds {} values, not a time series",
                found.attribute_type.name,
                found.attribute_type.kind.value_type().describe()
            )));
        }
        if key.is_some_and(|k| k < 0) {
            return Err(ModelError::Invalid(format!(
                "time series key {} is not a key (keys are positive; 0 disconnects)",
                key.unwrap_or_default()
            )));
        }
        let (old_key, old_expression) = found.slot.timeseries();
        let key = key.unwrap_or(old_key);
        let local_expression = match local_expression {
            Some(expression) => Some(expression.to_string()),
            None => old_expression.map(str::to_string),
        };
        let held = (key != 0 || local_expression.is_some()).then_some(Held::Timeseries {
            key,
            local_expression,
        });
        self.put_held(attribute, held, dirty)
    }

    /// The definition a new object under `owner` gets: the one its owning
    /// attribute's type owns (checked against `asked`, when given), or for
    /// an object a model owns directly, `asked` from the model's definition.
    pub(super) fn definition_for(
        &self,
        owner_object: &Object,
        owner: Owner,
        asked: Option<Uuid>,
    ) -> Result<Uuid> {
        match owner.attribute {
            Some(attribute) => {
                let slot = owner_object.slot(attribute).ok_or_else(|| {
                    ModelError::NotFound(format!(
                        "object {} has no attribute of definition {attribute}",
                        owner_object.name
                    ))
                })?;
                let found = self.attribute_of(owner_object, slot).ok_or_else(|| {
                    ModelError::NotFound(format!("attribute not found: {}", slot.id))
                })?;
                let TypeKind::OwnershipRelation { target } = found.attribute_type.kind else {
                    return Err(ModelError::Invalid(format!(
                        "attribute {} is not an ownership relation; only those own objects",
                        found.attribute_type.name
                    )));
                };
                if let Some(asked) = asked.filter(|asked| *asked != target) {
                    let asked_name = self
                        .object_definition(asked)
                        .map_or("?", |d| d.name.as_str());
                    let target_name = self
                        .object_definition(target)
                        .map_or("?", |d| d.name.as_str());
                    return Err(ModelError::Invalid(format!(
                        "attribute {} owns objects of definition {target_name}, not {asked_name}",
                        found.attribute_type.name
                    )));
                }
                self.find_object_definition(target)?;
                Ok(target)
            }
            None => {
                if !owner_object.is_model() {
                    return Err(ModelError::Invalid(format!(
                        "object {} is not a model: name one of its ownership attributes as the owner",
                        owner_object.name
                    )));
                }
                let asked = asked.ok_or_else(|| {
                    ModelError::Invalid(
                        "an object owned directly by a model needs an object definition"
                            .to_string(),
                    )
                })?;
                let definition = self.find_object_definition(asked)?;
                if self.model_definition_of(definition.namespace) != Some(owner_object.definition) {
                    return Err(ModelError::Invalid(format!(
                        "object definition {} is not part of the definition of model {}",
                        definition.name, owner_object.name
                    )));
                }
                Ok(asked)
            }
        }
    }

    /// Refuses a child beyond the owning attribute's maximum cardinality.
    pub(super) fn check_room(&self, owner: Owner) -> Result<()> {
        let Some(attribute) = owner.attribute else {
            return Ok(());
        };
        let Some(definition) = self.attribute_definition(attribute) else {
            return Ok(());
        };
        let count = self.children.get(&owner).map_or(0, |c| c.len());
        if definition.maximum_cardinality > 0
            && i64::try_from(count).unwrap_or(i64::MAX) >= definition.maximum_cardinality
        {
            return Err(ModelError::Invalid(format!(
                "attribute {} already owns its maximum of {} objects",
                self.owner_label(owner),
                definition.maximum_cardinality
            )));
        }
        Ok(())
    }

    fn new_attributes(
        &self,
        object: Uuid,
        definition: Uuid,
        given: &[(Uuid, Uuid)],
    ) -> Result<Vec<AttributeSlot>> {
        let definition = self.find_object_definition(definition)?;
        if let Some((unknown, _)) = given
            .iter()
            .find(|(d, _)| !definition.attributes.contains(d))
        {
            return Err(ModelError::Invalid(format!(
                "object definition {} has no attribute definition {unknown}",
                definition.name
            )));
        }
        let mut slots = Vec::with_capacity(definition.attributes.len());
        for attribute in &definition.attributes {
            let member = self.find_attribute_definition(*attribute)?;
            let base = self.find_attribute_type(member.attribute_type)?;
            let id = given
                .iter()
                .find(|(d, _)| d == attribute)
                .map_or_else(|| attribute_id(object, *attribute), |(_, id)| *id);
            if self.attribute_owners.contains_key(&id) || self.objects.contains_key(&id) {
                return Err(ModelError::AlreadyExists(format!(
                    "the id {id} is already in use"
                )));
            }
            slots.push(AttributeSlot {
                id,
                definition: *attribute,
                values: member.initial_values(base),
                held: None,
            });
        }
        Ok(slots)
    }

    /// Refuses `name` where `owner` (`None`: among the models) already has
    /// an object of that name other than `except`.
    pub(super) fn check_name_free(
        &self,
        owner: Option<Owner>,
        name: &str,
        except: Option<Uuid>,
    ) -> Result<()> {
        let clash = match owner {
            Some(owner) => self.child(owner, name),
            None => self.models.get(name).copied(),
        };
        if clash.is_none() || clash == except {
            return Ok(());
        }
        Err(ModelError::AlreadyExists(match owner {
            Some(owner) => format!(
                "An element named {} already exists in the {} element array",
                echo(name),
                self.owner_label(owner)
            ),
            None => format!("a model named '{}' already exists", echo(name)),
        }))
    }

    /// How messages name an owner: its attribute's name, or the model's.
    pub(crate) fn owner_label(&self, owner: Owner) -> String {
        match owner.attribute {
            Some(attribute) => self
                .attribute_definition(attribute)
                .map(|d| self.attribute_definition_name(d).to_string())
                .unwrap_or_default(),
            None => self
                .object(owner.object)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
        }
    }
}

/// Integers given for a double attribute are taken as doubles (clients send
/// `13` for `13.0`); every other value stays as given.
fn coerce(value_type: ValueType, values: &[Value]) -> Vec<Value> {
    values
        .iter()
        .map(|value| match (value_type, value) {
            // Exact up to 2^53; beyond, the nearest double, as any client
            // converting it would get.
            (ValueType::Double, Value::Int(int)) => Value::Double(*int as f64),
            _ => value.clone(),
        })
        .collect()
}

//! The model as the search language sees it.

use uuid::Uuid;

use crate::definitions::TypeKind;
use crate::model::Model;
use crate::objects::{Owner, MODEL_OBJECTS};
use crate::search::{SearchAttribute, SearchModel, SearchValue};
use crate::value::Value;

impl SearchModel for Model {
    type Object = Uuid;

    fn owner(&self, object: Uuid) -> Option<Uuid> {
        self.object(object)?.owner.map(|o| o.object)
    }

    fn children(&self, object: Uuid) -> Vec<Uuid> {
        self.object(object)
            .map_or_else(Vec::new, |o| self.all_children(o))
    }

    fn name(&self, object: Uuid) -> &str {
        self.object(object).map_or("", |o| o.name.as_str())
    }

    fn type_name(&self, object: Uuid) -> &str {
        let Some(object) = self.object(object) else {
            return "";
        };
        if object.is_model() {
            self.namespace(object.definition)
                .map_or("", |n| n.name.as_str())
        } else {
            self.object_definition(object.definition)
                .map_or("", |d| d.name.as_str())
        }
    }

    fn attribute_names(&self, object: Uuid) -> Vec<&str> {
        let Some(object) = self.object(object) else {
            return Vec::new();
        };
        if object.is_model() {
            return vec![MODEL_OBJECTS];
        }
        self.attributes_of(object)
            .map(|a| a.attribute_type.name.as_str())
            .collect()
    }

    fn attribute(
        &self,
        object: Uuid,
        name: &str,
        ignore_case: bool,
    ) -> Option<SearchAttribute<'_, Uuid>> {
        let object = self.object(object)?;
        let named = |candidate: &str| {
            if ignore_case {
                candidate.eq_ignore_ascii_case(name)
            } else {
                candidate == name
            }
        };
        if object.is_model() {
            // A model's one attribute: the objects it owns directly.
            return named(MODEL_OBJECTS).then(|| SearchAttribute {
                name: MODEL_OBJECTS,
                values: Vec::new(),
                targets: self
                    .children(Owner {
                        object: object.id,
                        attribute: None,
                    })
                    .collect(),
            });
        }
        let found = self
            .attributes_of(object)
            .find(|a| named(&a.attribute_type.name))?;
        let targets = match found.attribute_type.kind {
            TypeKind::OwnershipRelation { .. } => self
                .children(Owner {
                    object: object.id,
                    attribute: Some(found.definition.id),
                })
                .collect(),
            // Steps follow links as they follow ownership (every target a
            // versioned link has had or will have).
            TypeKind::LinkRelation { .. } => found.slot.link_targets(),
            _ => Vec::new(),
        };
        Some(SearchAttribute {
            name: found.attribute_type.name.as_str(),
            values: found
                .slot
                .values
                .iter()
                .map(|v| match v {
                    Value::Int(v) => SearchValue::Int(*v),
                    Value::Double(v) => SearchValue::Double(*v),
                    Value::Bool(v) => SearchValue::Bool(*v),
                    Value::String(v) => SearchValue::String(v.as_str()),
                    Value::UtcTime(v) => SearchValue::UtcTime(*v),
                })
                .collect(),
            targets,
        })
    }

    fn objects_of_type(&self, type_name: &str) -> Option<Vec<Uuid>> {
        // Definitions are few: find those of that name, then their
        // instances from the index, without walking the objects.
        let mut found: Vec<Uuid> = self
            .all_object_definitions()
            .filter(|d| d.name == type_name)
            .flat_map(|d| self.instances(d.id))
            .collect();
        found.extend(
            self.all_namespaces()
                .filter(|n| n.parent.is_none() && n.name == type_name)
                .flat_map(|n| self.instances(n.id)),
        );
        Some(found)
    }
}

//! Writing a model to a model file: every id, in a fixed order (names
//! sorted, attribute definitions in their definition's order), so that the
//! same model always gives the same text.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::held::{rating_curve_to_json, time_to_json, xy_sets_to_json};
use super::values::to_json;
use super::*;
use crate::definitions::{DefinitionRules, TypeKind};
use crate::model::{AttributeRef, Model};
use crate::objects::{attribute_id, Held, LinkVersion, Object, Owner};
use crate::units;
use crate::value::ValueType;
use crate::{MAX_NAMESPACE_DEPTH, MAX_OWNERSHIP_DEPTH};

/// Why an export was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// A model named in the request does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The model nests deeper than a model file holds (only a store
    /// written before the depth limits can): what is too deep, and where.
    #[error("{0}")]
    TooDeep(String),
    /// The file would be larger than the caller can take.
    #[error("the model file is larger than {limit} bytes")]
    TooLarge {
        /// The most bytes the caller takes.
        limit: usize,
    },
    /// Writing the JSON failed (not expected).
    #[error("cannot write the model file: {0}")]
    Write(String),
}

/// The model file of `model`: the models named in `models` (every model
/// when empty) with the model definitions they use (every model
/// definition when `models` is empty). Unknown names are reported; a file
/// of more than `max_bytes` is refused as soon as writing passes that size,
/// so a refused export never holds more than `max_bytes` of text.
pub fn export(model: &Model, models: &[String], max_bytes: usize) -> Result<String, ExportError> {
    let chosen: Vec<&Object> = if models.is_empty() {
        model.models().collect()
    } else {
        models
            .iter()
            .map(|name| {
                model
                    .model_named(name)
                    .ok_or_else(|| ExportError::NotFound(format!("no model named '{name}'")))
            })
            .collect::<Result<_, _>>()?
    };
    let mut definitions: Vec<Uuid> = if models.is_empty() {
        model
            .all_namespaces()
            .filter(|n| n.parent.is_none())
            .map(|n| n.id)
            .collect()
    } else {
        chosen.iter().map(|m| m.definition).collect()
    };
    definitions.sort_by_key(|id| model.namespace(*id).map(|n| n.name.clone()));
    definitions.dedup();
    check_depths(model, &chosen, &definitions)?;
    let file = ModelFile {
        mesh_model_file: FORMAT_VERSION,
        virtual_series: Vec::new(),
        model_definitions: definitions.iter().map(|id| namespace(model, *id)).collect(),
        models: chosen
            .iter()
            .map(|m| ModelEntry {
                id: Some(m.id),
                name: m.name.clone(),
                definition: model
                    .namespace(m.definition)
                    .map(|n| n.name.clone())
                    .unwrap_or_default(),
                objects: owned(
                    model,
                    Owner {
                        object: m.id,
                        attribute: None,
                    },
                    true,
                ),
            })
            .collect(),
    };
    let mut out = Bounded {
        bytes: Vec::new(),
        limit: max_bytes,
    };
    match serde_json::to_writer_pretty(&mut out, &file) {
        Ok(()) => String::from_utf8(out.bytes).map_err(|e| ExportError::Write(e.to_string())),
        Err(_) if out.bytes.len() >= max_bytes => Err(ExportError::TooLarge { limit: max_bytes }),
        Err(e) => Err(ExportError::Write(e.to_string())),
    }
}

/// The writing below recurses once per level of the file (ownership and
/// namespaces), so the levels are checked first: a model within the
/// limits writes a file every importer of ours reads.
fn check_depths(
    model: &Model,
    chosen: &[&Object],
    definitions: &[Uuid],
) -> Result<(), ExportError> {
    let roots: Vec<Uuid> = chosen.iter().map(|m| m.id).collect();
    if let Some((deep, level)) = model.too_deep(&roots) {
        let path = model.object_path(deep).unwrap_or_default();
        let name = model.object(deep).map_or("", |o| o.name.as_str());
        return Err(ExportError::TooDeep(format!(
            "object '{}' ({deep}, {}) is at level {level} of ownership, past the {MAX_OWNERSHIP_DEPTH} levels a model and its file hold \
             (it was made before the limit): move what lies below level {MAX_OWNERSHIP_DEPTH} higher up or delete it, then export again",
            crate::echo(name),
            crate::echo(&path)
        )));
    }
    if let Some((deep, level)) = model.too_deep_namespace(definitions) {
        return Err(ExportError::TooDeep(format!(
            "namespace {} ({deep}) is at level {level} of namespaces, past the {MAX_NAMESPACE_DEPTH} levels a model file holds \
             (it was made before the limit)",
            crate::echo(&model.namespace_path(deep))
        )));
    }
    Ok(())
}

/// A writer that takes at most `limit` bytes and fails past them, so an
/// oversized export stops early instead of building all of its text.
struct Bounded {
    bytes: Vec<u8>,
    limit: usize,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.limit {
            let room = self.limit - self.bytes.len();
            self.bytes.extend_from_slice(&buf[..room]);
            return Err(std::io::Error::other("the model file is too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn sorted<T>(mut items: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
    items.sort_by_key(|item| key(item));
    items
}

fn namespace(model: &Model, id: Uuid) -> NamespaceEntry {
    let Some(n) = model.namespace(id) else {
        return NamespaceEntry {
            id: Some(id),
            name: String::new(),
            description: String::new(),
            tags: vec![],
            namespaces: vec![],
            attribute_types: vec![],
            object_definitions: vec![],
        };
    };
    let tag_names = |tags: &[Uuid]| -> Vec<String> {
        sorted(
            tags.iter()
                .filter_map(|t| model.tag(*t))
                .map(|t| t.name.clone())
                .collect(),
            |n| n.clone(),
        )
    };
    let tags = if n.parent.is_none() {
        sorted(
            model
                .all_tags()
                .filter(|t| t.model_definition == id)
                .collect(),
            |t| t.name.clone(),
        )
        .into_iter()
        .map(|t| TagEntry {
            id: Some(t.id),
            name: t.name.clone(),
            description: t.description.clone(),
        })
        .collect()
    } else {
        vec![]
    };
    let children = sorted(
        model
            .all_namespaces()
            .filter(|c| c.parent == Some(id))
            .collect(),
        |c| c.name.clone(),
    );
    let types = sorted(
        model
            .all_attribute_types()
            .filter(|t| t.namespace == id)
            .collect(),
        |t| t.name.clone(),
    );
    let definitions = sorted(
        model
            .all_object_definitions()
            .filter(|d| d.namespace == id)
            .collect(),
        |d| d.name.clone(),
    );
    NamespaceEntry {
        id: Some(id),
        name: n.name.clone(),
        description: n.description.clone(),
        tags,
        namespaces: children.iter().map(|c| namespace(model, c.id)).collect(),
        attribute_types: types
            .iter()
            .map(|t| {
                let (kind, target) = match &t.kind {
                    TypeKind::Simple { value_type, .. } => (simple_kind(*value_type), None),
                    TypeKind::Timeseries { .. } => ("timeseries", None),
                    TypeKind::OwnershipRelation { target } => {
                        ("ownership", Some(definition_path(model, *target)))
                    }
                    TypeKind::LinkRelation { target } => {
                        ("link", Some(definition_path(model, *target)))
                    }
                    TypeKind::RatingCurve => ("rating_curve", None),
                    TypeKind::XySet { .. } => ("xy_set", None),
                };
                AttributeTypeEntry {
                    id: Some(t.id),
                    name: t.name.clone(),
                    description: t.description.clone(),
                    kind: kind.to_string(),
                    unit: unit_name(t.kind.unit()),
                    target,
                    expression: match &t.kind {
                        TypeKind::Simple { expression, .. } | TypeKind::XySet { expression } => {
                            expression.clone()
                        }
                        _ => String::new(),
                    },
                    tags: tag_names(&t.tags),
                }
            })
            .collect(),
        object_definitions: definitions
            .iter()
            .map(|d| ObjectDefinitionEntry {
                id: Some(d.id),
                name: d.name.clone(),
                description: d.description.clone(),
                tags: tag_names(&d.tags),
                attributes: d
                    .attributes
                    .iter()
                    .filter_map(|a| model.attribute_definition(*a))
                    .map(|a| attribute_definition(model, a))
                    .collect(),
            })
            .collect(),
    }
}

fn simple_kind(value_type: ValueType) -> &'static str {
    match value_type {
        ValueType::Int => "int",
        ValueType::Double => "double",
        ValueType::Bool => "bool",
        ValueType::UtcTime => "utc_time",
        _ => "string",
    }
}

fn unit_name(unit: Option<Uuid>) -> Option<String> {
    unit.and_then(units::by_id).map(|u| u.name.to_string())
}

/// The path of an object definition (or attribute type) in its model
/// definition: its namespaces below the model definition, then its name.
fn relative_path(model: &Model, namespace: Uuid, name: &str) -> String {
    let full = model.namespace_path(namespace);
    match full.split_once('/') {
        Some((_, below)) => format!("{below}/{name}"),
        None => name.to_string(),
    }
}

fn definition_path(model: &Model, id: Uuid) -> String {
    model
        .object_definition(id)
        .map(|d| relative_path(model, d.namespace, &d.name))
        .unwrap_or_default()
}

fn attribute_definition(model: &Model, a: &crate::AttributeDefinition) -> AttributeDefinitionEntry {
    let base = model.attribute_type(a.attribute_type);
    let mut entry = AttributeDefinitionEntry {
        id: Some(a.id),
        attribute_type: base
            .map(|t| relative_path(model, t.namespace, &t.name))
            .unwrap_or_default(),
        description: a.description.clone(),
        minimum_cardinality: a.minimum_cardinality,
        maximum_cardinality: a.maximum_cardinality,
        default: None,
        minimum: None,
        maximum: None,
        allowed: vec![],
        template_expression: String::new(),
        versioned: false,
        axes: vec![],
    };
    match &a.rules {
        DefinitionRules::Simple {
            default,
            minimum,
            maximum,
            allowed,
        } => {
            entry.default = default.as_ref().map(to_json);
            entry.minimum = minimum.as_ref().map(to_json);
            entry.maximum = maximum.as_ref().map(to_json);
            entry.allowed = allowed.iter().map(to_json).collect();
        }
        DefinitionRules::Timeseries {
            template_expression,
        } => entry.template_expression = template_expression.clone(),
        DefinitionRules::LinkRelation { versioned } => entry.versioned = *versioned,
        DefinitionRules::XySet {
            versioned,
            x_axis,
            y_axis,
            z_axis,
        } => {
            entry.versioned = *versioned;
            entry.axes = [Some(x_axis), Some(y_axis), z_axis.as_ref()]
                .into_iter()
                .flatten()
                .map(|axis| AxisEntry {
                    description: axis.description.clone(),
                    unit: unit_name(axis.unit),
                })
                .collect();
        }
        DefinitionRules::OwnershipRelation | DefinitionRules::RatingCurve => {}
    }
    entry
}

/// The objects `owner` owns, each with what it owns. `with_definition`:
/// whether to name their definition (objects a model owns need it).
fn owned(model: &Model, owner: Owner, with_definition: bool) -> Vec<ObjectEntry> {
    model
        .children(owner)
        .filter_map(|id| model.object(id))
        .map(|object| {
            let mut values = BTreeMap::new();
            let mut attribute_ids = BTreeMap::new();
            let mut owns = BTreeMap::new();
            for attribute in model.attributes_of(object) {
                let name = attribute.attribute_type.name.clone();
                if attribute.slot.id != attribute_id(object.id, attribute.definition.id) {
                    attribute_ids.insert(name.clone(), attribute.slot.id);
                }
                match &attribute.attribute_type.kind {
                    TypeKind::Simple { .. } => {
                        let json = if attribute.definition.is_collection() {
                            serde_json::Value::Array(
                                attribute.slot.values.iter().map(to_json).collect(),
                            )
                        } else {
                            attribute
                                .slot
                                .values
                                .first()
                                .map(to_json)
                                .unwrap_or(serde_json::Value::Null)
                        };
                        values.insert(name, json);
                    }
                    TypeKind::Timeseries { .. } => {
                        let (key, local) = attribute.slot.timeseries();
                        if key != 0 || local.is_some() {
                            let mut held = serde_json::Map::new();
                            if key != 0 {
                                held.insert("timeseries_key".into(), key.into());
                            }
                            if let Some(local) = local {
                                held.insert("local_expression".into(), local.into());
                            }
                            values.insert(name, serde_json::Value::Object(held));
                        }
                    }
                    TypeKind::OwnershipRelation { .. } => {
                        let children = owned(
                            model,
                            Owner {
                                object: object.id,
                                attribute: Some(attribute.definition.id),
                            },
                            false,
                        );
                        if !children.is_empty() {
                            owns.insert(name, children);
                        }
                    }
                    TypeKind::LinkRelation { .. } => {
                        if let Some(json) = links_to_json(model, &attribute) {
                            values.insert(name, json);
                        }
                    }
                    TypeKind::XySet { .. } => {
                        if let Some(Held::XySets(sets)) = attribute.slot.held.as_deref() {
                            let versioned = matches!(
                                attribute.definition.rules,
                                DefinitionRules::XySet {
                                    versioned: true,
                                    ..
                                }
                            );
                            values.insert(name, xy_sets_to_json(sets, versioned));
                        }
                    }
                    TypeKind::RatingCurve => {
                        if let Some(Held::RatingCurve(versions)) = attribute.slot.held.as_deref() {
                            values.insert(name, rating_curve_to_json(versions));
                        }
                    }
                }
            }
            ObjectEntry {
                id: Some(object.id),
                name: object.name.clone(),
                definition: with_definition.then(|| definition_path(model, object.definition)),
                values,
                attribute_ids,
                owns,
            }
        })
        .collect()
}

/// A link attribute's targets as the file holds them (by path), `None`
/// when it points at nothing.
fn links_to_json(model: &Model, attribute: &AttributeRef<'_>) -> Option<serde_json::Value> {
    let path = |id: Uuid| serde_json::Value::from(model.object_path(id).unwrap_or_default());
    let collection = attribute.definition.is_collection();
    match attribute.slot.held.as_deref()? {
        Held::Links(targets) if collection => Some(targets.iter().map(|t| path(*t)).collect()),
        Held::Links(targets) => targets.first().map(|t| path(*t)),
        Held::VersionedLinks(entries) => {
            let entry = |versions: &Vec<LinkVersion>| -> serde_json::Value {
                versions
                    .iter()
                    .map(|v| {
                        let mut version = serde_json::Map::new();
                        version.insert("valid_from".into(), time_to_json(v.valid_from).into());
                        if let Some(target) = v.target {
                            version.insert("target".into(), path(target));
                        }
                        serde_json::Value::Object(version)
                    })
                    .collect()
            };
            if collection {
                Some(entries.iter().map(entry).collect())
            } else {
                entries.first().map(entry)
            }
        }
        _ => None,
    }
}

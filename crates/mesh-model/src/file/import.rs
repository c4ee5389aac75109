//! Reading a model file into the changes that make it: each entry is
//! checked on a scratch copy of the model as it is made, so an error names
//! the entry, and the changes, applied in one session, make all of the
//! file or (refused) none of it.

use uuid::Uuid;

use super::held::{
    links_from_json, rating_curve_from_json, time_from_json, versioned_links_from_json,
    xy_sets_from_json, LinkVersionEntry, TargetName,
};
use super::values::from_json;
use super::*;
use crate::change::{Change, Mode};
use crate::curves::Interval;
use crate::definitions::{Axis, DefinitionRules, TypeKind};
use crate::model::Model;
use crate::objects::LinkVersion;
use crate::objects::Owner;
use crate::records::Dirty;
use crate::units;
use crate::value::ValueType;
use crate::{MAX_NAMESPACE_DEPTH, MAX_OWNERSHIP_DEPTH};

/// What an import makes: the changes, in order, and what they add up to.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    /// The changes to apply, in order.
    pub changes: Vec<Change>,
    /// Model definitions in the file.
    pub model_definitions: usize,
    /// Models in the file.
    pub models: usize,
    /// Objects in the file (models not counted).
    pub objects: usize,
    /// Virtual series the file creates, for the server to make: the model
    /// does not hold series.
    pub virtual_series: Vec<super::VirtualSeriesEntry>,
}

/// Reads `text` (the file `file_name`) into the changes that make it on
/// top of `model`; `new_id` makes the ids the file does not give.
pub fn import(
    model: &Model,
    file_name: &str,
    text: &str,
    new_id: NewId<'_>,
) -> Result<Imported, FileError> {
    // serde_json's own bound on nesting (128 levels) stays: it keeps the
    // reading's recursion short, and a file within the model's depth limits
    // nests at most 105 levels (see `crate::depth`).
    let file: ModelFile = serde_json::from_str(text).map_err(|e| {
        let mut reason = e.to_string();
        if reason.starts_with("recursion limit exceeded") {
            reason.push_str(&format!(
                ": the file nests deeper than a model file can (a model holds at most \
                 {MAX_OWNERSHIP_DEPTH} levels of ownership and {MAX_NAMESPACE_DEPTH} levels of namespaces)"
            ));
        }
        FileError {
            file: file_name.to_string(),
            place: format!("line {}, column {}", e.line(), e.column()),
            reason,
        }
    })?;
    let mut importer = Importer {
        file: file_name,
        scratch: model.clone(),
        dirty: Dirty::default(),
        new_id,
        out: Imported::default(),
        links: Vec::new(),
    };
    if file.mesh_model_file != FORMAT_VERSION {
        return Err(importer.error(
            "mesh_model_file",
            format!(
                "format version {} is not {FORMAT_VERSION}, the one this server reads",
                file.mesh_model_file
            ),
        ));
    }
    importer.out.model_definitions = file.model_definitions.len();
    importer.out.models = file.models.len();
    for (i, definition) in file.model_definitions.iter().enumerate() {
        importer.model_definition(&format!("model_definitions[{i}]"), definition)?;
    }
    for (i, entry) in file.models.iter().enumerate() {
        importer.model(&format!("models[{i}]"), entry)?;
    }
    // Links last: their targets may come anywhere in the file.
    for (place, attribute, links) in std::mem::take(&mut importer.links) {
        let change = importer.resolve_links(&place, attribute, links)?;
        importer.apply(&place, change)?;
    }
    importer.out.virtual_series = file.virtual_series;
    Ok(importer.out)
}

struct Importer<'a, 'b> {
    file: &'a str,
    scratch: Model,
    dirty: Dirty,
    new_id: NewId<'b>,
    out: Imported,
    /// Link values, set once every object exists: where each is in the
    /// file, its attribute, and its targets by name.
    links: Vec<(String, Uuid, PendingLinks)>,
}

/// A link attribute's value from the file, targets not yet resolved.
enum PendingLinks {
    Plain(Vec<TargetName>),
    Versioned {
        one_to_many: bool,
        entries: Vec<Vec<LinkVersionEntry>>,
    },
}

impl Importer<'_, '_> {
    fn error(&self, place: &str, reason: impl Into<String>) -> FileError {
        FileError {
            file: self.file.to_string(),
            place: place.to_string(),
            reason: reason.into(),
        }
    }

    fn id(&mut self, given: Option<Uuid>) -> Uuid {
        given.unwrap_or_else(|| (self.new_id)())
    }

    fn apply(&mut self, place: &str, change: Change) -> Result<(), FileError> {
        self.scratch
            .apply(&change, Mode::Request, &mut self.dirty)
            .map_err(|e| self.error(place, e.to_string()))?;
        self.out.changes.push(change);
        Ok(())
    }

    fn model_definition(&mut self, place: &str, entry: &NamespaceEntry) -> Result<(), FileError> {
        let root = self.id(entry.id);
        self.apply(
            place,
            Change::CreateNamespace {
                id: root,
                parent: None,
                name: entry.name.clone(),
                description: entry.description.clone(),
            },
        )?;
        for (i, tag) in entry.tags.iter().enumerate() {
            let id = self.id(tag.id);
            self.apply(
                &format!("{place}.tags[{i}]"),
                Change::CreateTag {
                    id,
                    model_definition: root,
                    name: tag.name.clone(),
                    description: tag.description.clone(),
                },
            )?;
        }
        // Namespaces and object definitions first, then attribute types
        // (which may target any object definition), then the attribute
        // definitions (which may use any type).
        let mut spaces = Vec::new();
        self.namespaces(place, entry, root, &mut spaces)?;
        for (entry_place, entry, namespace) in &spaces {
            for (i, t) in entry.attribute_types.iter().enumerate() {
                self.attribute_type(
                    &format!("{entry_place}.attribute_types[{i}]"),
                    t,
                    root,
                    *namespace,
                )?;
            }
        }
        for (entry_place, entry, namespace) in &spaces {
            for (i, d) in entry.object_definitions.iter().enumerate() {
                let place = format!("{entry_place}.object_definitions[{i}]");
                let owner =
                    self.object_definition_named(&place, root, &d.name, Some(*namespace))?;
                for (j, a) in d.attributes.iter().enumerate() {
                    self.attribute_definition(&format!("{place}.attributes[{j}]"), a, root, owner)?;
                }
            }
        }
        Ok(())
    }

    /// Creates the namespace tree under `namespace` with its object
    /// definitions, and lists each namespace entry for the later passes.
    fn namespaces<'e>(
        &mut self,
        place: &str,
        entry: &'e NamespaceEntry,
        namespace: Uuid,
        spaces: &mut Vec<(String, &'e NamespaceEntry, Uuid)>,
    ) -> Result<(), FileError> {
        let model_definition = self
            .scratch
            .model_definition_of(namespace)
            .unwrap_or(namespace);
        for (i, d) in entry.object_definitions.iter().enumerate() {
            let d_place = format!("{place}.object_definitions[{i}]");
            let tags = self.tags(&d_place, model_definition, &d.tags)?;
            let id = self.id(d.id);
            self.apply(
                &d_place,
                Change::CreateObjectDefinition {
                    id,
                    namespace,
                    name: d.name.clone(),
                    description: d.description.clone(),
                    tags,
                },
            )?;
        }
        spaces.push((place.to_string(), entry, namespace));
        for (i, child) in entry.namespaces.iter().enumerate() {
            let child_place = format!("{place}.namespaces[{i}]");
            let id = self.id(child.id);
            self.apply(
                &child_place,
                Change::CreateNamespace {
                    id,
                    parent: Some(namespace),
                    name: child.name.clone(),
                    description: child.description.clone(),
                },
            )?;
            self.namespaces(&child_place, child, id, spaces)?;
        }
        Ok(())
    }

    fn tags(
        &self,
        place: &str,
        model_definition: Uuid,
        names: &[String],
    ) -> Result<Vec<Uuid>, FileError> {
        names
            .iter()
            .map(|name| {
                self.scratch
                    .all_tags()
                    .find(|t| t.model_definition == model_definition && t.name == *name)
                    .map(|t| t.id)
                    .ok_or_else(|| {
                        self.error(
                            place,
                            format!("no tag named '{name}' in this model definition"),
                        )
                    })
            })
            .collect()
    }

    fn unit(&self, place: &str, name: &Option<String>) -> Result<Option<Uuid>, FileError> {
        name.as_ref()
            .map(|name| {
                units::by_name(name).map(|u| u.id).ok_or_else(|| {
                    self.error(place, format!("no unit of measurement named '{name}'"))
                })
            })
            .transpose()
    }

    fn attribute_type(
        &mut self,
        place: &str,
        entry: &AttributeTypeEntry,
        root: Uuid,
        namespace: Uuid,
    ) -> Result<(), FileError> {
        let unit = self.unit(place, &entry.unit)?;
        let target = |this: &Self| -> Result<Uuid, FileError> {
            let path = entry
                .target
                .as_deref()
                .ok_or_else(|| this.error(place, "a relation type needs a `target`"))?;
            this.object_definition_at(place, root, path)
        };
        let simple = |value_type| TypeKind::Simple {
            value_type,
            unit,
            expression: entry.expression.clone(),
        };
        let kind = match entry.kind.as_str() {
            "int" => simple(ValueType::Int),
            "double" => simple(ValueType::Double),
            "bool" => simple(ValueType::Bool),
            "string" => simple(ValueType::String),
            "utc_time" => simple(ValueType::UtcTime),
            "timeseries" => TypeKind::Timeseries { unit },
            "ownership" => TypeKind::OwnershipRelation { target: target(self)? },
            "link" => TypeKind::LinkRelation { target: target(self)? },
            "rating_curve" => TypeKind::RatingCurve,
            "xy_set" => TypeKind::XySet { expression: entry.expression.clone() },
            other => {
                return Err(self.error(
                    place,
                    format!("kind '{other}' is not one of int, double, bool, string, utc_time, timeseries, ownership, link, rating_curve, xy_set"),
                ))
            }
        };
        let tags = self.tags(place, root, &entry.tags)?;
        let id = self.id(entry.id);
        self.apply(
            place,
            Change::CreateAttributeType {
                id,
                namespace,
                name: entry.name.clone(),
                description: entry.description.clone(),
                tags,
                kind,
            },
        )
    }

    fn attribute_definition(
        &mut self,
        place: &str,
        entry: &AttributeDefinitionEntry,
        root: Uuid,
        owner: Uuid,
    ) -> Result<(), FileError> {
        let base = self.attribute_type_at(place, root, &entry.attribute_type)?;
        let kind = self
            .scratch
            .attribute_type(base)
            .map(|t| t.kind.clone())
            .ok_or_else(|| self.error(place, "attribute type vanished"))?;
        let value = |json: &Option<serde_json::Value>,
                     what: &str|
         -> Result<Option<crate::Value>, FileError> {
            let TypeKind::Simple { value_type, .. } = &kind else {
                return match json {
                    None => Ok(None),
                    Some(_) => {
                        Err(self.error(place, format!("only simple attributes have a {what}")))
                    }
                };
            };
            json.as_ref()
                .map(|j| {
                    from_json(*value_type, j).map_err(|e| self.error(place, format!("{what}: {e}")))
                })
                .transpose()
        };
        let axis = |i: usize| -> Result<Option<Axis>, FileError> {
            entry
                .axes
                .get(i)
                .map(|a| {
                    Ok(Axis {
                        description: a.description.clone(),
                        unit: self.unit(place, &a.unit)?,
                    })
                })
                .transpose()
        };
        let rules = match &kind {
            TypeKind::Simple { .. } => DefinitionRules::Simple {
                default: value(&entry.default, "default")?,
                minimum: value(&entry.minimum, "minimum")?,
                maximum: value(&entry.maximum, "maximum")?,
                allowed: entry
                    .allowed
                    .iter()
                    .map(|j| {
                        value(&Some(j.clone()), "allowed value")
                            .map(|v| v.unwrap_or(crate::Value::Int(0)))
                    })
                    .collect::<Result<_, _>>()?,
            },
            TypeKind::Timeseries { .. } => DefinitionRules::Timeseries {
                template_expression: entry.template_expression.clone(),
            },
            TypeKind::OwnershipRelation { .. } => DefinitionRules::OwnershipRelation,
            TypeKind::LinkRelation { .. } => DefinitionRules::LinkRelation {
                versioned: entry.versioned,
            },
            TypeKind::RatingCurve => DefinitionRules::RatingCurve,
            TypeKind::XySet { .. } => DefinitionRules::XySet {
                versioned: entry.versioned,
                x_axis: axis(0)?.unwrap_or_default(),
                y_axis: axis(1)?.unwrap_or_default(),
                z_axis: axis(2)?,
            },
        };
        let id = self.id(entry.id);
        self.apply(
            place,
            Change::AddAttributeDefinition {
                id,
                object_definition: owner,
                attribute_type: base,
                description: entry.description.clone(),
                minimum_cardinality: entry.minimum_cardinality,
                maximum_cardinality: entry.maximum_cardinality,
                rules,
            },
        )
    }

    /// The namespace at `parts` below model definition `root`.
    fn namespace_at(&self, root: Uuid, parts: &[&str]) -> Option<Uuid> {
        let mut current = root;
        for part in parts {
            current = self
                .scratch
                .all_namespaces()
                .find(|n| n.parent == Some(current) && n.name == *part)?
                .id;
        }
        Some(current)
    }

    fn object_definition_named(
        &self,
        place: &str,
        root: Uuid,
        name: &str,
        namespace: Option<Uuid>,
    ) -> Result<Uuid, FileError> {
        self.scratch
            .all_object_definitions()
            .find(|d| {
                d.name == name
                    && namespace.is_none_or(|n| d.namespace == n)
                    && self.scratch.model_definition_of(d.namespace) == Some(root)
            })
            .map(|d| d.id)
            .ok_or_else(|| self.error(place, format!("no object definition '{name}'")))
    }

    /// An object definition by its path in model definition `root`.
    fn object_definition_at(&self, place: &str, root: Uuid, path: &str) -> Result<Uuid, FileError> {
        let parts: Vec<&str> = path.split('/').collect();
        let (name, spaces) = parts
            .split_last()
            .ok_or_else(|| self.error(place, "an empty object definition path"))?;
        let namespace = self
            .namespace_at(root, spaces)
            .ok_or_else(|| self.error(place, format!("no namespace for '{path}'")))?;
        self.object_definition_named(place, root, name, Some(namespace))
            .map_err(|_| {
                self.error(
                    place,
                    format!("no object definition at '{path}' in this model definition"),
                )
            })
    }

    /// An attribute type by its path in model definition `root`.
    fn attribute_type_at(&self, place: &str, root: Uuid, path: &str) -> Result<Uuid, FileError> {
        let parts: Vec<&str> = path.split('/').collect();
        let missing = || {
            self.error(
                place,
                format!("no attribute type at '{path}' in this model definition"),
            )
        };
        let (name, spaces) = parts.split_last().ok_or_else(missing)?;
        let namespace = self.namespace_at(root, spaces).ok_or_else(missing)?;
        self.scratch
            .all_attribute_types()
            .find(|t| t.namespace == namespace && t.name == *name)
            .map(|t| t.id)
            .ok_or_else(missing)
    }

    fn model(&mut self, place: &str, entry: &ModelEntry) -> Result<(), FileError> {
        let root = self
            .scratch
            .all_namespaces()
            .find(|n| n.parent.is_none() && n.name == entry.definition)
            .map(|n| n.id)
            .ok_or_else(|| {
                self.error(
                    place,
                    format!("no model definition named '{}'", entry.definition),
                )
            })?;
        let id = self.id(entry.id);
        self.apply(
            place,
            Change::CreateModel {
                id,
                name: entry.name.clone(),
                model_definition: root,
            },
        )?;
        for (i, object) in entry.objects.iter().enumerate() {
            let owner = Owner {
                object: id,
                attribute: None,
            };
            self.object(&format!("{place}.objects[{i}]"), object, root, owner)?;
        }
        Ok(())
    }

    fn object(
        &mut self,
        place: &str,
        entry: &ObjectEntry,
        root: Uuid,
        owner: Owner,
    ) -> Result<(), FileError> {
        let definition = entry
            .definition
            .as_deref()
            .map(|path| self.object_definition_at(place, root, path))
            .transpose()?;
        let id = self.id(entry.id);
        // Attribute ids are given by attribute name; the definition tells
        // which attribute definition has that name.
        let defined = match definition {
            Some(d) => Some(d),
            None => owner
                .attribute
                .and_then(|a| self.scratch.attribute_definition(a))
                .and_then(|a| self.scratch.attribute_type(a.attribute_type))
                .and_then(|t| t.kind.target()),
        };
        let mut attribute_ids = Vec::new();
        for (name, attribute) in &entry.attribute_ids {
            let member = defined.and_then(|d| self.member(d, name)).ok_or_else(|| {
                self.error(
                    &format!("{place}.attribute_ids.{name}"),
                    format!("the object's definition has no attribute '{name}'"),
                )
            })?;
            attribute_ids.push((member, *attribute));
        }
        self.apply(
            place,
            Change::CreateObject {
                id,
                name: entry.name.clone(),
                owner,
                definition,
                attribute_ids,
            },
        )?;
        self.out.objects += 1;
        for (name, json) in &entry.values {
            let value_place = format!("{place}.values.{name}");
            let (attribute, value_type, collection) = {
                let object = self
                    .scratch
                    .object(id)
                    .ok_or_else(|| self.error(place, "object vanished"))?;
                let found = self
                    .scratch
                    .attributes_of(object)
                    .find(|a| a.attribute_type.name == *name)
                    .ok_or_else(|| {
                        self.error(
                            &value_place,
                            format!("the object has no attribute '{name}'"),
                        )
                    })?;
                (
                    found.slot.id,
                    found.attribute_type.kind.value_type(),
                    found.definition.is_collection(),
                )
            };
            if let Some(change) = self
                .held_change(attribute, json)
                .map_err(|e| self.error(&value_place, e))?
            {
                self.apply(&value_place, change)?;
                continue;
            }
            if value_type == ValueType::LinkRelation {
                let pending = self
                    .pending_links(attribute, json, collection)
                    .map_err(|e| self.error(&value_place, e))?;
                self.links.push((value_place, attribute, pending));
                continue;
            }
            let values = match (collection, json) {
                (true, serde_json::Value::Array(items)) => items
                    .iter()
                    .map(|j| from_json(value_type, j))
                    .collect::<Result<Vec<_>, _>>(),
                (true, _) => Err(format!(
                    "attribute '{name}' holds a collection: give a JSON array"
                )),
                (false, j) => from_json(value_type, j).map(|v| vec![v]),
            }
            .map_err(|e| self.error(&value_place, e))?;
            self.apply(
                &value_place,
                Change::SetSimpleAttribute {
                    attribute,
                    values,
                    as_collection: collection,
                },
            )?;
        }
        for (attribute, children) in &entry.owns {
            let owns_place = format!("{place}.owns.{attribute}");
            let definition = self
                .scratch
                .object(id)
                .and_then(|o| self.scratch.object_definition(o.definition))
                .and_then(|d| self.member(d.id, attribute))
                .ok_or_else(|| {
                    self.error(
                        &owns_place,
                        format!("the object has no attribute '{attribute}'"),
                    )
                })?;
            for (i, child) in children.iter().enumerate() {
                let owner = Owner {
                    object: id,
                    attribute: Some(definition),
                };
                self.object(&format!("{owns_place}[{i}]"), child, root, owner)?;
            }
        }
        Ok(())
    }

    /// The change that sets a time series, XY set or rating curve
    /// attribute's value; `None` for other kinds.
    fn held_change(
        &self,
        attribute: Uuid,
        json: &serde_json::Value,
    ) -> Result<Option<Change>, String> {
        let found = self
            .scratch
            .attribute(attribute)
            .ok_or_else(|| "attribute vanished".to_string())?;
        Ok(Some(
            match (&found.attribute_type.kind, &found.definition.rules) {
                (TypeKind::Timeseries { .. }, _) => timeseries_change(attribute, json)?,
                (TypeKind::XySet { .. }, DefinitionRules::XySet { versioned, .. }) => {
                    Change::SetXySets {
                        attribute,
                        interval: versioned.then_some(Interval::ALL),
                        sets: xy_sets_from_json(json, *versioned)?,
                    }
                }
                (TypeKind::RatingCurve, _) => Change::SetRatingCurve {
                    attribute,
                    interval: Interval::ALL,
                    versions: rating_curve_from_json(json)?,
                },
                _ => return Ok(None),
            },
        ))
    }

    /// A link attribute's value, its targets still names.
    fn pending_links(
        &self,
        attribute: Uuid,
        json: &serde_json::Value,
        collection: bool,
    ) -> Result<PendingLinks, String> {
        let versioned = self.scratch.attribute(attribute).is_some_and(|a| {
            matches!(
                a.definition.rules,
                DefinitionRules::LinkRelation { versioned: true }
            )
        });
        Ok(if versioned {
            PendingLinks::Versioned {
                one_to_many: collection,
                entries: versioned_links_from_json(json, collection)?,
            }
        } else {
            PendingLinks::Plain(links_from_json(json, collection)?)
        })
    }

    /// The change that sets a link attribute, its targets found by path
    /// or id in the model as imported so far.
    fn resolve_links(
        &self,
        place: &str,
        attribute: Uuid,
        links: PendingLinks,
    ) -> Result<Change, FileError> {
        let target = |name: &str| -> Result<Uuid, FileError> {
            if let Ok(id) = Uuid::parse_str(name) {
                return Ok(id);
            }
            match self.scratch.resolve_path(name) {
                Ok(crate::paths::PathTarget::Object(id)) => Ok(id),
                _ => Err(self.error(place, format!("no object has the path or id '{name}'"))),
            }
        };
        Ok(match links {
            PendingLinks::Plain(names) => Change::SetLinks {
                attribute,
                targets: names.iter().map(|n| target(n)).collect::<Result<_, _>>()?,
                append: false,
            },
            PendingLinks::Versioned {
                one_to_many,
                entries,
            } => Change::SetVersionedLinks {
                attribute,
                interval: (!one_to_many).then_some(Interval::ALL),
                entries: entries
                    .iter()
                    .map(|entry| {
                        entry
                            .iter()
                            .map(|v| {
                                Ok(LinkVersion {
                                    target: v.target.as_deref().map(target).transpose()?,
                                    valid_from: time_from_json(&v.valid_from)
                                        .map_err(|e| self.error(place, e))?,
                                })
                            })
                            .collect::<Result<Vec<_>, FileError>>()
                    })
                    .collect::<Result<_, _>>()?,
            },
        })
    }

    /// The attribute definition named `name` of object definition
    /// `definition`.
    fn member(&self, definition: Uuid, name: &str) -> Option<Uuid> {
        let definition = self.scratch.object_definition(definition)?;
        definition.attributes.iter().copied().find(|a| {
            self.scratch
                .attribute_definition(*a)
                .is_some_and(|d| self.scratch.attribute_definition_name(d) == name)
        })
    }
}

/// A time series attribute's value in the file: `{"timeseries_key": K,
/// "local_expression": "..."}`, either part optional.
fn timeseries_change(attribute: Uuid, json: &serde_json::Value) -> Result<Change, String> {
    let serde_json::Value::Object(map) = json else {
        return Err(format!(
            "{json} is not a time series attribute's value: give {{\"timeseries_key\": K, \"local_expression\": \"…\"}}"
        ));
    };
    if let Some(unknown) = map
        .keys()
        .find(|k| *k != "timeseries_key" && *k != "local_expression")
    {
        return Err(format!(
            "unknown field `{unknown}` (expected timeseries_key, local_expression)"
        ));
    }
    let key = map
        .get("timeseries_key")
        .map(|k| {
            k.as_i64()
                .filter(|k| *k >= 0)
                .ok_or_else(|| format!("timeseries_key {k} is not a key"))
        })
        .transpose()?;
    let local_expression = map
        .get("local_expression")
        .map(|e| {
            e.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("local_expression {e} is not text"))
        })
        .transpose()?;
    Ok(Change::SetTimeseriesAttribute {
        attribute,
        key,
        local_expression,
    })
}

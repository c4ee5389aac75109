//! The model file: a whole model definition and models with their objects
//! and attribute values, as JSON a person can read, edit and keep under
//! version control. `docs/model-file.md` describes the format; this module
//! defines it ([`ModelFile`]), reads it into changes ([`import`]) and
//! writes a model back to it ([`export`]).
//!
//! Entities refer to each other by name, as a person would: an attribute
//! type names the object definition it targets by its path in the model
//! definition (`Plant`, `Thermal/Plant`), an attribute definition names its
//! attribute type the same way, a model names its model definition. Every
//! entity may carry its `id`: an import keeps it, and makes a new one where
//! there is none. An export writes every id, in a fixed order, so that
//! exporting what was imported gives the same text.

mod export;
mod held;
mod import;
mod values;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use export::{export, ExportError};
pub use import::{import, Imported};

/// The format's version, written first in every file.
pub const FORMAT_VERSION: u32 = 1;

/// A model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// The format's version: [`FORMAT_VERSION`].
    pub mesh_model_file: u32,
    /// The model definitions.
    #[serde(default)]
    pub model_definitions: Vec<NamespaceEntry>,
    /// The models.
    #[serde(default)]
    pub models: Vec<ModelEntry>,
    /// Virtual time series the file creates (mesh-rs's own section: the
    /// public API has no call that creates them). Exports leave it out:
    /// series are resources, not part of the model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub virtual_series: Vec<VirtualSeriesEntry>,
}

/// A virtual time series: a resource whose points its expression
/// computes on read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VirtualSeriesEntry {
    /// Catalogue path, beginning and ending with `/`.
    pub path: String,
    /// Name within the catalogue.
    pub name: String,
    /// The expression, a program of the calculation language.
    pub expression: String,
    /// Resolution, as the API spells it (`HOUR`, `BREAKPOINT`, …).
    pub resolution: String,
    /// Curve type, as the API spells it (`PIECEWISELINEAR`, …).
    pub curve_type: String,
    /// Unit of measurement, by name (`MW`).
    pub unit: String,
    /// IANA time zone of DAY and coarser resolutions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// A namespace; at the top of the file, a model definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceEntry {
    /// Its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// Its name.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Tags (model definitions only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<TagEntry>,
    /// Namespaces inside it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<NamespaceEntry>,
    /// Attribute types in it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attribute_types: Vec<AttributeTypeEntry>,
    /// Object definitions in it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_definitions: Vec<ObjectDefinitionEntry>,
}

/// A tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagEntry {
    /// Its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// Its name.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// An attribute type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeTypeEntry {
    /// Its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// Its name.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// What its attributes hold: `int`, `double`, `bool`, `string`,
    /// `utc_time`, `timeseries`, `ownership`, `link`, `rating_curve` or
    /// `xy_set`.
    pub kind: String,
    /// The unit's name (`MW`), for numbers and time series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// For relations: the target object definition's path in the model
    /// definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// An expression, kept as given (simple and XY set types).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub expression: String,
    /// Names of its tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// An object definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectDefinitionEntry {
    /// Its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// Its name.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Names of its tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Its attribute definitions, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeDefinitionEntry>,
}

/// An attribute definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeDefinitionEntry {
    /// Its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// Its attribute type's path in the model definition; the attribute
    /// has the type's name.
    #[serde(rename = "type")]
    pub attribute_type: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Fewest values (default 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub minimum_cardinality: i64,
    /// Most values (default 1: singular; 0: no limit).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub maximum_cardinality: i64,
    /// The value of a new attribute (simple attributes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// The smallest value allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<serde_json::Value>,
    /// The largest value allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<serde_json::Value>,
    /// The only values allowed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<serde_json::Value>,
    /// The expression of a new time series attribute.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub template_expression: String,
    /// Whether links or XY sets hold from a time on.
    #[serde(default, skip_serializing_if = "is_false")]
    pub versioned: bool,
    /// XY set axes: X, Y and optionally Z.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub axes: Vec<AxisEntry>,
}

/// One axis of an XY set definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisEntry {
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The unit's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// A model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    /// Its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// Its name.
    pub name: String,
    /// Its model definition's name.
    pub definition: String,
    /// The objects it owns directly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<ObjectEntry>,
}

/// An object, with the objects it owns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectEntry {
    /// Its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// Its name.
    pub name: String,
    /// Its object definition's path in the model definition; may be left
    /// out for an object owned through an attribute (which gives it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    /// Values of its simple attributes, by attribute name (attributes left
    /// out keep their defaults), and of its time series attributes
    /// (`{"timeseries_key": K, "local_expression": "…"}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, serde_json::Value>,
    /// Ids of its attributes, by attribute name, where they are kept.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attribute_ids: BTreeMap<String, Uuid>,
    /// The objects it owns, by ownership attribute name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub owns: BTreeMap<String, Vec<ObjectEntry>>,
}

fn one() -> i64 {
    1
}

fn is_one(value: &i64) -> bool {
    *value == 1
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Why a model file was refused: where in it, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {place}: {reason}")]
pub struct FileError {
    /// The file's name, as given.
    pub file: String,
    /// Where: `line L, column C` for text that is not a model file, or the
    /// path of the entry (`models[0].objects[2].owns.Plants[1]`).
    pub place: String,
    /// What is wrong.
    pub reason: String,
}

/// New ids where the file has none: the caller's generator, so that tests
/// can make them repeatable.
pub type NewId<'a> = &'a mut dyn FnMut() -> Uuid;

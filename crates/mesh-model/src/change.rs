//! Changes to the model. Each request that changes the model becomes one
//! [`Change`], with every id it creates already chosen, so that the same
//! change applied again (when a session's changes are replayed on a model
//! that other sessions have changed since) makes the same entities.

use uuid::Uuid;

use crate::curves::{Interval, RatingCurveVersion, XySet};
use crate::definitions::{DefinitionRules, TypeKind};
use crate::objects::{LinkVersion, Owner};
use crate::value::Value;

/// One change to the model.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A new namespace; a model definition when `parent` is `None`.
    CreateNamespace {
        /// The new namespace's id.
        id: Uuid,
        /// The namespace to hold it.
        parent: Option<Uuid>,
        /// Its name.
        name: String,
        /// Free text.
        description: String,
    },
    /// New name or description of a namespace.
    UpdateNamespace {
        /// The namespace.
        id: Uuid,
        /// Its new name, if it changes.
        name: Option<String>,
        /// Its new description, if it changes.
        description: Option<String>,
    },
    /// Removes an empty namespace.
    DeleteNamespace {
        /// The namespace.
        id: Uuid,
    },
    /// A new tag in a model definition.
    CreateTag {
        /// The new tag's id.
        id: Uuid,
        /// The model definition to hold it.
        model_definition: Uuid,
        /// Its name.
        name: String,
        /// Free text.
        description: String,
    },
    /// New name or description of a tag.
    UpdateTag {
        /// The tag.
        id: Uuid,
        /// Its new name, if it changes.
        name: Option<String>,
        /// Its new description, if it changes.
        description: Option<String>,
    },
    /// Removes a tag; one in use only when its usages go too.
    DeleteTag {
        /// The tag.
        id: Uuid,
        /// Whether to take the tag off everything that has it.
        delete_usages: bool,
    },
    /// A new object definition.
    CreateObjectDefinition {
        /// The new definition's id.
        id: Uuid,
        /// The namespace to hold it.
        namespace: Uuid,
        /// Its name.
        name: String,
        /// Free text.
        description: String,
        /// Its tags.
        tags: Vec<Uuid>,
    },
    /// Changes an object definition's own fields.
    UpdateObjectDefinition {
        /// The definition.
        id: Uuid,
        /// New name.
        name: Option<String>,
        /// New description.
        description: Option<String>,
        /// New tags.
        tags: Option<Vec<Uuid>>,
        /// New namespace.
        namespace: Option<Uuid>,
    },
    /// Removes an object definition without instances, with its attribute
    /// definitions.
    DeleteObjectDefinition {
        /// The definition.
        id: Uuid,
    },
    /// A new attribute type.
    CreateAttributeType {
        /// The new type's id.
        id: Uuid,
        /// The namespace to hold it.
        namespace: Uuid,
        /// Its name.
        name: String,
        /// Free text.
        description: String,
        /// Its tags.
        tags: Vec<Uuid>,
        /// What its attributes hold.
        kind: TypeKind,
    },
    /// Changes an attribute type's fields.
    UpdateAttributeType {
        /// The type.
        id: Uuid,
        /// New name.
        name: Option<String>,
        /// New description.
        description: Option<String>,
        /// New tags.
        tags: Option<Vec<Uuid>>,
        /// New namespace.
        namespace: Option<Uuid>,
        /// New unit (simple and time series types).
        unit: Option<Option<Uuid>>,
        /// New expression (simple and XY set types).
        expression: Option<String>,
    },
    /// Removes an attribute type no attribute definition uses.
    DeleteAttributeType {
        /// The type.
        id: Uuid,
    },
    /// A new attribute definition on an object definition; its instances
    /// gain the attribute.
    AddAttributeDefinition {
        /// The new definition's id.
        id: Uuid,
        /// The object definition it joins.
        object_definition: Uuid,
        /// The attribute type it is based on.
        attribute_type: Uuid,
        /// Free text.
        description: String,
        /// Fewest values.
        minimum_cardinality: i64,
        /// Most values (1: singular).
        maximum_cardinality: i64,
        /// What is particular to its kind.
        rules: DefinitionRules,
    },
    /// Changes an attribute definition.
    UpdateAttributeDefinition {
        /// The definition.
        id: Uuid,
        /// New description.
        description: Option<String>,
        /// New cardinality (minimum, maximum).
        cardinality: Option<(i64, i64)>,
        /// New rules of its kind, whole.
        rules: Option<DefinitionRules>,
    },
    /// Removes an attribute definition.
    DeleteAttributeDefinition {
        /// The definition.
        id: Uuid,
    },
    /// Replaces the extended metadata of an entity.
    SetMetadata {
        /// The entity (a definition, a namespace, an object).
        id: Uuid,
        /// Category and JSON text of each entry.
        entries: Vec<(String, String)>,
    },
    /// A new model.
    CreateModel {
        /// The new model's id.
        id: Uuid,
        /// Its name.
        name: String,
        /// Its model definition.
        model_definition: Uuid,
    },
    /// A new object.
    CreateObject {
        /// The new object's id.
        id: Uuid,
        /// Its name.
        name: String,
        /// Its owner.
        owner: Owner,
        /// Its object definition; when `None`, the one the owning
        /// attribute's type targets.
        definition: Option<Uuid>,
        /// Ids for its attributes, by attribute definition, where they are
        /// given (an imported model keeps its ids); the others are made.
        attribute_ids: Vec<(Uuid, Uuid)>,
    },
    /// Renames or moves an object.
    UpdateObject {
        /// The object.
        id: Uuid,
        /// New name.
        name: Option<String>,
        /// New owner.
        owner: Option<Owner>,
    },
    /// Removes an object; one that owns objects only with them.
    DeleteObject {
        /// The object.
        id: Uuid,
        /// Whether to remove what it owns too.
        recursive: bool,
    },
    /// Connects a time series attribute to a physical series and/or sets
    /// its own expression.
    SetTimeseriesAttribute {
        /// The attribute.
        attribute: Uuid,
        /// The new series key (0 disconnects), when it changes; the caller
        /// has checked that the series exists.
        key: Option<i64>,
        /// The new local expression, when it changes.
        local_expression: Option<String>,
    },
    /// Sets the values of a simple attribute.
    SetSimpleAttribute {
        /// The attribute.
        attribute: Uuid,
        /// Its values: exactly one for a singular attribute.
        values: Vec<Value>,
        /// Whether they were given as a collection (rather than as one
        /// value), which must match the attribute.
        as_collection: bool,
    },
    /// Sets the objects a (not versioned) link relation attribute points at.
    SetLinks {
        /// The attribute.
        attribute: Uuid,
        /// The objects, in order.
        targets: Vec<Uuid>,
        /// Whether to add them to the present targets (one-to-many only)
        /// rather than replace those.
        append: bool,
    },
    /// Changes the versions of a versioned link relation attribute.
    SetVersionedLinks {
        /// The attribute.
        attribute: Uuid,
        /// One-to-one: the versions starting inside are replaced by those
        /// of the one entry given (none: removed). One-to-many: `None`, and
        /// the entries replace all.
        interval: Option<Interval>,
        /// The new entries, each a list of versions.
        entries: Vec<Vec<LinkVersion>>,
    },
    /// Changes the XY sets of an XY set attribute.
    SetXySets {
        /// The attribute.
        attribute: Uuid,
        /// Versioned attributes: the sets starting inside are replaced.
        /// Unversioned: `None`, and the (at most one) set replaces it.
        interval: Option<Interval>,
        /// The new sets.
        sets: Vec<XySet>,
    },
    /// Replaces the rating curve versions starting inside an interval.
    SetRatingCurve {
        /// The attribute.
        attribute: Uuid,
        /// The versions starting inside are replaced.
        interval: Interval,
        /// The new versions, sorted by start.
        versions: Vec<RatingCurveVersion>,
    },
    /// Copies an object and everything it owns.
    CloneObject {
        /// The object to copy.
        source: Uuid,
        /// The copy's id; the ids of the copies of what it owns, and of
        /// their attributes, are derived from it and the originals'.
        id: Uuid,
        /// The copy's name.
        name: String,
        /// Where the copy goes; `None`: beside the source.
        owner: Option<Owner>,
        /// Whether time series attributes of the copies keep the
        /// originals' connections (local expressions are always kept).
        keep_timeseries: bool,
    },
}

/// Whether a change is applied for the request that makes it, or replayed
/// on a model other sessions have changed since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The session's own request: every rule applies.
    Request,
    /// A replay at commit (or when the session catches up with commits of
    /// others): a deletion of something already gone is no longer an
    /// error, as the reference behaves.
    Replay,
}

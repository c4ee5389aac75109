//! Models, objects and their attributes.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::curves::{RatingCurveVersion, XySet};
use crate::value::Value;

/// One version of a versioned link: from `valid_from` on (ticks of 100 ns
/// since 1970, UTC) the attribute points at `target`, or at nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkVersion {
    /// The object pointed at; `None` for no object from then on.
    pub target: Option<Uuid>,
    /// When the version starts.
    pub valid_from: i64,
}

/// The name of the one attribute of every model, which lists the objects
/// the model owns directly.
pub const MODEL_OBJECTS: &str = "Objects";

/// An object of a model; a model itself is an object without an owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Object {
    /// Its id.
    pub id: Uuid,
    /// Its name, unique among the objects its owner attribute owns (among
    /// the models, for a model).
    pub name: String,
    /// Its definition: a model definition for a model, an object definition
    /// otherwise.
    pub definition: Uuid,
    /// Who owns it; `None` for a model.
    pub owner: Option<Owner>,
    /// Its attributes, in the order of its definition's attribute
    /// definitions. A model has none.
    pub attributes: Vec<AttributeSlot>,
}

impl Object {
    /// Whether this object is a model (the root of a tree of objects).
    pub fn is_model(&self) -> bool {
        self.owner.is_none()
    }

    /// The object's attribute of definition `definition`.
    pub fn slot(&self, definition: Uuid) -> Option<&AttributeSlot> {
        self.attributes.iter().find(|s| s.definition == definition)
    }
}

/// What owns an object: an ownership attribute of another object, or a model
/// directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Owner {
    /// The owning object (or model).
    pub object: Uuid,
    /// The attribute definition of the owning ownership attribute; `None`
    /// when a model owns the object directly.
    pub attribute: Option<Uuid>,
}

/// One attribute of an object: its id, its definition and, for simple
/// attributes, its values. Relation attributes keep their targets in the
/// model's indexes, not here, so that adding a child never copies its
/// siblings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeSlot {
    /// The attribute's id.
    pub id: Uuid,
    /// Its attribute definition.
    pub definition: Uuid,
    /// Its simple values (one for a singular attribute).
    pub values: Vec<Value>,
    /// What an attribute of another kind holds, once set; boxed, as most
    /// attributes are simple.
    pub held: Option<Box<Held>>,
}

/// What a non-simple attribute holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Held {
    /// A time series attribute: the physical series it is connected to and
    /// its own expression, if it has one instead of its definition's.
    Timeseries {
        /// The key of the connected series; 0 for none.
        key: i64,
        /// The attribute's own expression, if set.
        local_expression: Option<String>,
    },
    /// A link relation: the objects it points at (at most one for a
    /// one-to-one link), in the order they were linked.
    Links(Vec<Uuid>),
    /// A versioned link relation: its entries (at most one for a one-to-one
    /// link), each a list of versions sorted by start, starts unique.
    VersionedLinks(Vec<Vec<LinkVersion>>),
    /// XY sets: at most one, without a start, for an unversioned attribute;
    /// sorted by start, starts unique, for a versioned one.
    XySets(Vec<XySet>),
    /// Rating curve versions, sorted by start, starts unique.
    RatingCurve(Vec<RatingCurveVersion>),
}

impl AttributeSlot {
    /// The series a time series attribute is connected to (0: none) and
    /// its local expression.
    pub fn timeseries(&self) -> (i64, Option<&str>) {
        match self.held.as_deref() {
            Some(Held::Timeseries {
                key,
                local_expression,
            }) => (*key, local_expression.as_deref()),
            _ => (0, None),
        }
    }

    /// What a link relation attribute holds once each target `t` becomes
    /// `point(t)`: a plain link drops the targets that become `None` (and
    /// holds nothing once it has none left); a version keeps its start and
    /// points at nothing. `None` for other attributes.
    pub(crate) fn map_link_targets(&self, point: impl Fn(Uuid) -> Option<Uuid>) -> Option<Held> {
        match self.held.as_deref()? {
            Held::Links(targets) => {
                let kept: Vec<Uuid> = targets.iter().filter_map(|t| point(*t)).collect();
                (!kept.is_empty()).then_some(Held::Links(kept))
            }
            Held::VersionedLinks(entries) => Some(Held::VersionedLinks(
                entries
                    .iter()
                    .map(|entry| {
                        entry
                            .iter()
                            .map(|v| LinkVersion {
                                target: v.target.and_then(&point),
                                valid_from: v.valid_from,
                            })
                            .collect()
                    })
                    .collect(),
            )),
            _ => None,
        }
    }

    /// The objects a link relation attribute points at now or at any time
    /// (every version's target, for a versioned link).
    pub fn link_targets(&self) -> Vec<Uuid> {
        match self.held.as_deref() {
            Some(Held::Links(targets)) => targets.clone(),
            Some(Held::VersionedLinks(entries)) => {
                let mut targets: Vec<Uuid> = entries
                    .iter()
                    .flatten()
                    .filter_map(|version| version.target)
                    .collect();
                targets.sort_unstable();
                targets.dedup();
                targets
            }
            _ => Vec::new(),
        }
    }
}

/// The id of the attribute of definition `definition` on object `object`,
/// when the model makes it (an import keeps ids it is given): derived from
/// both, so that replaying a session's changes makes the same ids.
pub fn attribute_id(object: Uuid, definition: Uuid) -> Uuid {
    Uuid::new_v5(&object, definition.as_bytes())
}

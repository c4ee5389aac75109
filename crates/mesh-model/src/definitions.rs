//! Model definitions: namespaces, tags, object definitions (classes),
//! attribute types (reusable) and attribute definitions (the members of an
//! object definition, each based on an attribute type).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::value::{Value, ValueType};

/// A namespace. One without a parent is a model definition; namespaces nest
/// and hold object definitions and attribute types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Namespace {
    /// Its id.
    pub id: Uuid,
    /// Its name, unique among its siblings.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The namespace holding it; `None` for a model definition.
    pub parent: Option<Uuid>,
}

/// A tag, defined in a model definition and attached to object definitions
/// and attribute types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// Its id.
    pub id: Uuid,
    /// Its name, unique in its model definition.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The model definition it belongs to.
    pub model_definition: Uuid,
}

/// An object definition: the class of objects, with its attribute
/// definitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectDefinition {
    /// Its id.
    pub id: Uuid,
    /// Its name, unique among the definitions of its namespace.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The namespace holding it.
    pub namespace: Uuid,
    /// Its tags.
    pub tags: Vec<Uuid>,
    /// Its attribute definitions, in the order objects list attributes.
    pub attributes: Vec<Uuid>,
}

/// An attribute type: a named kind of attribute, reusable by any number of
/// attribute definitions. Its name and unit are theirs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeType {
    /// Its id.
    pub id: Uuid,
    /// Its name, unique among the attribute types of its namespace.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The namespace holding it.
    pub namespace: Uuid,
    /// Its tags.
    pub tags: Vec<Uuid>,
    /// What its attributes hold.
    pub kind: TypeKind,
}

/// What the attributes of an attribute type hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TypeKind {
    /// Simple values.
    Simple {
        /// Which kind of simple value.
        value_type: ValueType,
        /// The unit of the values, for numbers.
        unit: Option<Uuid>,
        /// An expression, kept as given.
        expression: String,
    },
    /// A time series.
    Timeseries {
        /// The unit of the series.
        unit: Option<Uuid>,
    },
    /// Objects of one definition, owned.
    OwnershipRelation {
        /// The definition of the objects it owns.
        target: Uuid,
    },
    /// Objects of one definition, pointed at.
    LinkRelation {
        /// The definition of the objects it points at.
        target: Uuid,
    },
    /// Rating curves.
    RatingCurve,
    /// XY sets.
    XySet {
        /// An expression, kept as given.
        expression: String,
    },
}

impl TypeKind {
    /// The kind of value attributes of this type hold. Link relations may be
    /// versioned per definition, which [`AttributeDefinition::value_type`]
    /// tells.
    pub fn value_type(&self) -> ValueType {
        match self {
            TypeKind::Simple { value_type, .. } => *value_type,
            TypeKind::Timeseries { .. } => ValueType::Timeseries,
            TypeKind::OwnershipRelation { .. } => ValueType::OwnershipRelation,
            TypeKind::LinkRelation { .. } => ValueType::LinkRelation,
            TypeKind::RatingCurve => ValueType::RatingCurve,
            TypeKind::XySet { .. } => ValueType::XySet,
        }
    }

    /// The unit of the type's values, if it has one.
    pub fn unit(&self) -> Option<Uuid> {
        match self {
            TypeKind::Simple { unit, .. } | TypeKind::Timeseries { unit } => *unit,
            _ => None,
        }
    }

    /// The definition of the objects a relation type points at.
    pub fn target(&self) -> Option<Uuid> {
        match self {
            TypeKind::OwnershipRelation { target } | TypeKind::LinkRelation { target } => {
                Some(*target)
            }
            _ => None,
        }
    }
}

/// An attribute definition: one member of an object definition, based on
/// an attribute type, whose name it has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeDefinition {
    /// Its id.
    pub id: Uuid,
    /// The object definition it is a member of.
    pub object_definition: Uuid,
    /// The attribute type it is based on.
    pub attribute_type: Uuid,
    /// Free text.
    pub description: String,
    /// The fewest values an attribute may hold.
    pub minimum_cardinality: i64,
    /// The most values an attribute may hold; 1 makes attributes singular.
    pub maximum_cardinality: i64,
    /// What is particular to the kind of attribute.
    pub rules: DefinitionRules,
}

impl AttributeDefinition {
    /// Whether attributes of this definition hold a collection of values
    /// rather than one.
    pub fn is_collection(&self) -> bool {
        self.maximum_cardinality != 1
    }
}

/// What an attribute definition adds to its attribute type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DefinitionRules {
    /// Simple values: the value of a new attribute and the values allowed.
    Simple {
        /// The value of each new attribute (each new element of a
        /// collection); the type's zero value when `None`.
        default: Option<Value>,
        /// The smallest value allowed.
        minimum: Option<Value>,
        /// The largest value allowed.
        maximum: Option<Value>,
        /// The only values allowed, when not empty.
        allowed: Vec<Value>,
    },
    /// A time series.
    Timeseries {
        /// The expression of new attributes, kept as given.
        template_expression: String,
    },
    /// An ownership relation.
    OwnershipRelation,
    /// A link relation.
    LinkRelation {
        /// Whether each target holds from a time on.
        versioned: bool,
    },
    /// Rating curves.
    RatingCurve,
    /// XY sets.
    XySet {
        /// Whether the sets hold from a time on.
        versioned: bool,
        /// The X axis.
        x_axis: Axis,
        /// The Y axis.
        y_axis: Axis,
        /// The Z axis, if any.
        z_axis: Option<Axis>,
    },
}

/// One axis of an XY set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// Free text.
    pub description: String,
    /// The unit of the axis' values.
    pub unit: Option<Uuid>,
}

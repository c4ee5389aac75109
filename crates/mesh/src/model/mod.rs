//! The model: model definitions (namespaces, object definitions, attribute
//! types and definitions) and models made from them (objects and their
//! attributes), always within a session. Changes stay private to the
//! session until [`Session::commit`](crate::Session::commit); reads in the
//! same session see them, other sessions do not.
//!
//! Calls name what they act on with a [`Target`]: an id, or a path
//! (`Model/...` for objects and attributes, `Repository/...` for
//! definitions). Answers carry both as [`Reference`]s.

mod calls;
mod curves;
mod definition_calls;
mod definitions;
mod file;
mod ids;
mod kind_definition_calls;
mod objects;
mod relation_calls;
mod values;

pub use curves::{
    LinkVersion, RatingCurveSegment, RatingCurveVersion, TimeseriesCopyMode, XyCurve, XySet,
};
pub use definitions::{
    AttributeDefinition, AttributeType, DefinitionKind, Namespace, NamespaceChild,
    ObjectDefinition, SimpleDefinition, SimpleDefinitionInfo, Tag,
};
pub use file::Imported;
pub use ids::{Reference, Target};
pub use kind_definition_calls::Axis;
pub use objects::{Attribute, AttributeValues, AttributeView, Object};
pub(crate) use values::from_timestamp;
pub use values::{AttributeUpdate, Value, ValueType};

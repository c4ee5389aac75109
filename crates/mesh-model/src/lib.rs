//! The Mesh model: model definitions (namespaces, object definitions,
//! attribute types and definitions), models and their objects with their
//! attributes, the paths that name them and the search language over them.
//!
//! Nothing here knows gRPC: the server's services translate between the
//! wire and these types, and the rules live here. The whole model is one
//! value ([`Model`]) in persistent maps; a session works on a copy
//! ([`Workspace`]) and its commit replays its [`Change`]s on the committed
//! model ([`Committed`]), so changes of other sessions are never lost.

#![deny(missing_docs)]

mod apply;
mod change;
mod committed;
pub mod curves;
mod definitions;
mod depth;

mod error;
pub mod file;
mod model;
mod objects;
mod paths;
pub mod records;
pub mod search;
mod search_model;
pub mod units;
mod value;
mod workspace;

pub use apply::{check_name, check_values, copy_id, MAX_NAME_BYTES};
pub use change::{Change, Mode};
pub use committed::{Committed, PreparedCommit};
pub use definitions::{
    AttributeDefinition, AttributeType, Axis, DefinitionRules, Namespace, ObjectDefinition, Tag,
    TypeKind,
};
pub use depth::{MAX_NAMESPACE_DEPTH, MAX_OWNERSHIP_DEPTH};
pub use error::{ModelError, Result};
pub use model::{AttributeRef, Metadata, Model};
pub use objects::{attribute_id, AttributeSlot, Held, LinkVersion, Object, Owner, MODEL_OBJECTS};
pub use paths::{PathTarget, MODEL_ROOT};
pub use value::{Value, ValueType};
pub use workspace::Workspace;

pub(crate) use mesh_timeseries::echo::echo;

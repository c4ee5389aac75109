//! The Mesh model: model definitions (namespaces, object definitions,
//! attribute types and definitions), models and their objects with their
//! attributes, the paths that name them and the search language over them.
//!
//! Nothing here knows gRPC: the server's services translate between the
//! wire and these types, and the rules live here.

#![deny(missing_docs)]

pub mod search;

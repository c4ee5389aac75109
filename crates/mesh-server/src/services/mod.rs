//! One module per gRPC service of the Mesh API, and of mesh-rs's own
//! extensions (`admin`, `history`, `model_file`).

pub mod admin;
pub mod auth;
pub mod calc;
pub mod config;
pub mod history;
pub mod model;
pub mod model_definition;
pub mod model_file;
pub mod not_served;
pub mod session;
pub mod status;
pub mod time_series;

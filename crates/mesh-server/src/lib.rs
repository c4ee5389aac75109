//! mesh-server: a server speaking the public Mesh gRPC API.
//!
//! - [`session`]: the session manager (open sessions, owners, timeouts).
//! - [`services`]: one module per gRPC service.
//! - [`auth`]: who is calling (access tokens), and [`tls`]: encryption.
//! - [`server`]: wiring the services into a listening server;
//!   [`connections`]: accepting and serving its connections, within limits;
//!   [`calls`]: deadlines and precise statuses around every call.
//! - [`log_level`]: changing the log filter while serving; [`metrics`]:
//!   Prometheus metrics.

pub mod auth;
pub mod backups;
pub mod calc;
pub mod calls;
pub mod config;
pub mod connections;
pub mod guid;
pub mod limits;
pub mod log_level;
pub mod log_rate;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod open_files;
pub mod reflection;
pub mod retention;
pub mod server;
pub mod services;
pub mod session;
pub mod tls;
pub mod unserved;
pub mod view;

pub use config::ServerConfig;
pub use server::RunningServer;

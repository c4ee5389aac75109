//! mesh-server: a server speaking the public Mesh gRPC API.
//!
//! - [`session`]: the session manager (open sessions, owners, timeouts).
//! - [`services`]: one module per gRPC service.
//! - [`auth`]: who is calling (access tokens), and [`tls`]: encryption.
//! - [`server`]: wiring the services into a listening server.

pub mod auth;
pub mod config;
pub mod guid;
pub mod limits;
pub mod server;
pub mod services;
pub mod session;
pub mod tls;
pub mod units;
pub mod unserved;
pub mod view;

pub use config::ServerConfig;
pub use server::RunningServer;

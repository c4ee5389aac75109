//! mesh-server: a server speaking the public Mesh gRPC API.
//!
//! - [`session`]: the session manager (open sessions, owners, timeouts).
//! - [`services`]: one module per gRPC service.
//! - [`server`]: wiring the services into a listening server.

pub mod config;
pub mod guid;
pub mod identity;
pub mod server;
pub mod services;
pub mod session;

pub use config::ServerConfig;
pub use server::RunningServer;

//! Rust SDK for Mesh servers.
//!
//! ```no_run
//! # async fn example() -> mesh::Result<()> {
//! let connection = mesh::Connection::insecure("localhost:50051").await?;
//! connection
//!     .with_session(|session| async move {
//!         // ... work in the session ...
//!         session.commit().await
//!     })
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! For programs without an async runtime, [`blocking`] offers the same calls.

pub mod blocking;
mod connection;
mod credentials;
mod error;
mod guid;
mod keep_alive;
mod session;

pub use connection::{Connection, UserIdentity, VersionInfo};
pub use error::{Error, Result};
pub use session::{Opened, Session};
pub use uuid::Uuid;

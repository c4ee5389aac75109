//! The session manager: every open session, its owner, its private
//! workspace, and the inactivity timeout that closes forgotten ones.

mod activity;
mod expiry;
mod manager;
mod workspace;

pub use activity::SessionLease;
pub use manager::{Session, SessionManager, SessionSettings};
pub use workspace::{CommitError, Workspace};

use uuid::Uuid;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SessionError {
    /// Also what a caller gets for a session owned by someone else, so that
    /// session ids cannot be probed.
    #[error("Session with id {} not found.", crate::guid::display(*.0))]
    NotFound(Uuid),
    #[error("the server already holds its maximum of {0} open sessions; close sessions that are no longer used, or start the server with a larger --max-sessions")]
    TooManySessions(u64),
}

//! Sessions: private workspaces on the server.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use uuid::Uuid;

use crate::connection::Connection;
use crate::error::{is_missing_session, Error, Result};
use crate::guid;
use crate::keep_alive::KeepAlive;

/// What `open()` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// A new session was started on the server.
    Created(Uuid),
    /// The session asked for with `connect_to_session` was still open and
    /// this handle now uses it.
    Attached(Uuid),
}

impl Opened {
    /// The id of the session now open, whichever way it was opened.
    pub fn id(&self) -> Uuid {
        match *self {
            Opened::Created(id) | Opened::Attached(id) => id,
        }
    }
}

/// A handle on a session. Clones share the session; when the last handle
/// of an open session is dropped, the session is closed on the server in
/// the background and its uncommitted changes are discarded.
///
/// Sessions this handle starts are kept alive automatically until closed;
/// a session reached through `connect_to_session` is not (see
/// [`Session::extend_lifetime`]).
#[derive(Clone)]
pub struct Session {
    pub(crate) inner: Arc<SessionInner>,
}

pub(crate) struct SessionInner {
    connection: Connection,
    /// The session to attach to, from `connect_to_session`.
    target: Option<Uuid>,
    state: Mutex<Option<OpenSession>>,
}

struct OpenSession {
    id: Uuid,
    /// Present while the session is extended automatically; dropping it
    /// stops the background task.
    keep_alive: Option<KeepAlive>,
    /// Why the session is gone, once the background extension found out.
    lost: Option<String>,
}

impl Session {
    pub(crate) fn new(connection: Connection, target: Option<Uuid>) -> Session {
        Session {
            inner: Arc::new(SessionInner {
                connection,
                target,
                state: Mutex::new(None),
            }),
        }
    }

    /// The id of the open session; before `open()`, the id asked for with
    /// `connect_to_session`, if any.
    pub fn session_id(&self) -> Option<Uuid> {
        self.inner
            .state()
            .as_ref()
            .map(|open| open.id)
            .or(self.inner.target)
    }

    /// Whether the session is open, from a successful `open()` until
    /// `close()` or `detach()` on any of its handles. A session lost in the
    /// background still counts as open until closed; calls on it fail with
    /// [`Error::SessionLost`].
    pub fn is_open(&self) -> bool {
        self.inner.state().is_some()
    }

    /// True while a background task keeps this session alive.
    pub fn is_extended_automatically(&self) -> bool {
        self.inner
            .state()
            .as_ref()
            .is_some_and(|open| open.keep_alive.is_some() && open.lost.is_none())
    }

    /// Opens the session. A handle from `create_session` starts a new one.
    /// A handle from `connect_to_session(id)` attaches to `id` if the server
    /// still has it open, else starts a new one; the answer says which.
    pub async fn open(&self) -> Result<Opened> {
        if let Some(open) = self.inner.state().as_ref() {
            return Err(Error::SessionAlreadyOpen { id: open.id });
        }
        if let Some(id) = self.inner.target {
            match self.extend(id).await {
                Ok(_) => {
                    self.inner.install(id, None)?;
                    return Ok(Opened::Attached(id));
                }
                Err(Error::SessionNotFound { .. }) => {}
                Err(error) => return Err(error),
            }
        }
        let response = self
            .inner
            .connection
            .session_client()
            .start_session(())
            .await?
            .into_inner();
        let id = guid::from_proto(response.session_id.as_ref())?;
        let keep_alive = KeepAlive::start(&self.inner.connection, id, Arc::downgrade(&self.inner));
        if let Err(error) = self.inner.install(id, Some(keep_alive)) {
            // Another handle opened concurrently; do not leak this one.
            self.inner.end_in_background(id);
            return Err(error);
        }
        tracing::debug!(session = %id, "session started");
        Ok(Opened::Created(id))
    }

    /// Closes the session on the server, discarding uncommitted changes.
    /// Closing a session that is not open does nothing.
    pub async fn close(&self) -> Result<()> {
        let Some(open) = self.inner.state().take() else {
            return Ok(());
        };
        drop(open.keep_alive);
        if open.lost.is_some() {
            return Ok(());
        }
        self.inner
            .connection
            .session_client()
            .end_session(guid::to_proto(open.id))
            .await
            .map_err(|status| Error::from_session_call(status, open.id))?;
        Ok(())
    }

    /// Makes the session's changes permanent and visible to everyone.
    pub async fn commit(&self) -> Result<()> {
        let id = self.inner.open_id()?;
        self.inner
            .connection
            .session_client()
            .commit(guid::to_proto(id))
            .await
            .map_err(|status| Error::from_session_call(status, id))?;
        Ok(())
    }

    /// Discards the session's uncommitted changes; the session stays open.
    pub async fn rollback(&self) -> Result<()> {
        let id = self.inner.open_id()?;
        self.inner
            .connection
            .session_client()
            .rollback(guid::to_proto(id))
            .await
            .map_err(|status| Error::from_session_call(status, id))?;
        Ok(())
    }

    /// Restarts the session's inactivity timer on the server and returns
    /// how long the session now lives without further calls.
    pub async fn extend_lifetime(&self) -> Result<Duration> {
        let id = self.inner.open_id()?;
        self.extend(id).await
    }

    /// Lets go of the session without closing it: it stays open on the
    /// server (until its timeout) for someone to `connect_to_session` to.
    /// Automatic extension stops. Returns its id, if it was open.
    pub fn detach(self) -> Option<Uuid> {
        self.inner.state().take().map(|open| open.id)
    }

    /// The connection the session runs on.
    pub(crate) fn connection(&self) -> &Connection {
        &self.inner.connection
    }

    /// The id of the open session, or why there is none.
    pub(crate) fn open_id(&self) -> Result<Uuid> {
        self.inner.open_id()
    }

    async fn extend(&self, id: Uuid) -> Result<Duration> {
        let response = self
            .inner
            .connection
            .session_client()
            .extend_session(guid::to_proto(id))
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        let expires_in = response
            .expires_in
            .ok_or_else(|| Error::Protocol("ExtendSession answered without expires_in".into()))?;
        let expires_in = Duration::try_from(expires_in)
            .map_err(|_| Error::Protocol("ExtendSession answered a negative expires_in".into()))?;
        self.inner.connection.remember_session_timeout(expires_in);
        Ok(expires_in)
    }
}

impl SessionInner {
    fn state(&self) -> MutexGuard<'_, Option<OpenSession>> {
        // A poisoned lock only means another thread panicked mid-update of
        // plain data; the data itself is still consistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn install(&self, id: Uuid, keep_alive: Option<KeepAlive>) -> Result<()> {
        let mut state = self.state();
        if let Some(open) = state.as_ref() {
            return Err(Error::SessionAlreadyOpen { id: open.id });
        }
        *state = Some(OpenSession {
            id,
            keep_alive,
            lost: None,
        });
        Ok(())
    }

    fn open_id(&self) -> Result<Uuid> {
        match self.state().as_ref() {
            None => Err(Error::SessionNotOpen),
            Some(OpenSession {
                id,
                lost: Some(reason),
                ..
            }) => Err(Error::SessionLost {
                id: *id,
                reason: reason.clone(),
            }),
            Some(open) => Ok(open.id),
        }
    }

    /// Called by the keep-alive task when it can no longer keep `id` alive.
    pub(crate) fn mark_lost(&self, id: Uuid, reason: String) {
        if let Some(open) = self.state().as_mut().filter(|open| open.id == id) {
            tracing::warn!(session = %id, %reason, "session lost");
            open.lost = Some(reason);
            open.keep_alive = None;
        }
    }

    fn end_in_background(&self, id: Uuid) {
        let mut client = self.connection.session_client();
        self.connection.inner.runtime.spawn(async move {
            match client.end_session(guid::to_proto(id)).await {
                Ok(_) => tracing::debug!(session = %id, "dropped session closed"),
                Err(status) if is_missing_session(&status) => {}
                Err(status) => {
                    tracing::warn!(session = %id, %status, "could not close a dropped session")
                }
            }
        });
    }
}

impl Drop for SessionInner {
    fn drop(&mut self) {
        if let Some(open) = self.state().take() {
            drop(open.keep_alive);
            if open.lost.is_none() {
                self.end_in_background(open.id);
            }
        }
    }
}

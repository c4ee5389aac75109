//! The registry of open sessions.
//!
//! Sessions live in a sharded concurrent map, so requests of different
//! sessions never wait on each other; only requests of the same session
//! queue, on that session's workspace lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use mesh_storage::{CommitStats, StoreError, StoreHandle};

use crate::metrics::SessionMetrics;
use crate::model::SharedModel;
use uuid::Uuid;

use super::activity::{Activity, Clock, SessionLease};
use super::workspace::{CommitError, Workspace};
use super::SessionError;
use crate::auth::Identity;

#[derive(Debug, Clone, Copy)]
pub struct SessionSettings {
    /// Idle time after which the server closes a session.
    pub timeout: Duration,
    /// The most sessions open at once.
    pub max_sessions: u64,
}

/// One open session.
#[derive(Debug)]
pub struct Session {
    id: Uuid,
    owner: Arc<Identity>,
    pub(crate) activity: Activity,
    /// Shared with a commit in progress, which may outlive its request.
    workspace: Arc<tokio::sync::Mutex<Workspace>>,
    /// The committed model the session works on.
    model: Arc<SharedModel>,
}

impl Session {
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// Exclusive access to the workspace; requests of this session queue here.
    pub async fn workspace(&self) -> tokio::sync::MutexGuard<'_, Workspace> {
        self.workspace.lock().await
    }

    /// Commits the pending changes: the store write and the clearing of
    /// what was written happen as one unit, in a task of their own, so a
    /// caller that goes away (a deadline, a cancelled call, a dropped
    /// connection) cannot leave changes both committed and still pending,
    /// to be committed again over newer data later.
    pub async fn commit(&self, store: StoreHandle) -> Result<CommitStats, CommitError> {
        let workspace = self.workspace.clone();
        let model = self.model.clone();
        // The series' history keeps who committed.
        let author = self.owner.identifier.clone();
        tokio::spawn(async move {
            workspace
                .lock_owned()
                .await
                .commit(store, &model, author)
                .await
        })
        .await
        .map_err(|stopped| CommitError::Store(StoreError::Backend(Box::new(stopped))))?
    }

    /// The committed model this session works on.
    pub fn model(&self) -> &SharedModel {
        &self.model
    }
}

#[derive(Debug)]
pub struct SessionManager {
    sessions: DashMap<Uuid, Arc<Session>>,
    /// Counted apart from the map so that admission is one atomic step.
    open: AtomicU64,
    settings: SessionSettings,
    clock: Clock,
    model: Arc<SharedModel>,
    /// Sessions opened, closed and expired, and commits, for `/metrics`.
    metrics: SessionMetrics,
}

impl SessionManager {
    /// A manager with no sweeper (`start_expiry` adds one) and an empty
    /// model.
    pub fn new(settings: SessionSettings) -> Arc<SessionManager> {
        SessionManager::with_model(settings, SharedModel::empty())
    }

    /// A manager whose sessions work on `model`.
    pub fn with_model(settings: SessionSettings, model: Arc<SharedModel>) -> Arc<SessionManager> {
        Arc::new(SessionManager {
            sessions: DashMap::new(),
            open: AtomicU64::new(0),
            settings,
            clock: Clock::new(),
            model,
            metrics: SessionMetrics::default(),
        })
    }

    pub fn settings(&self) -> SessionSettings {
        self.settings
    }

    /// What happened to this manager's sessions, for `/metrics`.
    pub fn metrics(&self) -> &SessionMetrics {
        &self.metrics
    }

    pub fn open_sessions(&self) -> u64 {
        self.open.load(Ordering::SeqCst)
    }

    /// Starts a new session owned by `owner`.
    pub fn start(&self, owner: Arc<Identity>) -> Result<Uuid, SessionError> {
        let max = self.settings.max_sessions;
        self.open
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |open| {
                (open < max).then_some(open + 1)
            })
            .map_err(|_| SessionError::TooManySessions(max))?;

        let id = Uuid::new_v4();
        let session = Arc::new(Session {
            id,
            owner,
            activity: Activity::new(self.clock.now()),
            workspace: Arc::new(tokio::sync::Mutex::new(Workspace::default())),
            model: self.model.clone(),
        });
        tracing::info!(session = %id, user = %session.owner.identifier, "session opened");
        self.sessions.insert(id, session);
        self.metrics.opened();
        Ok(id)
    }

    /// Marks the session as in use by one request. Fails for a session that
    /// does not exist or belongs to someone else, with the same error.
    pub fn acquire(&self, id: Uuid, caller: &Identity) -> Result<SessionLease, SessionError> {
        let entry = self.sessions.get(&id).ok_or(SessionError::NotFound(id))?;
        if *entry.owner != *caller {
            return Err(SessionError::NotFound(id));
        }
        // Still under the shard's read lock: the sweeper cannot remove the
        // session between this check and the lease taking effect.
        entry.activity.begin();
        Ok(SessionLease {
            session: entry.value().clone(),
            clock: self.clock,
        })
    }

    /// Ends the session; what it had not committed is dropped with it.
    pub fn end(&self, id: Uuid, caller: &Identity) -> Result<(), SessionError> {
        let (_, session) = self
            .sessions
            .remove_if(&id, |_, session| *session.owner == *caller)
            .ok_or(SessionError::NotFound(id))?;
        self.open.fetch_sub(1, Ordering::SeqCst);
        self.metrics.closed();
        tracing::info!(session = %session.id, "session closed");
        Ok(())
    }

    /// Closes every session idle for the timeout or longer; returns how many.
    pub fn expire_idle(&self) -> usize {
        let timeout = self.settings.timeout;
        let now = self.clock.now();
        // Find candidates under read locks, then remove each under its
        // shard's write lock, checking again: a request may have begun.
        let candidates: Vec<Uuid> = self
            .sessions
            .iter()
            .filter(|entry| entry.activity.is_expired(now, timeout))
            .map(|entry| *entry.key())
            .collect();
        let mut expired = 0;
        for id in candidates {
            let now = self.clock.now();
            if self
                .sessions
                .remove_if(&id, |_, session| session.activity.is_expired(now, timeout))
                .is_some()
            {
                self.open.fetch_sub(1, Ordering::SeqCst);
                expired += 1;
                tracing::info!(session = %id, timeout = ?timeout, "session expired");
            }
        }
        self.metrics.expired(expired);
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manager(max_sessions: u64) -> Arc<SessionManager> {
        SessionManager::new(SessionSettings {
            timeout: Duration::from_secs(60),
            max_sessions,
        })
    }

    fn someone(name: &str) -> Identity {
        Identity {
            display_name: name.to_string(),
            source: "test".to_string(),
            identifier: name.to_string(),
        }
    }

    #[test]
    fn sessions_belong_to_their_owner() {
        let sessions = manager(10);
        let alice = Arc::new(someone("alice"));
        let id = sessions.start(alice.clone()).unwrap();
        assert!(sessions.acquire(id, &alice).is_ok());
        assert_eq!(
            sessions.acquire(id, &someone("bob")).err(),
            Some(SessionError::NotFound(id))
        );
        assert_eq!(
            sessions.end(id, &someone("bob")),
            Err(SessionError::NotFound(id))
        );
        assert_eq!(sessions.end(id, &alice), Ok(()));
        assert_eq!(sessions.end(id, &alice), Err(SessionError::NotFound(id)));
    }

    #[test]
    fn admission_stops_at_the_maximum_and_resumes_after_a_close() {
        let sessions = manager(2);
        let owner = Identity::anonymous();
        let first = sessions.start(owner.clone()).unwrap();
        sessions.start(owner.clone()).unwrap();
        assert_eq!(
            sessions.start(owner.clone()),
            Err(SessionError::TooManySessions(2))
        );
        sessions.end(first, &owner).unwrap();
        assert!(sessions.start(owner).is_ok());
        assert_eq!(sessions.open_sessions(), 2);
    }
}

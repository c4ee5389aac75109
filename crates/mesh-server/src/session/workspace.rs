//! A session's private workspace: the changes it has made and not yet
//! committed. Data services record their changes here; commit hands them
//! to storage, rollback and the end of the session drop them.
//!
//! Requests of one session that touch the workspace are serialised by the
//! mutex around it (see `manager::Session`).

use std::sync::Arc;

use mesh_storage::{ChangeSet, CommitStats, StoreError, StoreHandle};

#[derive(Debug, Default)]
pub struct Workspace {
    /// Shared with reads running on the blocking pool; written copy-on-write,
    /// which copies nothing once those reads are done.
    changes: Arc<ChangeSet>,
}

impl Workspace {
    /// A snapshot of the pending changes, for reads over them.
    pub fn changes(&self) -> Arc<ChangeSet> {
        self.changes.clone()
    }

    pub fn changes_mut(&mut self) -> &mut ChangeSet {
        Arc::make_mut(&mut self.changes)
    }

    /// Makes the pending changes permanent: all of them or none, on disk
    /// before this returns. On failure they stay pending.
    ///
    /// Dropping this future between the store write and the clearing would
    /// leave committed changes pending; callers run it to completion in a
    /// task of its own (`Session::commit`).
    pub async fn commit(&mut self, store: StoreHandle) -> Result<CommitStats, StoreError> {
        if self.changes.is_empty() {
            return Ok(CommitStats::default());
        }
        let stats = store.commit(self.changes.clone()).await?;
        self.changes = Arc::default();
        Ok(stats)
    }

    /// Discards the pending changes; the session stays open.
    pub fn rollback(&mut self) {
        self.changes = Arc::default();
    }
}

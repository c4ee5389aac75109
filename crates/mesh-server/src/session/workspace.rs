//! A session's private workspace: the changes it has made and not yet
//! committed. Data services record their changes here; commit hands them
//! to storage, rollback and the end of the session drop them.
//!
//! Requests of one session that touch the workspace are serialised by the
//! mutex around it (see `manager::Session`).

use std::sync::Arc;

use mesh_model::ModelError;
use mesh_storage::{ChangeSet, CommitStats, StoreError, StoreHandle};

use crate::model::SharedModel;

#[derive(Debug, Default)]
pub struct Workspace {
    /// Shared with reads running on the blocking pool; written copy-on-write,
    /// which copies nothing once those reads are done.
    changes: Arc<ChangeSet>,
    /// The session's model and its changes to it.
    pub model: mesh_model::Workspace,
}

/// Why a commit failed; the changes stay pending either way.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The session's model changes no longer apply to the committed model.
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// What one pending model change is taken to hold: its share of the
/// session's copy of the model (the object it copied, the index nodes on
/// the way to it). It varies with the objects: measured from 2 KB for
/// objects of a few numbers to 57 KB for objects of 40 KB of text
/// (`tests/memory.rs`); this value makes 1,000 dropped changes worth a
/// trim (`memory::BYTES_RELEASED`).
const BYTES_PER_MODEL_CHANGE: usize = 32 * 1024;

impl Workspace {
    /// About how much memory the pending changes hold: their points and
    /// model changes. An estimate, for [`crate::memory::released`].
    fn weight(&self) -> usize {
        self.points_weight() + self.model.changes().len() * BYTES_PER_MODEL_CHANGE
    }

    fn points_weight(&self) -> usize {
        let points: usize = self
            .changes
            .series
            .values()
            .flat_map(|series| &series.replaces)
            .map(|replace| replace.points.len())
            .sum();
        points * std::mem::size_of::<mesh_timeseries::Point>()
    }

    /// A snapshot of the pending changes, for reads over them.
    pub fn changes(&self) -> Arc<ChangeSet> {
        self.changes.clone()
    }

    pub fn changes_mut(&mut self) -> &mut ChangeSet {
        Arc::make_mut(&mut self.changes)
    }

    /// Makes the pending changes permanent: all of them or none, on disk
    /// before this returns, with `author` (the session's identity) in the
    /// series' history. On failure they stay pending.
    ///
    /// Dropping this future between the store write and the clearing would
    /// leave committed changes pending; callers run it to completion in a
    /// task of its own (`Session::commit`).
    pub async fn commit(
        &mut self,
        store: StoreHandle,
        model: &SharedModel,
        author: String,
    ) -> Result<CommitStats, CommitError> {
        if !self.changes.is_empty() || !self.model.is_empty() {
            Arc::make_mut(&mut self.changes).author = author;
        }
        if self.model.is_empty() {
            if self.changes.is_empty() {
                return Ok(CommitStats::default());
            }
            let stats = store.commit(self.changes.clone()).await?;
            crate::memory::released(self.points_weight());
            self.changes = Arc::default();
            return Ok(stats);
        }
        // Series and model go to the store in one transaction; the model is
        // prepared on the committed one under the lock, so no other commit
        // of the model slips in between.
        let _order = model.commit_lock.lock().await;
        let Some(prepared) = self.model.prepare(&model.committed)? else {
            return Ok(CommitStats::default());
        };
        Arc::make_mut(&mut self.changes).records = prepared.records.iter().cloned().collect();
        let stats = match store.commit(self.changes.clone()).await {
            Ok(stats) => stats,
            Err(error) => {
                Arc::make_mut(&mut self.changes).records.clear();
                return Err(error.into());
            }
        };
        model.committed.publish(prepared);
        // The model changes live on in the committed model; the points are
        // on disk now.
        crate::memory::released(self.points_weight());
        self.changes = Arc::default();
        self.model.clear();
        Ok(stats)
    }

    /// Discards the pending changes; the session stays open.
    pub fn rollback(&mut self) {
        crate::memory::released(self.weight());
        self.changes = Arc::default();
        self.model.clear();
    }
}

/// A session that ends or expires drops its pending changes here: large
/// ones are noted, so that their memory goes back to the system
/// (`memory.rs`) instead of staying with the process.
impl Drop for Workspace {
    fn drop(&mut self) {
        crate::memory::released(self.weight());
    }
}

//! What a session sees, and the rules for changing it.
//!
//! A session sees the committed state (one store snapshot per request)
//! with its own pending changes on top. [`SessionView`] answers reads as the
//! session sees them; [`SessionEdit`] records changes in the session's
//! workspace after checking every rule (names, paths, grids, units). Both
//! are free of gRPC and proto types: services translate requests into calls
//! here and answers back, and the calculation engine and the model read
//! through the same interface. Errors are [`ViewError`]s.

mod copy;
mod error;
mod history;
mod read;
mod series;

use std::sync::Arc;

use mesh_storage::{ChangeSet, SeriesMeta, Snapshot, StoreHandle};

pub use copy::MAX_COPIED_POINTS;
pub use error::ViewError;
pub use history::{ListedWrite, WriteListing, MAX_LISTED_WRITES};
pub use read::{ReadAnswer, ReadLimit};
pub use series::{NewSeries, SeriesUpdate};

use crate::session::Workspace;

/// The state one session sees: committed data under its pending changes.
/// Cheap to clone; it holds the pending changes as they were when it was
/// made, so a long read does not keep the session's workspace locked.
#[derive(Debug, Clone)]
pub struct SessionView {
    store: StoreHandle,
    changes: Arc<ChangeSet>,
}

impl SessionView {
    /// The view of a session whose workspace holds `changes`.
    pub fn new(store: StoreHandle, changes: Arc<ChangeSet>) -> SessionView {
        SessionView { store, changes }
    }

    /// The metadata of series `key` as the session sees it.
    pub async fn series(&self, key: i64) -> Result<SeriesMeta, ViewError> {
        self.with_snapshot(move |snapshot| snapshot.series(key))
            .await
    }

    /// Runs `work` on one snapshot of the store under the session's
    /// pending changes, on the store's blocking pool: for work that reads
    /// much as one consistent state (calculations).
    pub async fn with_snapshot<T, F>(&self, work: F) -> Result<T, ViewError>
    where
        F: FnOnce(&SnapshotView<'_>) -> Result<T, ViewError> + Send + 'static,
        T: Send + 'static,
    {
        let changes = self.changes.clone();
        self.store
            .read(move |snapshot| {
                work(&SnapshotView {
                    snapshot,
                    changes: &changes,
                })
            })
            .await
    }
}

/// What a session sees, on one snapshot: the synchronous form of
/// [`SessionView`], for work running on the store's blocking pool.
pub struct SnapshotView<'a> {
    snapshot: &'a dyn Snapshot,
    changes: &'a ChangeSet,
}

impl SnapshotView<'_> {
    /// The metadata of series `key` as the session sees it.
    pub fn series(&self, key: i64) -> Result<SeriesMeta, ViewError> {
        mesh_storage::series_overlay(self.snapshot, self.changes.get(key), key)?
            .ok_or_else(|| not_found(key))
    }

    /// The key of the series at `full_path` (`/catalog/name`) as the
    /// session sees it, if there is one.
    pub fn series_at_path(&self, full_path: &str) -> Result<Option<i64>, ViewError> {
        if let Some(key) = self.changes.series_at_path(full_path) {
            return Ok(Some(key));
        }
        let Some(key) = self.snapshot.series_at_path(full_path)? else {
            return Ok(None);
        };
        // A pending rename or delete may have moved it away.
        Ok(self
            .series(key)
            .ok()
            .filter(|meta| meta.full_path() == full_path)
            .map(|meta| meta.key))
    }
}

/// Changes to one session's workspace, checked against what it sees.
pub struct SessionEdit<'a> {
    store: &'a StoreHandle,
    workspace: &'a mut Workspace,
}

impl<'a> SessionEdit<'a> {
    /// Edits of `workspace`; the caller holds the session's workspace lock.
    pub fn new(store: &'a StoreHandle, workspace: &'a mut Workspace) -> SessionEdit<'a> {
        SessionEdit { store, workspace }
    }

    fn view(&self) -> SessionView {
        SessionView::new(self.store.clone(), self.workspace.changes())
    }
}

fn not_found(key: i64) -> ViewError {
    ViewError::NotFound(format!("time series with key {key} not found"))
}

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
mod read;
mod series;

use std::sync::Arc;

use mesh_storage::{ChangeSet, SeriesMeta, StoreHandle};

pub use copy::MAX_COPIED_POINTS;
pub use error::ViewError;
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
        let changes = self.changes.clone();
        self.store
            .read(move |snapshot| {
                mesh_storage::series_overlay(snapshot, changes.get(key), key)?
                    .ok_or_else(|| not_found(key))
            })
            .await
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

//! The committed model of this server, shared by every session: loaded
//! from the store at start, replaced by each commit that changes it.

use std::sync::Arc;

use mesh_model::{Committed, Model, ModelError};
use mesh_storage::{StoreError, StoreHandle};

/// The committed model and the lock that puts commits changing it in
/// order: a commit prepares its model on the committed one, writes it to
/// the store and publishes it, and no other commit of the model may
/// prepare in between.
#[derive(Debug, Default)]
pub struct SharedModel {
    /// The committed model.
    pub committed: Committed,
    /// Held from preparing a model commit until it is published.
    pub commit_lock: tokio::sync::Mutex<()>,
}

/// Why the model could not be loaded at start.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored record could not be read.
    #[error("the stored model cannot be read: {0}")]
    Model(#[from] ModelError),
}

impl SharedModel {
    /// An empty model (no definitions, no models).
    pub fn empty() -> Arc<SharedModel> {
        Arc::new(SharedModel::default())
    }

    /// The model as committed in `store`.
    pub async fn load(store: &StoreHandle) -> Result<Arc<SharedModel>, LoadError> {
        let records = store
            .read(|snapshot| snapshot.records())
            .await
            .map_err(LoadError::Store)?;
        let model: Model =
            mesh_model::records::load(records.iter().map(|(k, v)| (k.as_slice(), v.as_slice())))?;
        tracing::info!(objects = model.object_count(), "model loaded");
        Ok(Arc::new(SharedModel {
            committed: Committed::new(model),
            commit_lock: tokio::sync::Mutex::new(()),
        }))
    }
}

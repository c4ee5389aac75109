//! The committed model: the one every session starts from, replaced whole
//! by each commit that changes it.

use std::sync::{Arc, RwLock};

use crate::change::{Change, Mode};
use crate::error::{ModelError, Result};
use crate::model::Model;
use crate::records::Dirty;

/// The committed model and its version (how many commits changed it since
/// the server started).
#[derive(Debug, Default)]
pub struct Committed {
    current: RwLock<(u64, Arc<Model>)>,
}

/// A commit's outcome, computed but not yet published: the model as it will
/// be, and the records the store must write for it.
#[derive(Debug)]
pub struct PreparedCommit {
    base_version: u64,
    model: Arc<Model>,
    /// Store key and encoded entity (`None`: delete) of each changed entity.
    pub records: Vec<crate::records::Record>,
}

impl Committed {
    /// The committed model is `model` (as loaded from the store).
    pub fn new(model: Model) -> Committed {
        Committed {
            current: RwLock::new((0, Arc::new(model))),
        }
    }

    /// The committed model and its version.
    pub fn current(&self) -> (u64, Arc<Model>) {
        // A poisoned lock only means a panic elsewhere while it was held;
        // the value in it is always a whole model.
        let guard = self.current.read().unwrap_or_else(|p| p.into_inner());
        (guard.0, guard.1.clone())
    }

    /// Applies `changes` to the committed model as it is now. Callers
    /// serialise prepare → store commit → [`Committed::publish`], so that
    /// no commit is prepared on a model about to be replaced.
    pub fn prepare(&self, changes: &[Change]) -> Result<PreparedCommit> {
        let (base_version, base) = self.current();
        let mut model = (*base).clone();
        let mut dirty = Dirty::default();
        for change in changes {
            model
                .apply(change, Mode::Replay, &mut dirty)
                .map_err(into_conflict)?;
        }
        let records = dirty.records(&model)?;
        Ok(PreparedCommit {
            base_version,
            model: Arc::new(model),
            records,
        })
    }

    /// A prepared commit of a session whose view was made on the current
    /// committed model: its view is the result, nothing is replayed.
    pub fn prepare_from_view(
        &self,
        version: u64,
        view: Arc<Model>,
        dirty: &Dirty,
    ) -> Result<Option<PreparedCommit>> {
        if version != self.current().0 {
            return Ok(None);
        }
        let records = dirty.records(&view)?;
        Ok(Some(PreparedCommit {
            base_version: version,
            model: view,
            records,
        }))
    }

    /// Makes a prepared commit the committed model, once the store has it.
    /// Returns the new version.
    pub fn publish(&self, prepared: PreparedCommit) -> u64 {
        let mut guard = self.current.write().unwrap_or_else(|p| p.into_inner());
        debug_assert_eq!(guard.0, prepared.base_version, "commits are serialised");
        guard.0 += 1;
        guard.1 = prepared.model;
        guard.0
    }
}

/// A change that no longer applies, because of commits of other sessions,
/// is a conflict whatever the rule it breaks.
pub(crate) fn into_conflict(error: ModelError) -> ModelError {
    match error {
        ModelError::Conflict(_) => error,
        other => ModelError::Conflict(other.to_string()),
    }
}

//! A session's model: the committed model with the session's changes on
//! top, the changes themselves (to replay at commit) and the entities they
//! touched.

use std::sync::Arc;

use crate::change::{Change, Mode};
use crate::committed::{into_conflict, Committed, PreparedCommit};
use crate::error::{ModelError, Result};
use crate::model::Model;
use crate::records::Dirty;

/// One session's view of the model and its pending changes.
///
/// A session sees the committed model as it is now: commits of other
/// sessions reach it on its next request. A session with changes of its own
/// then replays them on the newer model; if they no longer apply (the owner
/// of an object it created was deleted, say) the session is broken: it
/// keeps its last view, and its commit fails until it rolls back.
#[derive(Debug, Default)]
pub struct Workspace {
    version: u64,
    view: Option<Arc<Model>>,
    changes: Vec<Change>,
    dirty: Dirty,
    broken: Option<ModelError>,
}

impl Workspace {
    /// A workspace without changes.
    pub fn new() -> Workspace {
        Workspace::default()
    }

    /// The model as the session sees it now.
    pub fn view(&mut self, committed: &Committed) -> Arc<Model> {
        self.catch_up(committed);
        match &self.view {
            Some(view) => view.clone(),
            None => committed.current().1,
        }
    }

    /// Applies `change` to the session's model, checked against every rule;
    /// refused, it changes nothing.
    pub fn apply(&mut self, committed: &Committed, change: Change) -> Result<()> {
        self.apply_all(committed, vec![change])
    }

    /// Applies every change of `changes`, or (one refused) none of them.
    pub fn apply_all(&mut self, committed: &Committed, changes: Vec<Change>) -> Result<()> {
        // `view` catches up with the committed model first.
        let base = self.view(committed);
        let mut next = (*base).clone();
        // Marked apart and merged on success, so that a change costs what
        // it touches, not what the session touched before it.
        let mut touched = Dirty::default();
        for change in &changes {
            next.apply(change, Mode::Request, &mut touched)?;
        }
        if self.view.is_none() {
            self.version = committed.current().0;
        }
        self.view = Some(Arc::new(next));
        self.dirty.merge(touched);
        self.changes.extend(changes);
        Ok(())
    }

    /// Whether the session changed nothing in the model.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The session's changes, in order.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// Why the session's changes no longer apply, if they do not.
    pub fn broken(&self) -> Option<&ModelError> {
        self.broken.as_ref()
    }

    /// What committing the session's changes writes and makes committed;
    /// `None` when it changed nothing. The caller serialises this with the
    /// store commit and [`Committed::publish`].
    pub fn prepare(&self, committed: &Committed) -> Result<Option<PreparedCommit>> {
        if let Some(error) = &self.broken {
            return Err(error.clone());
        }
        let Some(view) = &self.view else {
            return Ok(None);
        };
        if let Some(prepared) =
            committed.prepare_from_view(self.version, view.clone(), &self.dirty)?
        {
            return Ok(Some(prepared));
        }
        committed.prepare(&self.changes).map(Some)
    }

    /// Drops every change (rollback, or after a commit).
    pub fn clear(&mut self) {
        *self = Workspace::default();
    }

    /// Brings the view up to the committed model, replaying the session's
    /// changes when it has any.
    fn catch_up(&mut self, committed: &Committed) {
        if self.broken.is_some() {
            return;
        }
        let (version, latest) = committed.current();
        if self.view.is_none() || version == self.version {
            return;
        }
        let mut model = (*latest).clone();
        let mut dirty = Dirty::default();
        for change in &self.changes {
            if let Err(error) = model.apply(change, Mode::Replay, &mut dirty) {
                self.broken = Some(into_conflict(error));
                return;
            }
        }
        self.version = version;
        self.view = Some(Arc::new(model));
        self.dirty = dirty;
    }
}

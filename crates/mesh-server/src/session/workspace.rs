//! A session's private workspace: the changes it has made and not yet
//! committed. Data services record their changes here; commit hands them
//! to storage, rollback and the end of the session drop them.
//!
//! It holds no kind of change yet: the time-series service (its own issue)
//! adds the first. Requests of one session that touch the workspace are
//! serialised by the mutex around it (see `manager::Session`).

#[derive(Debug, Default)]
pub struct Workspace {
    commits: u64,
    rollbacks: u64,
}

impl Workspace {
    /// Makes the pending changes permanent. With no kinds of change yet,
    /// there is nothing to hand to storage; only the count moves.
    pub fn commit(&mut self) {
        self.commits += 1;
    }

    /// Discards the pending changes; the session stays open.
    pub fn rollback(&mut self) {
        self.rollbacks += 1;
    }

    /// How many commits and rollbacks this session has done, for logs.
    pub fn history(&self) -> (u64, u64) {
        (self.commits, self.rollbacks)
    }
}

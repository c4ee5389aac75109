//! A series' history as a list of its committed writes, with who made
//! each and how many points it left (`mesh_rs.history.v1.ListWrites`).
//! The history itself is the store's (`mesh_storage::as_of`); this module
//! only picks, bounds and counts.

use std::collections::HashMap;

use mesh_storage::{Undo, Write};

use super::{SessionView, SnapshotView, ViewError};

/// The most writes one listing answers: each costs an as-of read, so the
/// work of one call stays bounded whatever the history.
pub const MAX_LISTED_WRITES: usize = 1_000;

/// One committed write of a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedWrite {
    /// The write: commit number and time, part, replaced interval.
    pub write: Write,
    /// The identity that committed it, when the store knows it.
    pub author: Option<String>,
    /// The points of the series just after the commit, inside both the
    /// write's interval and the listing's.
    pub points: u64,
}

/// A listing's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteListing {
    /// Newest first.
    pub writes: Vec<ListedWrite>,
    /// Whether older writes were left out, over the bound asked for.
    pub more: bool,
}

impl SessionView {
    /// The committed writes of series `key` meeting `[start, end)`, newest
    /// first, at most `max` of them (1 to [`MAX_LISTED_WRITES`]): see
    /// [`SnapshotView::list_writes`].
    pub async fn list_writes(
        &self,
        key: i64,
        interval: (i64, i64),
        max: usize,
    ) -> Result<WriteListing, ViewError> {
        self.with_snapshot(move |snapshot| snapshot.list_writes(key, interval, max))
            .await
    }
}

impl SnapshotView<'_> {
    /// [`SessionView::list_writes`] on this snapshot. A series the session
    /// does not see is NOT_FOUND; a virtual series (computed, never
    /// written) has no history and is refused. History is of committed
    /// writes: the session's pending ones are not listed.
    pub fn list_writes(
        &self,
        key: i64,
        (start, end): (i64, i64),
        max: usize,
    ) -> Result<WriteListing, ViewError> {
        if start >= end {
            return Err(ViewError::InvalidArgument(format!(
                "the interval [{start}, {end}) ms is empty: its start must be before its end"
            )));
        }
        if !(1..=MAX_LISTED_WRITES).contains(&max) {
            return Err(ViewError::InvalidArgument(format!(
                "at most {MAX_LISTED_WRITES} writes are listed at once, not {max}"
            )));
        }
        let meta = self.series(key)?;
        if meta.virtual_expression.is_some() {
            return Err(ViewError::InvalidArgument(format!(
                "series {key} is virtual: it is computed, never written, so it has no history"
            )));
        }
        let writes = self.writes(key, (start, end))?;
        let more = writes.len() > max;
        let mut authors: HashMap<u64, Option<String>> = HashMap::new();
        let listed = writes
            .iter()
            .rev()
            .take(max)
            .map(|write| {
                let author = match authors.get(&write.seq) {
                    Some(known) => known.clone(),
                    None => {
                        let found = self.snapshot.author(write.seq)?;
                        authors.insert(write.seq, found.clone());
                        found
                    }
                };
                // Its points: the series just after its commit (every
                // later one undone), where it wrote and the listing asks.
                let (a, b) = (write.start_ms.max(start), write.end_ms.min(end));
                let points = if a < b {
                    mesh_storage::as_of(
                        self.snapshot,
                        key,
                        a,
                        b,
                        &writes,
                        Undo::From(write.seq.saturating_add(1)),
                    )?
                    .len() as u64
                } else {
                    0
                };
                Ok(ListedWrite {
                    write: write.clone(),
                    author,
                    points,
                })
            })
            .collect::<Result<Vec<_>, ViewError>>()?;
        Ok(WriteListing {
            writes: listed,
            more,
        })
    }
}

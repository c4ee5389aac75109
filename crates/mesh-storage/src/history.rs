//! A series as it was: the current points with later writes undone.
//!
//! A store keeps a series' current points once, and with each committed
//! write the points it replaced ([`Snapshot::replaced`]). The state after
//! some writes is then the current state with every later write undone,
//! newest first: each undo puts back, on its interval, what the write
//! replaced. Value times no kept write covered come out without points
//! (missing), as the history notes want: "the newest write at or before
//! that time covering it".

use crate::error::Result;
use crate::store::Snapshot;
use crate::types::{Point, Write};

/// Which writes an as-of read undoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undo {
    /// Those committed after this time (ms since the Unix epoch): the
    /// series as of that time.
    After(i64),
    /// Those of this commit and every later one: the series just before
    /// commit `seq`.
    From(u64),
}

impl Undo {
    /// Whether this undoes `write`.
    pub fn undoes(self, write: &Write) -> bool {
        match self {
            Undo::After(ms) => write.commit_ms > ms,
            Undo::From(seq) => write.seq >= seq,
        }
    }
}

/// The points of series `key` in `[start_ms, end_ms)` with the writes
/// `undo` names undone. `writes` are the series' writes meeting the
/// interval, oldest first (as [`Snapshot::writes`] gives them), so callers
/// asking several versions read them once.
pub fn as_of(
    snapshot: &dyn Snapshot,
    key: i64,
    start_ms: i64,
    end_ms: i64,
    writes: &[Write],
    undo: Undo,
) -> Result<Vec<Point>> {
    let mut points = snapshot.read(key, start_ms, end_ms)?;
    for write in writes.iter().rev().filter(|w| undo.undoes(w)) {
        let (a, b) = (write.start_ms.max(start_ms), write.end_ms.min(end_ms));
        if a >= b {
            continue;
        }
        let before = snapshot.replaced(key, write, a, b)?;
        let from = points.partition_point(|p| p.utc_ms < a);
        let to = points.partition_point(|p| p.utc_ms < b);
        points.splice(from..to, before);
    }
    Ok(points)
}

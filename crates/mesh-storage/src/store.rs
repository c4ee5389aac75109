//! The interface between the server and whatever keeps committed series.

use crate::error::Result;
use crate::types::{ChangeSet, CommitStats, Point, SeriesMeta};

/// Durable storage of committed time series.
///
/// The server talks to storage only through this trait, so that the
/// embedded store ([`crate::RedbStore`]) can later be joined by a shared,
/// networked one serving several servers.
///
/// Reads see committed data only; a session's own uncommitted changes are
/// layered on top by [`crate::read_overlay`] and friends.
pub trait TimeseriesStore: Send + Sync + 'static {
    /// The committed metadata of series `key`, if it exists.
    fn series(&self, key: i64) -> Result<Option<SeriesMeta>>;

    /// The committed points of series `key` in `[start_ms, end_ms)`, in
    /// time order. A series without points, or unknown to the store, gives
    /// an empty vector: whether the series exists is [`Self::series`]'s
    /// business.
    fn read(&self, key: i64, start_ms: i64, end_ms: i64) -> Result<Vec<Point>> {
        Ok(self
            .read_ranges(key, &[(start_ms, end_ms)], usize::MAX)?
            .unwrap_or_default())
    }

    /// The committed points of series `key` in each of `ranges` (sorted,
    /// not overlapping), in time order, all from one consistent state; or
    /// `None` as soon as they number more than `max_points`, so that a read
    /// too large to answer is refused without loading it whole.
    fn read_ranges(
        &self,
        key: i64,
        ranges: &[(i64, i64)],
        max_points: usize,
    ) -> Result<Option<Vec<Point>>>;

    /// The key of the committed series whose full path
    /// ([`SeriesMeta::full_path`]) is `full_path`.
    fn series_at_path(&self, full_path: &str) -> Result<Option<i64>>;

    /// The first committed point of series `key` at or after `t_ms`.
    fn first_at_or_after(&self, key: i64, t_ms: i64) -> Result<Option<Point>>;

    /// A key for a new series, never handed out before by this process and
    /// above every committed key. Keys handed out to sessions that never
    /// commit are simply skipped.
    fn allocate_key(&self) -> i64;

    /// Applies `changes` on top of the committed state, atomically (all of
    /// it or none) and durably (on disk before this returns).
    ///
    /// Metadata is written as given. Each series' replaces are applied in
    /// order on top of what is committed at the time of this call, so of
    /// two commits writing the same interval the later one wins. A replace
    /// on a series that has metadata neither in the store nor in `changes`
    /// fails the whole commit with [`crate::StoreError::UnknownSeries`];
    /// metadata whose full path another committed series has fails it with
    /// [`crate::StoreError::PathTaken`].
    fn commit(&self, changes: &ChangeSet) -> Result<CommitStats>;
}

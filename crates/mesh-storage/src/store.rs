//! The contract between the server and whatever keeps committed state.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Result, StoreError};
use crate::history::Undo;
use crate::redb_store::BackupStats;
use crate::types::{ChangeSet, CommitStats, Point, SeriesMeta, TokenRow, Write};

/// Durable storage of everything committed.
///
/// The server talks to storage only through this trait (wrapped in a
/// [`StoreHandle`]), so that the embedded store ([`crate::RedbStore`]) can
/// be joined by a shared one serving several servers. Three operations:
///
/// - [`Store::snapshot`]: a consistent view of the committed state; every
///   read of one request goes through one snapshot, so metadata, points and
///   the point after an interval all come from the same commit.
/// - [`Store::commit`]: a session's [`ChangeSet`], applied whole or not at
///   all, durable before it returns.
/// - [`Store::allocate_key`]: keys for new series, unique for as long as the
///   store lives, whichever server asks.
///
/// The calls may wait for a disk or a network; [`Store::blocks`] says so,
/// and [`StoreHandle`] then runs them where waiting does no harm.
pub trait Store: Send + Sync + 'static {
    /// A consistent, read-only view of the committed state as of now.
    fn snapshot(&self) -> Result<Box<dyn Snapshot>>;

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

    /// A key for a new series, never handed out before by this store to any
    /// server, and above every committed key. Keys handed out to sessions
    /// that never commit are simply skipped. It may fail (a full disk, a
    /// store out of reach) and may have to wait for the store.
    fn allocate_key(&self) -> Result<i64>;

    /// A key as [`Store::allocate_key`] gives, if one is at hand without
    /// waiting (from a reservation in memory, say); `None` otherwise.
    fn try_allocate_key(&self) -> Option<i64> {
        None
    }

    /// Copies everything committed, as of the call, into the new directory
    /// `dir` (which must not exist), while commits go on; a store opened
    /// on `dir` holds exactly that state. Stores that cannot answer
    /// [`StoreError::Unsupported`].
    fn backup(&self, dir: &Path) -> Result<BackupStats> {
        let _ = dir;
        Err(StoreError::Unsupported("make backups"))
    }

    /// Adds (or replaces) the row of an issued access token, durably.
    /// Stores that keep no tokens answer [`StoreError::Unsupported`].
    fn put_token(&self, digest: &[u8; 32], row: &TokenRow) -> Result<()> {
        let _ = (digest, row);
        Err(StoreError::Unsupported("keep access tokens"))
    }

    /// The row of the token with `digest`, if there is one.
    fn token(&self, digest: &[u8; 32]) -> Result<Option<TokenRow>> {
        let _ = digest;
        Ok(None)
    }

    /// Marks a token revoked, durably and in one step (so that servers
    /// sharing the table can revoke each other's tokens); `false` when
    /// there is no such token.
    fn revoke_token(&self, digest: &[u8; 32]) -> Result<bool> {
        let _ = digest;
        Err(StoreError::Unsupported("keep access tokens"))
    }

    /// Drops the rows of tokens that expired before `before_ms`.
    fn remove_expired_tokens(&self, before_ms: i64) -> Result<()> {
        let _ = before_ms;
        Ok(())
    }

    /// Drops the history of commits made before `before_ms` (their writes
    /// and the points those replaced); the current state is untouched.
    /// Afterwards the store answers history from `before_ms` on only
    /// ([`Snapshot::history_since`]). Returns how many writes it dropped.
    fn prune_history(&self, before_ms: i64) -> Result<u64> {
        let _ = before_ms;
        Ok(0)
    }

    /// Every token row, to load at start.
    fn tokens(&self) -> Result<Vec<([u8; 32], TokenRow)>> {
        Ok(Vec::new())
    }

    /// Bytes the store takes on disk, if it knows.
    fn disk_bytes(&self) -> Option<u64> {
        None
    }

    /// Whether the calls above may wait on I/O, so that async callers run
    /// them on a thread where blocking is allowed. True unless a store
    /// answers from memory.
    fn blocks(&self) -> bool {
        true
    }
}

/// A consistent view of the committed state: every call answers as of the
/// moment the snapshot was taken, whatever is committed meanwhile.
pub trait Snapshot: Send {
    /// The metadata of series `key`, if it exists.
    fn series(&self, key: i64) -> Result<Option<SeriesMeta>>;

    /// The key of the series whose full path ([`SeriesMeta::full_path`]) is
    /// `full_path`.
    fn series_at_path(&self, full_path: &str) -> Result<Option<i64>>;

    /// The points of series `key` in each of `ranges` (sorted, not
    /// overlapping), in time order; or `None` as soon as they number more
    /// than `max_points`, so that a read too large to answer is refused
    /// without loading it whole. A series without points, or unknown, gives
    /// none: whether it exists is [`Snapshot::series`]'s business.
    fn read_ranges(
        &self,
        key: i64,
        ranges: &[(i64, i64)],
        max_points: usize,
    ) -> Result<Option<Vec<Point>>>;

    /// Every model record (key and value), in key order: the server reads
    /// them once, at start, to build its model.
    fn records(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;

    /// The first point of series `key` at or after `t_ms`.
    fn first_at_or_after(&self, key: i64, t_ms: i64) -> Result<Option<Point>>;

    /// The committed writes of series `key` whose interval meets
    /// `[start_ms, end_ms)`, oldest first. A store that keeps no history
    /// has none.
    fn writes(&self, key: i64, start_ms: i64, end_ms: i64) -> Result<Vec<Write>> {
        let _ = (key, start_ms, end_ms);
        Ok(Vec::new())
    }

    /// The writes of series `key` meeting `[start_ms, end_ms)` that `undo`
    /// undoes, oldest first: all an as-of read needs. Commits are numbered
    /// in time order, so a store can find them from the newest back and
    /// stop at the first one kept, at a cost of the later writes only.
    fn writes_undone(
        &self,
        key: i64,
        start_ms: i64,
        end_ms: i64,
        undo: Undo,
    ) -> Result<Vec<Write>> {
        let mut writes = self.writes(key, start_ms, end_ms)?;
        writes.retain(|w| undo.undoes(w));
        Ok(writes)
    }

    /// The points `write` of series `key` replaced, inside `[start_ms,
    /// end_ms)`: the series as it was just before that write.
    fn replaced(&self, key: i64, write: &Write, start_ms: i64, end_ms: i64) -> Result<Vec<Point>> {
        let _ = (key, write, start_ms, end_ms);
        Ok(Vec::new())
    }

    /// The earliest time history is kept from: as-of reads of earlier
    /// times cannot be answered, their writes having been pruned.
    /// `i64::MIN` when everything is kept.
    fn history_since(&self) -> Result<i64> {
        Ok(i64::MIN)
    }

    /// The identity that made commit `seq`, if the store knows it.
    fn author(&self, seq: u64) -> Result<Option<String>> {
        let _ = seq;
        Ok(None)
    }

    /// The points of series `key` in `[start_ms, end_ms)`, in time order.
    fn read(&self, key: i64, start_ms: i64, end_ms: i64) -> Result<Vec<Point>> {
        Ok(self
            .read_ranges(key, &[(start_ms, end_ms)], usize::MAX)?
            .unwrap_or_default())
    }
}

/// A [`Store`] for async code: each call runs where the store wants it,
/// on tokio's blocking pool when [`Store::blocks`], inline otherwise, so
/// no caller decides that for itself.
#[derive(Clone)]
pub struct StoreHandle {
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for StoreHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreHandle").finish_non_exhaustive()
    }
}

impl StoreHandle {
    /// Wraps a store.
    pub fn new(store: Arc<dyn Store>) -> StoreHandle {
        StoreHandle { store }
    }

    /// The store itself, for synchronous callers (tests, tools).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Runs `read` on one snapshot of the committed state. The read may
    /// fail with an error of its own, into which store failures convert.
    pub async fn read<T, E, F>(&self, read: F) -> std::result::Result<T, E>
    where
        F: FnOnce(&dyn Snapshot) -> std::result::Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let store = self.store.clone();
        self.run(move || read(&*store.snapshot()?)).await
    }

    /// [`Store::commit`]. `changes` is shared, not copied: a session keeps
    /// reading its pending changes while they are being committed.
    pub async fn commit(&self, changes: Arc<ChangeSet>) -> Result<CommitStats> {
        let store = self.store.clone();
        self.run(move || store.commit(&changes)).await
    }

    /// [`Store::backup`], on the blocking pool when the store blocks.
    pub async fn backup(&self, dir: PathBuf) -> Result<BackupStats> {
        let store = self.store.clone();
        self.run(move || store.backup(&dir)).await
    }

    /// [`Store::prune_history`].
    pub async fn prune_history(&self, before_ms: i64) -> Result<u64> {
        let store = self.store.clone();
        self.run(move || store.prune_history(before_ms)).await
    }

    /// [`Store::allocate_key`]; a key at hand is taken at once, without a
    /// trip to the blocking pool.
    pub async fn allocate_key(&self) -> Result<i64> {
        if let Some(key) = self.store.try_allocate_key() {
            return Ok(key);
        }
        let store = self.store.clone();
        self.run(move || store.allocate_key()).await
    }

    async fn run<T, E, F>(&self, job: F) -> std::result::Result<T, E>
    where
        F: FnOnce() -> std::result::Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        if !self.store.blocks() {
            return job();
        }
        // A job cut short (the runtime shutting down) did nothing that
        // was acknowledged; report it rather than panic.
        tokio::task::spawn_blocking(job)
            .await
            .map_err(|stopped| E::from(StoreError::Backend(Box::new(stopped))))?
    }
}

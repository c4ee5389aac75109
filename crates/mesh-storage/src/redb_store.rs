//! The embedded store: one redb file holding metadata and chunked points.
//!
//! # Layout
//!
//! - `meta`: series key → metadata record (`codec::encode_meta`).
//! - `chunks`: (series key, chunk start ms) → chunk of points
//!   (`codec::encode_chunk`). A chunk's start is the timestamp of its first
//!   point, and a chunk holds points from its start up to (not including)
//!   the start of the series' next chunk, so the chunk that may hold time
//!   `t` is the last one whose start is at most `t`: one step of a range
//!   scan, whatever the size of the series or the file.
//! - `paths`: full path (`SeriesMeta::full_path`) → series key, so that no
//!   two committed series share a path.
//! - `info`: the layout version, checked on open; the last commit's number
//!   and time.
//! - History (`history.rs`): `commits`: commit number → its time and
//!   author; `writes`: (series key, commit number, part) → the replaced
//!   interval; `replaced`: (series key, commit number, part, chunk start)
//!   → the points that write replaced, in chunks of the same codec. A
//!   series written once adds one `writes` row: only overwritten points are
//!   kept twice.
//!
//! # Chunk sizes
//!
//! A chunk holds at most `max_chunk_points` points (8192 by default) and
//! takes at most `max_chunk_bytes` encoded (just under 8 KiB by default):
//! small enough that rewriting one is cheap, large enough that per-chunk
//! overhead is negligible. The bounds are on count and size, not on time
//! span, so dense and sparse series both get full chunks.
//!
//! The byte bound matters because of how redb stores values: a leaf page
//! holding a single large value is allocated in a power of two of 4 KiB
//! pages, so a value of 8.3 KiB occupies 16 KiB. With 4096-point chunks of
//! decimal data (about 8.2 KiB each) half the file was padding; a chunk
//! that fits 8 KiB exactly (value + 24 bytes of header and key) wastes
//! next to nothing when full. Long writes are cut into nearly full chunks.
//!
//! Writes cut long runs into full chunks. A rewrite that would leave a
//! short chunk (below a quarter of both limits) merges it with a
//! neighbour, or shares points with the chunk before it; only a series'
//! last chunk may stay short, since appends grow it. So writes that trickle
//! in point by point do not pile up tiny chunks.

use std::ops::Bound;
use std::path::{Path, PathBuf};

use redb::{Database, Durability, ReadableTable, Table, TableDefinition, WriteTransaction};

use crate::codec;
use crate::error::{Result, StoreError};
use crate::history::Undo;
use crate::keys::KeyReserve;
use crate::store::{Snapshot, Store};
use crate::types::{ChangeSet, CommitStats, Point, Replace, SeriesMeta, TokenRow, Write};

mod backup;
mod history;
mod tokens;
pub use backup::BackupStats;

const META: TableDefinition<i64, &[u8]> = TableDefinition::new("meta");
const CHUNKS: TableDefinition<(i64, i64), &[u8]> = TableDefinition::new("chunks");
const INFO: TableDefinition<&str, u64> = TableDefinition::new("info");
const PATHS: TableDefinition<&str, i64> = TableDefinition::new("paths");
/// The model's records (opaque here), by key.
const RECORDS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("model_records");
/// Access tokens the server issued, by SHA-256 digest ([`TokenRow`]).
const TOKENS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("access_tokens");

const LAYOUT_KEY: &str = "layout_version";
/// In `info`: the first series key no reservation has had yet.
const NEXT_KEY: &str = "next_key";
// 2: chunk format 2 (a value encoding byte). Files of layout 1 only ever
// existed in development builds.
// 3: the `paths` index. Opening a layout 2 file builds it.
// 4: history (`commits`, `writes`, `replaced`). A layout 3 file opens with
//    empty history: its past writes were never kept.
const LAYOUT_VERSION: u64 = 4;

/// Tuning of a [`RedbStore`]; the defaults suit production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// The most points a chunk may hold (at least 4). Tests use small
    /// values to exercise splitting and merging with little data.
    pub max_chunk_points: usize,
    /// The most bytes an encoded chunk may take (at least 64).
    pub max_chunk_bytes: usize,
    /// Save the allocator state with every commit, so that opening after a
    /// crash takes moments instead of a walk over the whole file (about
    /// 1 s per GB). It makes each commit about ten times slower (measured
    /// 0.17 ms → 1.6 ms in release), so it is off by default; turn it on
    /// for very large stores where restart time matters more.
    pub quick_repair: bool,
    /// Memory for cached pages of the file. The cache fills as data is read
    /// and written and stays, so this bounds the store's share of the
    /// process's resident memory.
    pub cache_size_bytes: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_chunk_points: 8192,
            // A full chunk with its key and the page header (24 bytes)
            // fills one 8 KiB database page, with a little to spare (see
            // the module docs).
            max_chunk_bytes: 8192 - 64,
            quick_repair: false,
            cache_size_bytes: 1024 * 1024 * 1024,
        }
    }
}

/// One stored chunk, as reported by [`RedbStore::chunks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkInfo {
    pub start_ms: i64,
    pub points: usize,
    /// Encoded size of the chunk (not counting the database's overhead).
    pub bytes: usize,
}

/// Space taken by a store, as reported by [`RedbStore::space`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpaceUsage {
    /// Size of the file, free space included.
    pub file_bytes: u64,
    /// Pages in use by the current state.
    pub allocated_bytes: u64,
    /// Keys and values stored.
    pub stored_bytes: u64,
    /// Index and other bookkeeping.
    pub metadata_bytes: u64,
    /// Space lost to fragmentation, as redb counts it.
    pub fragmented_bytes: u64,
}

/// The embedded [`Store`], kept in `timeseries.redb` in a
/// directory.
pub struct RedbStore {
    db: Database,
    path: PathBuf,
    keys: KeyReserve,
    max_points: usize,
    max_bytes: usize,
    quick_repair: bool,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore")
            .field("path", &self.path)
            .field("max_points", &self.max_points)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

/// One entry of a range scan over the chunk table.
type ChunkEntry<'a> = std::result::Result<
    (
        redb::AccessGuard<'a, (i64, i64)>,
        redb::AccessGuard<'a, &'static [u8]>,
    ),
    redb::StorageError,
>;

/// The chunk table as seen by a read or a write transaction.
trait ChunkTable: ReadableTable<(i64, i64), &'static [u8]> {}
impl<T: ReadableTable<(i64, i64), &'static [u8]>> ChunkTable for T {}

impl RedbStore {
    /// Name of the database file inside the store's directory.
    pub const FILE_NAME: &'static str = "timeseries.redb";

    /// Opens the store in `dir`, creating the directory and the file if
    /// needed. After a crash, opening also recovers the file.
    pub fn open(dir: &Path) -> Result<Self> {
        Self::open_with(dir, StoreOptions::default())
    }

    pub fn open_with(dir: &Path, options: StoreOptions) -> Result<Self> {
        let path = dir.join(Self::FILE_NAME);
        let open_error = |source: Box<dyn std::error::Error + Send + Sync>| StoreError::Open {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_error(Box::new(e)))?;
        // After a crash, opening recovers the file, reading every page of
        // it through the cache, which then holds the whole file (up to its
        // size) though nothing asked for it: a server restarted after a
        // SIGKILL held 1 GB more than after a clean stop. So a recovering
        // open is closed again (a clean close) and the file opened anew,
        // with an empty cache.
        let repaired = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let db = {
            let repaired = repaired.clone();
            Self::builder(options)
                .set_repair_callback(move |_| {
                    repaired.store(true, std::sync::atomic::Ordering::Relaxed)
                })
                .create(&path)
                .map_err(|e| open_error(Box::new(redb::Error::from(e))))?
        };
        let db = if repaired.load(std::sync::atomic::Ordering::Relaxed) {
            drop(db);
            Self::builder(options)
                .create(&path)
                .map_err(|e| open_error(Box::new(redb::Error::from(e))))?
        } else {
            db
        };

        let txn = db.begin_write()?;
        let max_key = {
            let mut info = txn.open_table(INFO)?;
            let found = info.get(LAYOUT_KEY)?.map(|v| v.value());
            match found {
                None => {
                    info.insert(LAYOUT_KEY, LAYOUT_VERSION)?;
                }
                Some(LAYOUT_VERSION) => {}
                Some(2) => {
                    index_paths(&txn)?;
                    info.insert(LAYOUT_KEY, LAYOUT_VERSION)?;
                }
                Some(3) => {
                    info.insert(LAYOUT_KEY, LAYOUT_VERSION)?;
                }
                Some(found) => {
                    return Err(StoreError::UnsupportedLayout {
                        path,
                        found,
                        supported: LAYOUT_VERSION,
                    })
                }
            }
            txn.open_table(CHUNKS)?;
            txn.open_table(PATHS)?;
            txn.open_table(RECORDS)?;
            txn.open_table(TOKENS)?;
            history::create_tables(&txn)?;
            let meta = txn.open_table(META)?;
            let last = meta.last()?.map(|(k, _)| k.value());
            last
        };
        txn.commit()?;

        Ok(RedbStore {
            db,
            path,
            keys: KeyReserve::new(max_key.map_or(1, |k| k.saturating_add(1)).max(1)),
            max_points: options.max_chunk_points.max(4),
            max_bytes: options.max_chunk_bytes.max(64),
            quick_repair: options.quick_repair,
        })
    }

    fn builder(options: StoreOptions) -> redb::Builder {
        let mut builder = Database::builder();
        // The v3 file format is the only one redb 3 and later read, so files
        // created now survive an upgrade of the dependency.
        builder
            .create_with_file_format_v3(true)
            .set_cache_size(options.cache_size_bytes);
        builder
    }

    /// Reserves `count` keys durably: the first key no reservation has
    /// had yet is kept in the file, so keys stay unique across restarts and
    /// whichever process (or server) reserves next. Returns the first.
    fn reserve_keys(&self, count: i64) -> Result<i64> {
        let txn = self.db.begin_write()?;
        let first = {
            let mut info = txn.open_table(INFO)?;
            let reserved = info.get(NEXT_KEY)?.map_or(1, |v| v.value());
            let committed = txn
                .open_table(META)?
                .last()?
                .map_or(1, |(key, _)| key.value().saturating_add(1));
            let first = u64::try_from(committed.max(1)).unwrap_or(1).max(reserved);
            let after = first
                .checked_add(count.unsigned_abs())
                .filter(|after| i64::try_from(*after).is_ok())
                .ok_or(StoreError::KeysExhausted)?;
            info.insert(NEXT_KEY, after)?;
            first
        };
        txn.commit()?;
        i64::try_from(first).map_err(|_| StoreError::KeysExhausted)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every chunk of series `key`, decoded and checked, for inspection
    /// and tests. Costs a full scan of the series.
    pub fn chunks(&self, key: i64) -> Result<Vec<ChunkInfo>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(CHUNKS)?;
        let mut out = Vec::new();
        let mut points = Vec::new();
        let mut previous_last: Option<i64> = None;
        for entry in table.range((key, i64::MIN)..=(key, i64::MAX))? {
            let (k, v) = entry?;
            let start = k.value().1;
            points.clear();
            decode(key, start, v.value(), &mut points)?;
            if previous_last.is_some_and(|t| t >= start) {
                return Err(corrupt(key, start, "chunk overlaps the one before"));
            }
            previous_last = points.last().map(|p| p.utc_ms);
            out.push(ChunkInfo {
                start_ms: start,
                points: points.len(),
                bytes: v.value().len(),
            });
        }
        Ok(out)
    }

    /// How much space the store takes. Waits for a commit in progress.
    pub fn space(&self) -> Result<SpaceUsage> {
        let txn = self.db.begin_write()?;
        let stats = txn.stats()?;
        txn.abort()?;
        let file_bytes = std::fs::metadata(&self.path)
            .map_err(|e| StoreError::Backend(Box::new(e)))?
            .len();
        Ok(SpaceUsage {
            file_bytes,
            allocated_bytes: stats.allocated_pages() * stats.page_size() as u64,
            stored_bytes: stats.stored_bytes(),
            metadata_bytes: stats.metadata_bytes(),
            fragmented_bytes: stats.fragmented_bytes(),
        })
    }

    fn apply(&self, txn: &WriteTransaction, changes: &ChangeSet) -> Result<CommitStats> {
        let mut stats = CommitStats::default();
        let commit = history::begin_commit(txn, &changes.author)?;
        stats.seq = commit.seq;
        stats.commit_ms = commit.commit_ms;
        let mut log = history::Log::open(txn, commit)?;
        let mut meta = txn.open_table(META)?;
        let mut chunks = txn.open_table(CHUNKS)?;
        let mut paths = txn.open_table(PATHS)?;
        for (&key, change) in &changes.series {
            stats.series += 1;
            match &change.meta {
                Some(m) => {
                    let path = m.full_path();
                    if let Some(existing) = paths.get(path.as_str())?.map(|k| k.value()) {
                        if existing != key {
                            return Err(StoreError::PathTaken { path, existing });
                        }
                    }
                    let previous = meta.insert(key, codec::encode_meta(m).as_slice())?;
                    if let Some(previous) = previous {
                        let previous = codec::decode_meta(previous.value())
                            .map_err(|reason| StoreError::CorruptMeta { key, reason })?;
                        if previous.full_path() != path {
                            paths.remove(previous.full_path().as_str())?;
                        }
                    }
                    paths.insert(path.as_str(), key)?;
                    stats.metas_written += 1;
                }
                None if change.replaces.is_empty() => {}
                None => {
                    if meta.get(key)?.is_none() {
                        return Err(StoreError::UnknownSeries { key });
                    }
                }
            }
            for (part, r) in change.replaces.iter().enumerate() {
                let part = u32::try_from(part).unwrap_or(u32::MAX);
                self.apply_replace(&mut chunks, &mut log, key, part, r, &mut stats)?;
            }
        }
        let mut records = txn.open_table(RECORDS)?;
        for (key, value) in &changes.records {
            match value {
                Some(value) => records.insert(key.as_slice(), value.as_slice())?,
                None => records.remove(key.as_slice())?,
            };
            stats.records_written += 1;
        }
        Ok(stats)
    }

    /// Replaces `[r.start_ms, r.end_ms)` of series `key`, decoding and
    /// rewriting only the chunks that hold points of the interval, plus at
    /// most one neighbour on each side when something short has to be
    /// merged. Chunks lying wholly inside the interval are deleted unread.
    fn apply_replace(
        &self,
        table: &mut Table<(i64, i64), &'static [u8]>,
        log: &mut history::Log<'_>,
        key: i64,
        part: u32,
        r: &Replace,
        stats: &mut CommitStats,
    ) -> Result<()> {
        stats.replaces += 1;
        stats.points_written += r.points.len() as u64;
        let (s, e) = (r.start_ms, r.end_ms);
        if s >= e {
            return Ok(());
        }
        // The chunk starting before the interval; its tail may reach into it.
        let left = chunk_before(table, key, s)?;
        // The last chunk starting inside the interval; its tail may reach
        // beyond the interval's end and must be kept.
        let last_inner = table
            .range((Bound::Included((key, s)), Bound::Excluded((key, e))))?
            .next_back()
            .map(|entry| decode_entry(key, entry))
            .transpose()?;
        // History first, while the points this write replaces are still
        // where they were; the two chunks at its ends are decoded already.
        log.record(table, key, part, (s, e), left.as_ref(), last_inner.as_ref())?;
        let mut removed = 0u64;
        table.retain_in(
            (Bound::Included((key, s)), Bound::Excluded((key, e))),
            |_, _| {
                removed += 1;
                false
            },
        )?;
        stats.chunks_removed += removed;

        // The run to write: what `left` keeps before the interval (if it
        // reaches into it), the new points, and what the last chunk that
        // started before `e` holds from `e` on.
        let mut run: Vec<Point> = Vec::new();
        let mut left_in_run = false;
        if let Some(l) = &left {
            if l.points.last().is_some_and(|p| p.utc_ms >= s) {
                run.extend_from_slice(&l.points[..l.points.partition_point(|p| p.utc_ms < s)]);
                table.remove((key, l.start))?;
                stats.chunks_removed += 1;
                left_in_run = true;
            }
        }
        run.extend_from_slice(&r.points);
        let tail_source = match &last_inner {
            Some(c) => Some(&c.points),
            None if left_in_run => left.as_ref().map(|l| &l.points),
            None => None,
        };
        if let Some(points) = tail_source {
            run.extend_from_slice(&points[points.partition_point(|p| p.utc_ms < e)..]);
        }

        // Merge with a neighbour (at most one each side, so the cost stays
        // bounded) when the run is short, or when the chunk before is short,
        // which it may only be while it is its series' last one.
        //
        // The neighbour before is `left`, or, when `left` is already part of
        // the run, the chunk before that one (not short, as `left` exists).
        let only_next_may_exist = left.is_none() && removed == 0;
        let mut run_short = !run.is_empty() && self.run_is_short(&run);
        if !run.is_empty() {
            let previous = match left {
                Some(l) if !left_in_run => Some(l).filter(|l| run_short || self.is_short(l)),
                _ if run_short => chunk_before(table, key, s)?,
                _ => None,
            };
            if let Some(mut previous) = previous {
                table.remove((key, previous.start))?;
                stats.chunks_removed += 1;
                previous.points.extend_from_slice(&run);
                run = previous.points;
                run_short = self.run_is_short(&run);
            }
        }
        // Likewise the neighbour after, which is looked at only when the run
        // is short, or when it may be the series' only chunk (and short).
        if !run.is_empty() && (run_short || only_next_may_exist) {
            if let Some(next) = chunk_at_or_after(table, key, e)? {
                if run_short || self.is_short(&next) {
                    table.remove((key, next.start))?;
                    stats.chunks_removed += 1;
                    run.extend_from_slice(&next.points);
                }
            }
        }

        if !run.is_empty() {
            self.write_run(table, key, &run, stats)?;
        }
        Ok(())
    }

    /// Whether a stored chunk is short: below a quarter of both limits.
    fn is_short(&self, chunk: &Decoded) -> bool {
        self.short(chunk.points.len(), chunk.bytes)
    }

    fn short(&self, points: usize, bytes: usize) -> bool {
        points < self.max_points / 4 && bytes < self.max_bytes / 4
    }

    /// Whether points about to be written would make a short chunk. Only
    /// encodes when the count alone does not decide, so only small runs.
    fn run_is_short(&self, run: &[Point]) -> bool {
        run.len() < self.max_points / 4 && codec::encode_chunk(run).len() < self.max_bytes / 4
    }

    /// Writes points as chunks within both limits: full chunks (they fill
    /// their database pages best), then the rest. A short rest is only
    /// left at the end of the series, where appends will grow it; anywhere
    /// else the last two chunks share the points evenly instead.
    fn write_run(
        &self,
        table: &mut Table<(i64, i64), &'static [u8]>,
        key: i64,
        run: &[Point],
        stats: &mut CommitStats,
    ) -> Result<()> {
        let mut pieces: Vec<(usize, Vec<u8>)> = Vec::new();
        let mut bytes_per_point = 0.0;
        let mut at = 0;
        while at < run.len() {
            let (len, bytes) = self.take_piece(&run[at..], self.max_bytes, &mut bytes_per_point);
            pieces.push((len, bytes));
            at += len;
        }
        let last_short = pieces
            .last()
            .is_some_and(|(len, bytes)| self.short(*len, bytes.len()));
        if pieces.len() >= 2 && last_short {
            let last = run.last().map_or(i64::MAX, |p| p.utc_ms);
            let at_end = match last.checked_add(1) {
                Some(after) => table
                    .range((key, after)..=(key, i64::MAX))?
                    .next()
                    .is_none(),
                None => true,
            };
            if !at_end {
                let (short_len, _) = pieces.pop().unwrap_or_default();
                let (full_len, _) = pieces.pop().unwrap_or_default();
                let from = run.len() - short_len - full_len;
                let both = &run[from..];
                // Half of the points each; they hold more than a full chunk
                // (of points or of bytes), so neither half is short.
                let half = both.len() / 2;
                let first = codec::encode_chunk(&both[..half]);
                let second = codec::encode_chunk(&both[half..]);
                if first.len() <= self.max_bytes && second.len() <= self.max_bytes {
                    pieces.push((half, first));
                    pieces.push((both.len() - half, second));
                } else {
                    // The values compress unevenly: half of the bytes in
                    // the first piece, the rest after it.
                    let target = (first.len() + second.len()) / 2;
                    let (len, bytes) = self.take_piece(both, target.min(self.max_bytes), &mut 0.0);
                    pieces.push((len, bytes));
                    let mut at = from + len;
                    while at < run.len() {
                        let (len, bytes) = self.take_piece(&run[at..], self.max_bytes, &mut 0.0);
                        pieces.push((len, bytes));
                        at += len;
                    }
                }
            }
        }
        let mut at = 0;
        for (len, bytes) in pieces {
            let start = run[at].utc_ms;
            // Every chunk the run's points came from was removed, so a
            // chunk still there at this start would mean a broken layout;
            // fail (and abort the transaction) rather than drop its points.
            if table.insert((key, start), bytes.as_slice())?.is_some() {
                return Err(corrupt(key, start, "two chunks start at the same time"));
            }
            stats.chunks_written += 1;
            at += len;
        }
        Ok(())
    }

    /// The longest prefix of `rest` (at most `max_points` points) whose
    /// encoding fits in `target` bytes, to within about 3 %, and that
    /// encoding.
    ///
    /// Sizes are not additive per point (runs, the per-chunk choice of
    /// value encoding), so candidates are encoded. The first guess comes
    /// from `bytes_per_point` (what the previous piece cost; 0 if unknown),
    /// later ones interpolate between the longest prefix known to fit and
    /// the shortest known not to: two or three encodings of about one
    /// chunk each when the values compress evenly.
    fn take_piece(
        &self,
        rest: &[Point],
        target: usize,
        bytes_per_point: &mut f64,
    ) -> (usize, Vec<u8>) {
        let cap = rest.len().min(self.max_points);
        // Longest known to fit (0: none yet) and shortest known not to
        // (`cap + 1`: none yet), with their sizes.
        let mut fit: (usize, Vec<u8>) = (0, Vec::new());
        let (mut miss, mut miss_bytes) = (cap + 1, f64::INFINITY);
        let mut guess = if *bytes_per_point > 0.0 {
            (target as f64 / *bytes_per_point * 0.98) as usize
        } else {
            cap
        };
        loop {
            let guess_now = guess.clamp(fit.0 + 1, miss - 1);
            let bytes = codec::encode_chunk(&rest[..guess_now]);
            if bytes.len() <= target {
                fit = (guess_now, bytes);
            } else {
                (miss, miss_bytes) = (guess_now, bytes.len() as f64);
            }
            let gap = miss - fit.0;
            if gap <= 1 || (fit.0 > 0 && gap <= fit.0 / 32) {
                break;
            }
            // Next guess: along the line through what is known.
            let (lo, lo_bytes) = (fit.0 as f64, fit.1.len() as f64);
            guess = if miss > cap {
                // Everything tried fits: extrapolate, perhaps to `cap`.
                (lo * target as f64 / lo_bytes.max(1.0)) as usize
            } else {
                let slope = (miss_bytes - lo_bytes) / (miss as f64 - lo);
                (lo + (target as f64 - lo_bytes) / slope * 0.99) as usize
            };
        }
        if fit.0 == 0 {
            // One point always fits: it encodes to under 64 bytes, and
            // targets are at least that.
            fit = (1, codec::encode_chunk(&rest[..1]));
        }
        *bytes_per_point = fit.1.len() as f64 / fit.0 as f64;
        fit
    }
}

impl Store for RedbStore {
    fn snapshot(&self) -> Result<Box<dyn Snapshot>> {
        Ok(Box::new(RedbSnapshot {
            txn: self.db.begin_read()?,
        }))
    }

    fn allocate_key(&self) -> Result<i64> {
        self.keys.next(|count| self.reserve_keys(count))
    }

    fn try_allocate_key(&self) -> Option<i64> {
        self.keys.try_next()
    }

    fn backup(&self, dir: &Path) -> Result<BackupStats> {
        self.backup_to(dir)
    }

    fn prune_history(&self, before_ms: i64) -> Result<u64> {
        self.prune_history_before(before_ms)
    }

    fn disk_bytes(&self) -> Option<u64> {
        self.file_bytes().ok()
    }

    fn put_token(&self, digest: &[u8; 32], row: &TokenRow) -> Result<()> {
        self.put_token_row(digest, row)
    }

    fn token(&self, digest: &[u8; 32]) -> Result<Option<TokenRow>> {
        self.token_row(digest)
    }

    fn revoke_token(&self, digest: &[u8; 32]) -> Result<bool> {
        self.revoke_token_row(digest)
    }

    fn remove_expired_tokens(&self, before_ms: i64) -> Result<()> {
        self.remove_expired_token_rows(before_ms)
    }

    fn tokens(&self) -> Result<Vec<([u8; 32], TokenRow)>> {
        self.token_rows()
    }

    fn commit(&self, changes: &ChangeSet) -> Result<CommitStats> {
        if changes.is_empty() {
            return Ok(CommitStats::default());
        }
        // Check everything that needs no reading first, so that a bad change
        // set costs no transaction.
        for (&key, change) in &changes.series {
            if let Some(meta) = &change.meta {
                if meta.key != key {
                    return Err(StoreError::InvalidChange {
                        key,
                        reason: format!("metadata names series {}", meta.key),
                    });
                }
            }
            for r in &change.replaces {
                r.validate()
                    .map_err(|reason| StoreError::InvalidChange { key, reason })?;
            }
        }

        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate);
        txn.set_quick_repair(self.quick_repair);
        let stats = match self.apply(&txn, changes) {
            Ok(stats) => stats,
            Err(e) => {
                // Nothing of this change set becomes visible.
                let _ = txn.abort();
                return Err(e);
            }
        };
        txn.commit()?;

        // Series created with keys the allocator did not hand out (tests,
        // tools) must not be handed out later.
        if let Some((&max, _)) = changes.series.iter().rev().find(|(_, c)| c.meta.is_some()) {
            self.keys.skip_past(max);
        }
        Ok(stats)
    }
}

/// One read transaction of a [`RedbStore`]: redb keeps the state it began
/// with for as long as it lives.
struct RedbSnapshot {
    txn: redb::ReadTransaction,
}

impl Snapshot for RedbSnapshot {
    fn series(&self, key: i64) -> Result<Option<SeriesMeta>> {
        let table = self.txn.open_table(META)?;
        let Some(bytes) = table.get(key)? else {
            return Ok(None);
        };
        let meta = codec::decode_meta(bytes.value())
            .map_err(|reason| StoreError::CorruptMeta { key, reason })?;
        if meta.key != key {
            return Err(StoreError::CorruptMeta {
                key,
                reason: format!("record names series {}", meta.key),
            });
        }
        Ok(Some(meta))
    }

    fn writes(&self, key: i64, start_ms: i64, end_ms: i64) -> Result<Vec<Write>> {
        self.history_writes(key, start_ms, end_ms)
    }

    fn writes_undone(
        &self,
        key: i64,
        start_ms: i64,
        end_ms: i64,
        undo: Undo,
    ) -> Result<Vec<Write>> {
        self.history_writes_undone(key, start_ms, end_ms, undo)
    }

    fn replaced(&self, key: i64, write: &Write, start_ms: i64, end_ms: i64) -> Result<Vec<Point>> {
        self.history_replaced(key, write, start_ms, end_ms)
    }

    fn author(&self, seq: u64) -> Result<Option<String>> {
        self.history_author(seq)
    }

    fn history_since(&self) -> Result<i64> {
        self.history_kept_since()
    }

    fn read_ranges(
        &self,
        key: i64,
        ranges: &[(i64, i64)],
        max_points: usize,
    ) -> Result<Option<Vec<Point>>> {
        let mut out = Vec::new();
        let table = self.txn.open_table(CHUNKS)?;
        let mut scratch = Vec::new();
        for &(start_ms, end_ms) in ranges {
            if start_ms >= end_ms {
                continue;
            }
            // The chunk that may hold `start_ms`, then every chunk starting
            // inside the interval; only the first and the last of them can
            // hold points outside it.
            let first = table.range((key, i64::MIN)..=(key, start_ms))?.next_back();
            let rest = table.range((
                Bound::Excluded((key, start_ms)),
                Bound::Excluded((key, end_ms)),
            ))?;
            for entry in first.into_iter().chain(rest) {
                let (k, v) = entry?;
                scratch.clear();
                decode(key, k.value().1, v.value(), &mut scratch)?;
                let from = scratch.partition_point(|p| p.utc_ms < start_ms);
                let to = scratch.partition_point(|p| p.utc_ms < end_ms);
                out.extend_from_slice(&scratch[from..to]);
                // Stop at the first chunk past the limit: a refused read
                // costs at most one chunk more than an allowed one.
                if out.len() > max_points {
                    return Ok(None);
                }
            }
        }
        Ok(Some(out))
    }

    fn records(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let table = self.txn.open_table(RECORDS)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (key, value) = entry?;
            out.push((key.value().to_vec(), value.value().to_vec()));
        }
        Ok(out)
    }

    fn series_at_path(&self, full_path: &str) -> Result<Option<i64>> {
        let table = self.txn.open_table(PATHS)?;
        Ok(table.get(full_path)?.map(|key| key.value()))
    }

    fn first_at_or_after(&self, key: i64, t_ms: i64) -> Result<Option<Point>> {
        let table = self.txn.open_table(CHUNKS)?;
        if let Some(chunk) = chunk_before_or_at(&table, key, t_ms)? {
            if let Some(p) = chunk.points.iter().find(|p| p.utc_ms >= t_ms) {
                return Ok(Some(*p));
            }
        }
        // Every later chunk starts with a point after `t_ms`.
        let next = match t_ms.checked_add(1) {
            Some(t) => chunk_at_or_after(&table, key, t)?,
            None => None,
        };
        Ok(next.map(|chunk| chunk.points[0]))
    }
}

/// Fills the `paths` index from the metadata, for files of layout 2. Such
/// files may already hold two series with one path (nothing refused it
/// then); the index names the lower key, and the other stays reachable by
/// its key.
fn index_paths(txn: &WriteTransaction) -> Result<()> {
    let meta = txn.open_table(META)?;
    let mut paths = txn.open_table(PATHS)?;
    for entry in meta.iter()? {
        let (key, bytes) = entry?;
        let key = key.value();
        let record = codec::decode_meta(bytes.value())
            .map_err(|reason| StoreError::CorruptMeta { key, reason })?;
        let path = record.full_path();
        if paths.get(path.as_str())?.is_none() {
            paths.insert(path.as_str(), key)?;
        }
    }
    Ok(())
}

fn corrupt(key: i64, chunk_start_ms: i64, reason: impl Into<String>) -> StoreError {
    StoreError::CorruptChunk {
        key,
        chunk_start_ms,
        reason: reason.into(),
    }
}

/// Decodes one chunk into `out` (cleared by the caller), checking that it
/// starts where its key says.
fn decode(key: i64, start: i64, bytes: &[u8], out: &mut Vec<Point>) -> Result<()> {
    let base = out.len();
    codec::decode_chunk(bytes, out).map_err(|reason| corrupt(key, start, reason))?;
    if out[base].utc_ms != start {
        return Err(corrupt(
            key,
            start,
            format!("first point is at {} ms", out[base].utc_ms),
        ));
    }
    Ok(())
}

/// A chunk read back: its start, its points and its encoded size.
pub(super) struct Decoded {
    start: i64,
    points: Vec<Point>,
    bytes: usize,
}

fn decode_entry(key: i64, entry: ChunkEntry<'_>) -> Result<Decoded> {
    let (k, v) = entry?;
    let start = k.value().1;
    let mut points = Vec::new();
    decode(key, start, v.value(), &mut points)?;
    Ok(Decoded {
        start,
        points,
        bytes: v.value().len(),
    })
}

/// The last chunk of `key` starting strictly before `t`.
fn chunk_before(table: &impl ChunkTable, key: i64, t: i64) -> Result<Option<Decoded>> {
    table
        .range((key, i64::MIN)..(key, t))?
        .next_back()
        .map(|entry| decode_entry(key, entry))
        .transpose()
}

/// The last chunk of `key` starting at or before `t`: the one that may hold `t`.
fn chunk_before_or_at(table: &impl ChunkTable, key: i64, t: i64) -> Result<Option<Decoded>> {
    table
        .range((key, i64::MIN)..=(key, t))?
        .next_back()
        .map(|entry| decode_entry(key, entry))
        .transpose()
}

/// The first chunk of `key` starting at or after `t`.
fn chunk_at_or_after(table: &impl ChunkTable, key: i64, t: i64) -> Result<Option<Decoded>> {
    table
        .range((key, t)..=(key, i64::MAX))?
        .next()
        .map(|entry| decode_entry(key, entry))
        .transpose()
}

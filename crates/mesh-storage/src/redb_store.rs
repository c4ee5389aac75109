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
//! - `info`: the layout version, checked on open.
//!
//! # Chunk sizes
//!
//! Chunks hold at most `max_chunk_points` points (4096 by default: a few
//! kilobytes, so rewriting one is cheap, yet enough that per-chunk overhead
//! is negligible). Chunks are bounded by count, not by time span, so dense
//! and sparse series both get full chunks. A rewrite that would leave a
//! chunk with fewer than a quarter of the maximum merges it with a
//! neighbour; hence every chunk of a series holds at least that many
//! points unless the series has only one chunk, and writes that trickle in
//! point by point do not pile up tiny chunks.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};

use redb::{Database, Durability, ReadableTable, Table, TableDefinition, WriteTransaction};

use crate::codec;
use crate::error::{Result, StoreError};
use crate::store::TimeseriesStore;
use crate::types::{ChangeSet, CommitStats, Point, Replace, SeriesMeta};

const META: TableDefinition<i64, &[u8]> = TableDefinition::new("meta");
const CHUNKS: TableDefinition<(i64, i64), &[u8]> = TableDefinition::new("chunks");
const INFO: TableDefinition<&str, u64> = TableDefinition::new("info");

const LAYOUT_KEY: &str = "layout_version";
const LAYOUT_VERSION: u64 = 1;

/// Tuning of a [`RedbStore`]; the defaults suit production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// The most points a chunk may hold (at least 4). Tests use small
    /// values to exercise splitting and merging with little data.
    pub max_chunk_points: usize,
    /// Save the allocator state with every commit, so that opening after a
    /// crash takes moments instead of a walk over the whole file (about
    /// 1 s per GB). It makes each commit about ten times slower (measured
    /// 0.17 ms → 1.6 ms in release), so it is off by default; turn it on
    /// for very large stores where restart time matters more.
    pub quick_repair: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_chunk_points: 4096,
            quick_repair: false,
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

/// The embedded [`TimeseriesStore`], kept in `timeseries.redb` in a
/// directory.
pub struct RedbStore {
    db: Database,
    path: PathBuf,
    next_key: AtomicI64,
    max_chunk: usize,
    min_chunk: usize,
    quick_repair: bool,
}

impl std::fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbStore")
            .field("path", &self.path)
            .field("max_chunk", &self.max_chunk)
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
        // The v3 file format is the only one redb 3 and later read, so files
        // created now survive an upgrade of the dependency.
        let db = Database::builder()
            .create_with_file_format_v3(true)
            .create(&path)
            .map_err(|e| open_error(Box::new(redb::Error::from(e))))?;

        let txn = db.begin_write()?;
        let max_key = {
            let mut info = txn.open_table(INFO)?;
            let found = info.get(LAYOUT_KEY)?.map(|v| v.value());
            match found {
                None => {
                    info.insert(LAYOUT_KEY, LAYOUT_VERSION)?;
                }
                Some(LAYOUT_VERSION) => {}
                Some(found) => {
                    return Err(StoreError::UnsupportedLayout {
                        path,
                        found,
                        supported: LAYOUT_VERSION,
                    })
                }
            }
            txn.open_table(CHUNKS)?;
            let meta = txn.open_table(META)?;
            let last = meta.last()?.map(|(k, _)| k.value());
            last
        };
        txn.commit()?;

        let max_chunk = options.max_chunk_points.max(4);
        Ok(RedbStore {
            db,
            path,
            next_key: AtomicI64::new(max_key.map_or(1, |k| k.saturating_add(1)).max(1)),
            max_chunk,
            min_chunk: max_chunk / 4,
            quick_repair: options.quick_repair,
        })
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

    fn apply(&self, txn: &WriteTransaction, changes: &ChangeSet) -> Result<CommitStats> {
        let mut stats = CommitStats::default();
        let mut meta = txn.open_table(META)?;
        let mut chunks = txn.open_table(CHUNKS)?;
        for (&key, change) in &changes.series {
            stats.series += 1;
            match &change.meta {
                Some(m) => {
                    meta.insert(key, codec::encode_meta(m).as_slice())?;
                    stats.metas_written += 1;
                }
                None if change.replaces.is_empty() => {}
                None => {
                    if meta.get(key)?.is_none() {
                        return Err(StoreError::UnknownSeries { key });
                    }
                }
            }
            for r in &change.replaces {
                self.apply_replace(&mut chunks, key, r, &mut stats)?;
            }
        }
        Ok(stats)
    }

    /// Replaces `[r.start_ms, r.end_ms)` of series `key`, decoding and
    /// rewriting only the chunks that hold points of the interval, plus at
    /// most one neighbour on each side when a small remainder has to be
    /// merged. Chunks lying wholly inside the interval are deleted unread.
    fn apply_replace(
        &self,
        table: &mut Table<(i64, i64), &'static [u8]>,
        key: i64,
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
        let last_inner = match table
            .range((Bound::Included((key, s)), Bound::Excluded((key, e))))?
            .next_back()
        {
            Some(entry) => {
                let (k, v) = entry?;
                let start = k.value().1;
                let mut points = Vec::new();
                decode(key, start, v.value(), &mut points)?;
                Some(points)
            }
            None => None,
        };
        let mut removed = 0u64;
        table.retain_in(
            (Bound::Included((key, s)), Bound::Excluded((key, e))),
            |_, _| {
                removed += 1;
                false
            },
        )?;
        stats.chunks_removed += removed;

        let mut run: Vec<Point> = Vec::new();
        let mut left_in_run = false;
        if let Some((start, points)) = &left {
            if points.last().is_some_and(|p| p.utc_ms >= s) {
                run.extend_from_slice(&points[..points.partition_point(|p| p.utc_ms < s)]);
                table.remove((key, *start))?;
                stats.chunks_removed += 1;
                left_in_run = true;
            }
        }
        run.extend_from_slice(&r.points);
        let tail_source = match &last_inner {
            Some(points) => Some(points),
            None if left_in_run => left.as_ref().map(|(_, points)| points),
            None => None,
        };
        if let Some(points) = tail_source {
            run.extend_from_slice(&points[points.partition_point(|p| p.utc_ms < e)..]);
        }

        // Merge with a neighbour (at most one each side, so the cost stays
        // bounded) when the run is short, or when the neighbour is short,
        // which a chunk may only be while it is its series' only one.
        // Hence no chunk is below the minimum unless it is alone.
        //
        // The neighbour before is `left`, or, when `left` is already part of
        // the run, the chunk before that one (not short, as `left` exists).
        let only_next_may_exist = left.is_none() && removed == 0;
        if !run.is_empty() {
            let previous = match left {
                Some(left) if !left_in_run => Some(left).filter(|(_, points)| {
                    run.len() < self.min_chunk || points.len() < self.min_chunk
                }),
                _ if run.len() < self.min_chunk => chunk_before(table, key, s)?,
                _ => None,
            };
            if let Some((start, mut points)) = previous {
                table.remove((key, start))?;
                stats.chunks_removed += 1;
                points.extend_from_slice(&run);
                run = points;
            }
        }
        // The neighbour after can only be short if it was the series' only
        // chunk; otherwise it is fetched only for a short run.
        if !run.is_empty() && (run.len() < self.min_chunk || only_next_may_exist) {
            if let Some((start, points)) = chunk_at_or_after(table, key, e)? {
                if run.len() < self.min_chunk || points.len() < self.min_chunk {
                    table.remove((key, start))?;
                    stats.chunks_removed += 1;
                    run.extend_from_slice(&points);
                }
            }
        }

        // Write the run as chunks of equal size, none above the maximum;
        // pieces are then at least half full.
        if !run.is_empty() {
            let pieces = run.len().div_ceil(self.max_chunk);
            let (size, extra) = (run.len() / pieces, run.len() % pieces);
            let mut at = 0;
            for i in 0..pieces {
                let len = size + usize::from(i < extra);
                let piece = &run[at..at + len];
                table.insert(
                    (key, piece[0].utc_ms),
                    codec::encode_chunk(piece).as_slice(),
                )?;
                stats.chunks_written += 1;
                at += len;
            }
        }
        Ok(())
    }
}

impl TimeseriesStore for RedbStore {
    fn series(&self, key: i64) -> Result<Option<SeriesMeta>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(META)?;
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

    fn read(&self, key: i64, start_ms: i64, end_ms: i64) -> Result<Vec<Point>> {
        let mut out = Vec::new();
        if start_ms >= end_ms {
            return Ok(out);
        }
        let txn = self.db.begin_read()?;
        let table = txn.open_table(CHUNKS)?;
        let mut scratch = Vec::new();
        // The chunk that may hold `start_ms`, then every chunk starting
        // inside the interval; only the first and the last of them can hold
        // points outside it.
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
        }
        Ok(out)
    }

    fn first_at_or_after(&self, key: i64, t_ms: i64) -> Result<Option<Point>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(CHUNKS)?;
        if let Some((_, points)) = chunk_before_or_at(&table, key, t_ms)? {
            if let Some(p) = points.iter().find(|p| p.utc_ms >= t_ms) {
                return Ok(Some(*p));
            }
        }
        // Every later chunk starts with a point after `t_ms`.
        let next = match t_ms.checked_add(1) {
            Some(t) => chunk_at_or_after(&table, key, t)?,
            None => None,
        };
        Ok(next.map(|(_, points)| points[0]))
    }

    fn allocate_key(&self) -> i64 {
        self.next_key.fetch_add(1, Ordering::Relaxed)
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

        // Series created with keys this process did not hand out must not
        // be handed out later.
        if let Some((&max, _)) = changes.series.iter().rev().find(|(_, c)| c.meta.is_some()) {
            self.next_key
                .fetch_max(max.saturating_add(1), Ordering::Relaxed);
        }
        Ok(stats)
    }
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

fn decode_entry(key: i64, entry: ChunkEntry<'_>) -> Result<(i64, Vec<Point>)> {
    let (k, v) = entry?;
    let start = k.value().1;
    let mut points = Vec::new();
    decode(key, start, v.value(), &mut points)?;
    Ok((start, points))
}

/// The last chunk of `key` starting strictly before `t`.
fn chunk_before(table: &impl ChunkTable, key: i64, t: i64) -> Result<Option<(i64, Vec<Point>)>> {
    table
        .range((key, i64::MIN)..(key, t))?
        .next_back()
        .map(|entry| decode_entry(key, entry))
        .transpose()
}

/// The last chunk of `key` starting at or before `t`: the one that may hold `t`.
fn chunk_before_or_at(
    table: &impl ChunkTable,
    key: i64,
    t: i64,
) -> Result<Option<(i64, Vec<Point>)>> {
    table
        .range((key, i64::MIN)..=(key, t))?
        .next_back()
        .map(|entry| decode_entry(key, entry))
        .transpose()
}

/// The first chunk of `key` starting at or after `t`.
fn chunk_at_or_after(
    table: &impl ChunkTable,
    key: i64,
    t: i64,
) -> Result<Option<(i64, Vec<Point>)>> {
    table
        .range((key, t)..=(key, i64::MAX))?
        .next()
        .map(|entry| decode_entry(key, entry))
        .transpose()
}

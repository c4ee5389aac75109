//! The history tables: every commit's number, time and author; every
//! committed write of a series with the points it replaced.
//!
//! Written in the commit's own transaction, so a commit and its history
//! are durable together or not at all.

use std::time::{SystemTime, UNIX_EPOCH};

use redb::{ReadableTable, Table, TableDefinition, WriteTransaction};

use super::{decode, Decoded, RedbSnapshot, RedbStore, INFO};
use crate::codec::{self, BlockWrite};
use crate::error::{Result, StoreError};
use crate::history::Undo;
use crate::types::{Point, Write};

/// Commit number → commit time (ms) and author (UTF-8), see [`encode_commit`].
pub(super) const COMMITS: TableDefinition<u64, &[u8]> = TableDefinition::new("commits");
/// (series key, number of the block's first commit) → a block of at most
/// [`BLOCK_WRITES`] of the series' writes (`codec::encode_writes`): a
/// write costs a few bytes, not a row, so a series written in many small
/// commits keeps its history for next to nothing. Times come from
/// `commits`.
pub(super) const WRITES: TableDefinition<(i64, u64), &[u8]> = TableDefinition::new("write_blocks");
/// Writes per block: bounds what a commit rewrites to append one.
const BLOCK_WRITES: usize = 256;
/// (series key, commit number, part, chunk start) → a chunk of the points
/// that write replaced.
pub(super) const REPLACED: TableDefinition<(i64, u64, u32, i64), &[u8]> =
    TableDefinition::new("replaced");

/// In `info`: the number of the last commit.
const LAST_SEQ: &str = "last_commit_seq";
/// In `info`: the time of the last commit (ms, as u64).
const LAST_MS: &str = "last_commit_ms";

/// In `info`: history is kept of commits made from this time on (ms, as
/// an offset from `i64::MIN` so that "everything" is 0).
const SINCE: &str = "history_since";

/// `i64` times stored as `u64`, order kept.
fn to_stored(ms: i64) -> u64 {
    (ms as u64) ^ (1 << 63)
}

fn from_stored(stored: u64) -> i64 {
    (stored ^ (1 << 63)) as i64
}

/// Creates the history tables (a new file, or one of layout 3).
pub(super) fn create_tables(txn: &WriteTransaction) -> Result<()> {
    txn.open_table(COMMITS)?;
    txn.open_table(WRITES)?;
    txn.open_table(REPLACED)?;
    Ok(())
}

/// A commit's number and time.
#[derive(Debug, Clone, Copy)]
pub(super) struct Commit {
    pub seq: u64,
    pub commit_ms: i64,
}

/// Numbers the commit in `txn` and gives it its time: now, or the last
/// commit's time if the clock went back, so times never decrease as
/// numbers grow (as-of by time and by number then agree).
pub(super) fn begin_commit(txn: &WriteTransaction, author: &str) -> Result<Commit> {
    let mut info = txn.open_table(INFO)?;
    let last_seq = info.get(LAST_SEQ)?.map_or(0, |v| v.value());
    let last_ms = info.get(LAST_MS)?.map_or(0, |v| v.value() as i64);
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let commit = Commit {
        seq: last_seq + 1,
        commit_ms: now_ms.max(last_ms),
    };
    info.insert(LAST_SEQ, commit.seq)?;
    info.insert(LAST_MS, commit.commit_ms as u64)?;
    txn.open_table(COMMITS)?.insert(
        commit.seq,
        encode_commit(commit.commit_ms, author).as_slice(),
    )?;
    Ok(commit)
}

fn encode_commit(commit_ms: i64, author: &str) -> Vec<u8> {
    let mut bytes = commit_ms.to_le_bytes().to_vec();
    bytes.extend_from_slice(author.as_bytes());
    bytes
}

fn decode_author(seq: u64, bytes: &[u8]) -> Result<String> {
    let author = bytes.get(8..).ok_or_else(|| {
        StoreError::Backend(format!("corrupt commit record {seq}: shorter than its time").into())
    })?;
    String::from_utf8(author.to_vec()).map_err(|_| {
        StoreError::Backend(format!("corrupt commit record {seq}: its author is not UTF-8").into())
    })
}

/// The history tables of one commit's transaction.
pub(super) struct Log<'txn> {
    commit: Commit,
    writes: Table<'txn, (i64, u64), &'static [u8]>,
    replaced: Table<'txn, (i64, u64, u32, i64), &'static [u8]>,
}

impl<'txn> Log<'txn> {
    pub(super) fn open(txn: &'txn WriteTransaction, commit: Commit) -> Result<Log<'txn>> {
        Ok(Log {
            commit,
            writes: txn.open_table(WRITES)?,
            replaced: txn.open_table(REPLACED)?,
        })
    }

    /// Keeps write `part` of series `key` over `[s, e)` and, before it
    /// happens, the points it replaces: chunks lying wholly inside the
    /// interval as they are stored, the parts of the two that reach across
    /// its ends (`left`, the chunk starting before `s`, and `last`, the
    /// last one starting inside; both decoded by the caller) re-encoded.
    pub(super) fn record(
        &mut self,
        chunks: &Table<(i64, i64), &'static [u8]>,
        key: i64,
        part: u32,
        (s, e): (i64, i64),
        left: Option<&Decoded>,
        last: Option<&Decoded>,
    ) -> Result<()> {
        let id = (key, self.commit.seq, part);
        self.append(key, (self.commit.seq, part, s, e))?;
        if let Some(left) = left {
            self.keep_inside(id, &left.points, s, e)?;
        }
        let Some(last) = last else {
            return Ok(());
        };
        // Every chunk before the last lies wholly inside: copied as stored.
        for entry in chunks.range((key, s)..(key, last.start))? {
            let (k, v) = entry?;
            self.replaced
                .insert((key, id.1, part, k.value().1), v.value())?;
        }
        self.keep_inside(id, &last.points, s, e)
    }

    /// Appends `write` to the series' last block of writes, or starts a
    /// new block when that one is full.
    fn append(&mut self, key: i64, write: BlockWrite) -> Result<()> {
        let last = match self.writes.range((key, 0)..=(key, u64::MAX))?.next_back() {
            Some(entry) => {
                let (k, v) = entry?;
                Some((k.value().1, decode_block(key, v.value())?))
            }
            None => None,
        };
        let (first, mut block) = match last {
            Some((first, block)) if block.len() < BLOCK_WRITES => (first, block),
            _ => (write.0, Vec::new()),
        };
        block.push(write);
        self.writes
            .insert((key, first), codec::encode_writes(&block).as_slice())?;
        Ok(())
    }

    /// Keeps the points of `points` inside `[s, e)`, if any, as one chunk.
    fn keep_inside(&mut self, id: (i64, u64, u32), points: &[Point], s: i64, e: i64) -> Result<()> {
        let from = points.partition_point(|p| p.utc_ms < s);
        let to = points.partition_point(|p| p.utc_ms < e);
        if let Some(first) = points[from..to].first() {
            let bytes = codec::encode_chunk(&points[from..to]);
            self.replaced
                .insert((id.0, id.1, id.2, first.utc_ms), bytes.as_slice())?;
        }
        Ok(())
    }
}

impl RedbStore {
    /// [`crate::Store::prune_history`]: commits are numbered in time order,
    /// so the pruned ones are those up to the last made before
    /// `before_ms`; their writes go in one durable transaction.
    pub(super) fn prune_history_before(&self, before_ms: i64) -> Result<u64> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(redb::Durability::Immediate);
        let dropped = {
            let mut commits = txn.open_table(COMMITS)?;
            let mut last = None;
            for entry in commits.iter()? {
                let (seq, bytes) = entry?;
                let commit_ms = commit_time(seq.value(), bytes.value())?;
                if commit_ms >= before_ms {
                    break;
                }
                last = Some(seq.value());
            }
            let Some(last) = last else {
                return Ok(0);
            };
            commits.retain_in(..=last, |_, _| false)?;
            let dropped = prune_blocks(&mut txn.open_table(WRITES)?, last)?;
            txn.open_table(REPLACED)?
                .retain(|(_, seq, _, _), _| seq > last)?;
            let mut info = txn.open_table(INFO)?;
            let since = info
                .get(SINCE)?
                .map_or(i64::MIN, |v| from_stored(v.value()));
            info.insert(SINCE, to_stored(since.max(before_ms)))?;
            dropped
        };
        txn.commit()?;
        Ok(dropped)
    }
}

/// Drops the writes of commits up to `last` from every block: whole
/// blocks, or the older part of one (kept under its new first number).
fn prune_blocks(blocks: &mut Table<(i64, u64), &'static [u8]>, last: u64) -> Result<u64> {
    let mut changed: Vec<((i64, u64), Vec<BlockWrite>)> = Vec::new();
    for entry in blocks.iter()? {
        let (k, v) = entry?;
        let (key, first) = k.value();
        if first > last {
            continue;
        }
        changed.push(((key, first), decode_block(key, v.value())?));
    }
    let mut dropped = 0u64;
    for (id, block) in changed {
        blocks.remove(id)?;
        let kept: Vec<BlockWrite> = block.iter().copied().filter(|w| w.0 > last).collect();
        dropped += (block.len() - kept.len()) as u64;
        if let Some(&(first, ..)) = kept.first() {
            blocks.insert((id.0, first), codec::encode_writes(&kept).as_slice())?;
        }
    }
    Ok(dropped)
}

fn decode_block(key: i64, bytes: &[u8]) -> Result<Vec<BlockWrite>> {
    codec::decode_writes(bytes).map_err(|reason| {
        StoreError::Backend(format!("corrupt block of writes of series {key}: {reason}").into())
    })
}

fn commit_time(seq: u64, bytes: &[u8]) -> Result<i64> {
    let time: [u8; 8] = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            StoreError::Backend(
                format!("corrupt commit record {seq}: shorter than its time").into(),
            )
        })?;
    Ok(i64::from_le_bytes(time))
}

impl RedbSnapshot {
    /// [`crate::Snapshot::history_since`].
    pub(super) fn history_kept_since(&self) -> Result<i64> {
        let info = self.txn.open_table(INFO)?;
        let since = info.get(SINCE)?.map(|v| from_stored(v.value()));
        Ok(since.unwrap_or(i64::MIN))
    }

    /// The writes of `key` meeting `[start, end)`, oldest first.
    pub(super) fn history_writes(&self, key: i64, start: i64, end: i64) -> Result<Vec<Write>> {
        let mut out = Vec::new();
        self.walk_writes(key, false, |write| {
            if write.start_ms < end && start < write.end_ms {
                out.push(write);
            }
            true
        })?;
        Ok(out)
    }

    /// [`crate::Snapshot::writes_undone`]: from the newest write back,
    /// until the first that `undo` keeps.
    pub(super) fn history_writes_undone(
        &self,
        key: i64,
        start: i64,
        end: i64,
        undo: Undo,
    ) -> Result<Vec<Write>> {
        let mut out = Vec::new();
        self.walk_writes(key, true, |write| {
            if !undo.undoes(&write) {
                return false;
            }
            if write.start_ms < end && start < write.end_ms {
                out.push(write);
            }
            true
        })?;
        out.reverse();
        Ok(out)
    }

    /// Hands the writes of `key` to `visit`, oldest first (or newest first
    /// with `newest_first`), until it answers false. Each write's time is
    /// its commit's.
    fn walk_writes(
        &self,
        key: i64,
        newest_first: bool,
        mut visit: impl FnMut(Write) -> bool,
    ) -> Result<()> {
        let blocks = self.txn.open_table(WRITES)?;
        let commits = self.txn.open_table(COMMITS)?;
        let range = blocks.range((key, 0)..=(key, u64::MAX))?;
        let entries: Box<dyn Iterator<Item = _>> = if newest_first {
            Box::new(range.rev())
        } else {
            Box::new(range)
        };
        for entry in entries {
            let (_, v) = entry?;
            let mut block = decode_block(key, v.value())?;
            if newest_first {
                block.reverse();
            }
            for (seq, part, start_ms, end_ms) in block {
                let commit_ms = match commits.get(seq)? {
                    Some(bytes) => commit_time(seq, bytes.value())?,
                    None => {
                        return Err(StoreError::Backend(
                            format!("series {key}: write of commit {seq}, which has no record")
                                .into(),
                        ))
                    }
                };
                let write = Write {
                    seq,
                    part,
                    commit_ms,
                    start_ms,
                    end_ms,
                };
                if !visit(write) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// The points `write` replaced inside `[start, end)`.
    pub(super) fn history_replaced(
        &self,
        key: i64,
        write: &Write,
        start: i64,
        end: i64,
    ) -> Result<Vec<Point>> {
        let table = self.txn.open_table(REPLACED)?;
        let (seq, part) = (write.seq, write.part);
        let mut out = Vec::new();
        let mut scratch = Vec::new();
        for entry in table.range((key, seq, part, i64::MIN)..=(key, seq, part, i64::MAX))? {
            let (k, v) = entry?;
            let chunk_start = k.value().3;
            if chunk_start >= end {
                break;
            }
            scratch.clear();
            decode(key, chunk_start, v.value(), &mut scratch)?;
            let from = scratch.partition_point(|p| p.utc_ms < start);
            let to = scratch.partition_point(|p| p.utc_ms < end);
            out.extend_from_slice(&scratch[from..to]);
        }
        Ok(out)
    }

    /// Who made commit `seq`.
    pub(super) fn history_author(&self, seq: u64) -> Result<Option<String>> {
        let table = self.txn.open_table(COMMITS)?;
        let Some(bytes) = table.get(seq)? else {
            return Ok(None);
        };
        decode_author(seq, bytes.value()).map(Some)
    }
}

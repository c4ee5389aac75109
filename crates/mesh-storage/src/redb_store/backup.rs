//! Online backup of a [`RedbStore`]: every table (history included) copied from one read
//! transaction into a new file, while commits go on.
//!
//! redb's readers work on a snapshot and never hold up the writer, so the
//! copy sees exactly what was committed when it began (no commit half, none
//! after) and commits are not paused at all. The copy is written in batches
//! that are not flushed one by one, then made durable by one final commit;
//! it is built under `<dir>.partial` and renamed to `dir` only when
//! complete, so `dir` either holds a whole backup or does not exist.

use std::path::{Path, PathBuf};

use redb::{Database, Durability, ReadTransaction, ReadableTable, TableDefinition};

use super::history::{COMMITS, REPLACED, WRITES};
use super::{RedbStore, CHUNKS, INFO, META, PATHS, RECORDS, TOKENS};
use crate::error::{Result, StoreError};

/// Entries copied per write transaction of the copy: bounds the copy's
/// memory (uncommitted pages) whatever the size of the store.
const BATCH: usize = 20_000;

/// Memory for the copy's own page cache: it only writes.
const COPY_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// What a backup holds, as [`RedbStore::backup_to`] reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackupStats {
    /// Size of the backup's database file.
    pub bytes: u64,
    /// Time series (metadata records).
    pub series: u64,
    /// Chunks of points.
    pub chunks: u64,
    /// Model records.
    pub model_records: u64,
}

impl RedbStore {
    /// Copies everything committed, as of now, into a new store directory
    /// `dir` (which must not exist; its parent must), without pausing
    /// commits. A server started with `dir` as its data directory sees
    /// exactly that state. On failure nothing is left at `dir`.
    pub fn backup_to(&self, dir: &Path) -> Result<BackupStats> {
        let fail = |reason: String| StoreError::Backup {
            path: dir.to_path_buf(),
            reason,
        };
        let exists = || StoreError::BackupExists {
            path: dir.to_path_buf(),
        };
        if dir.exists() {
            return Err(exists());
        }
        let mut partial = dir.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        // Creating the directory is the claim on the name: of two backups
        // to one name, the second finds it taken.
        std::fs::create_dir(&partial).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => exists(),
            _ => fail(format!("cannot create {}: {e}", partial.display())),
        })?;
        // The snapshot is taken before anything else, so the backup is the
        // state at the moment of the call.
        let source = self.db.begin_read()?;
        let copied = copy_all(&source, &partial.join(Self::FILE_NAME)).and_then(|stats| {
            // Durable under its final name: rename, then flush the parent's
            // directory entry.
            std::fs::rename(&partial, dir)
                .map_err(|e| fail(format!("cannot rename {}: {e}", partial.display())))?;
            if let Some(parent) = dir.parent() {
                let parent = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
                std::fs::File::open(parent)
                    .and_then(|d| d.sync_all())
                    .map_err(|e| fail(format!("cannot flush {}: {e}", parent.display())))?;
            }
            Ok(stats)
        });
        if copied.is_err() {
            let _ = std::fs::remove_dir_all(&partial);
        }
        copied
    }

    /// Size of the database file in bytes.
    pub fn file_bytes(&self) -> Result<u64> {
        std::fs::metadata(&self.path)
            .map(|m| m.len())
            .map_err(|e| StoreError::Backend(Box::new(e)))
    }
}

/// Copies every table of `source` into a new database at `path`.
fn copy_all(source: &ReadTransaction, path: &Path) -> Result<BackupStats> {
    let target = Database::builder()
        .create_with_file_format_v3(true)
        .set_cache_size(COPY_CACHE_BYTES)
        .create(path)
        .map_err(|e| StoreError::Backend(Box::new(redb::Error::from(e))))?;
    let mut stats = BackupStats {
        series: copy_table(source, &target, META)?,
        chunks: copy_table(source, &target, CHUNKS)?,
        ..BackupStats::default()
    };
    copy_table(source, &target, INFO)?;
    copy_table(source, &target, PATHS)?;
    stats.model_records = copy_table(source, &target, RECORDS)?;
    // Issued access tokens (digests only): a server restored from the
    // backup keeps its users signed in.
    copy_table(source, &target, TOKENS)?;
    // The series' history: a restored server answers as-of reads as the
    // original did.
    copy_table(source, &target, COMMITS)?;
    copy_table(source, &target, WRITES)?;
    copy_table(source, &target, REPLACED)?;
    // One durable commit makes every batch before it durable.
    let mut last = target.begin_write()?;
    last.set_durability(Durability::Immediate);
    last.commit()?;
    drop(target);
    stats.bytes = std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| StoreError::Backend(Box::new(e)))?;
    Ok(stats)
}

/// Copies one table, in batches; returns how many entries it held.
fn copy_table<K: redb::Key + 'static, V: redb::Value + 'static>(
    source: &ReadTransaction,
    target: &Database,
    table: TableDefinition<K, V>,
) -> Result<u64> {
    let from = match source.open_table(table) {
        Ok(from) => from,
        // A table never created holds nothing to copy.
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    let mut entries = from.iter()?;
    let mut copied = 0u64;
    loop {
        let mut txn = target.begin_write()?;
        txn.set_durability(Durability::None);
        let mut done = false;
        {
            let mut to = txn.open_table(table)?;
            for _ in 0..BATCH {
                let Some(entry) = entries.next() else {
                    done = true;
                    break;
                };
                let (key, value) = entry?;
                to.insert(key.value(), value.value())?;
                copied += 1;
            }
        }
        txn.commit()?;
        if done {
            return Ok(copied);
        }
    }
}

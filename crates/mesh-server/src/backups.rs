//! The rules around backups that the store's copy (`mesh_storage`) leaves
//! to the server: one at a time, and only with room for it on disk.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::{Mutex, OwnedMutexGuard};

/// Lets one backup run at a time: each holds a [`BackupTurn`] until it ends.
/// Backups copy the whole store, so two at once only double the disk and
/// I/O load without finishing either sooner.
#[derive(Debug, Clone, Default)]
pub struct BackupGate {
    turn: Arc<Mutex<()>>,
}

/// The one backup in progress; the next may start when this is dropped.
#[derive(Debug)]
pub struct BackupTurn {
    _held: OwnedMutexGuard<()>,
}

/// A backup was asked for while another was being made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a backup is in progress; ask again when it has finished")]
pub struct BackupInProgress;

impl BackupGate {
    /// The turn, or [`BackupInProgress`] at once: callers are told rather
    /// than queued, so that a flood of requests holds nothing.
    pub fn try_begin(&self) -> Result<BackupTurn, BackupInProgress> {
        self.turn
            .clone()
            .try_lock_owned()
            .map(|held| BackupTurn { _held: held })
            .map_err(|_| BackupInProgress)
    }
}

/// The file system of the backup directory lacks room for a backup.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoRoom {
    #[error(
        "not enough free space for a backup in {dir}: it needs {needed} MiB (the store file, \
         {store_mib} MiB, plus the {margin_mib} MiB --backup-min-free-mb keeps free), \
         and {free} MiB are free"
    )]
    TooLittle {
        dir: String,
        needed: u64,
        store_mib: u64,
        margin_mib: u64,
        free: u64,
    },
    #[error("cannot read the free space of {dir}: {reason}")]
    Unreadable { dir: String, reason: String },
}

const MIB: u64 = 1024 * 1024;

/// Bytes free to unprivileged writers on the file system holding `dir`.
pub fn free_bytes(dir: &Path) -> std::io::Result<u64> {
    let stats = rustix::fs::statvfs(dir)?;
    Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
}

/// Whether a backup of a store file of `store_bytes` fits under `dir` and
/// still leaves `margin_mib` MiB free. The copy holds the same entries as
/// the store, so the store file's size is the estimate (the copy is
/// usually smaller: it has none of the store's free pages).
pub fn check_room(dir: &Path, store_bytes: u64, margin_mib: u64) -> Result<(), NoRoom> {
    let free = free_bytes(dir).map_err(|error| NoRoom::Unreadable {
        dir: dir.display().to_string(),
        reason: error.to_string(),
    })?;
    let needed = store_bytes.saturating_add(margin_mib.saturating_mul(MIB));
    if free >= needed {
        return Ok(());
    }
    Err(NoRoom::TooLittle {
        dir: dir.display().to_string(),
        needed: needed.div_ceil(MIB),
        store_mib: store_bytes.div_ceil(MIB),
        margin_mib,
        free: free / MIB,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_backup_at_a_time() {
        let gate = BackupGate::default();
        let turn = gate.try_begin().unwrap();
        assert_eq!(gate.clone().try_begin().unwrap_err(), BackupInProgress);
        drop(turn);
        assert!(gate.try_begin().is_ok());
    }

    #[test]
    fn room_is_the_store_file_plus_the_margin_against_the_free_space() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_bytes(dir.path()).unwrap();
        assert!(check_room(dir.path(), 1, 0).is_ok());
        let refused = check_room(dir.path(), free + MIB, 0).unwrap_err();
        assert!(matches!(refused, NoRoom::TooLittle { .. }), "{refused}");
        assert!(refused.to_string().contains("MiB are free"), "{refused}");
        assert!(matches!(
            check_room(dir.path(), 0, u64::MAX),
            Err(NoRoom::TooLittle { .. })
        ));
        assert!(matches!(
            check_room(&dir.path().join("missing"), 0, 0),
            Err(NoRoom::Unreadable { .. })
        ));
    }
}

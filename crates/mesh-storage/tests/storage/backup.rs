//! Online backups: what a backup holds, and what it refuses.

use mesh_storage::{ChangeSet, RedbStore, Store, StoreError};

use crate::common::*;

#[test]
fn a_backup_holds_the_state_of_its_moment_and_opens_as_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path()).unwrap();
    let before = regular(0, 1_000, 50_000, |i| i as f64 * 0.25);
    store
        .commit(&create_with(1, replace(0, i64::MAX, before.clone())))
        .unwrap();
    let mut records = ChangeSet::default();
    records
        .records
        .insert(b"model/1".to_vec(), Some(b"one".to_vec()));
    store.commit(&records).unwrap();

    let target = dir.path().join("backups").join("first");
    std::fs::create_dir(dir.path().join("backups")).unwrap();
    let stats = store.backup_to(&target).unwrap();
    assert_eq!((stats.series, stats.model_records), (1, 1));
    assert!(stats.chunks >= 7 && stats.bytes > 0, "{stats:?}");
    assert!(!dir.path().join("backups/first.partial").exists());

    // Committed after the backup: not in it.
    store
        .commit(&create_with(2, replace(0, 10, vec![])))
        .unwrap();
    let mut later = ChangeSet::new();
    later.replace_points(1, replace(0, 5_000, vec![]));
    store.commit(&later).unwrap();

    let restored = RedbStore::open(&target).unwrap();
    let snapshot = restored.snapshot().unwrap();
    assert_eq!(snapshot.read(1, 0, i64::MAX).unwrap(), before);
    assert!(snapshot.series(2).unwrap().is_none());
    assert_eq!(
        snapshot.records().unwrap(),
        vec![(b"model/1".to_vec(), b"one".to_vec())]
    );
    // Keys reserved before the backup are not handed out again.
    assert!(restored.allocate_key().unwrap() > 1);
}

#[test]
fn a_backup_never_overwrites_and_leaves_nothing_when_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(&dir.path().join("data")).unwrap();
    let taken = dir.path().join("taken");
    std::fs::create_dir(&taken).unwrap();
    let error = store.backup_to(&taken).unwrap_err();
    assert!(
        matches!(error, StoreError::BackupExists { .. })
            && error.to_string().contains("already exists"),
        "{error}"
    );
    // A backup in progress, or one interrupted, holds its name too, and is
    // left as it is.
    let interrupted = dir.path().join("interrupted.partial");
    std::fs::create_dir(&interrupted).unwrap();
    std::fs::write(interrupted.join("marker"), b"left").unwrap();
    let error = store
        .backup_to(&dir.path().join("interrupted"))
        .unwrap_err();
    assert!(matches!(error, StoreError::BackupExists { .. }), "{error}");
    assert!(interrupted.join("marker").exists());
    assert!(!dir.path().join("interrupted").exists());
    let orphan = dir.path().join("no-parent").join("backup");
    assert!(store.backup_to(&orphan).is_err());
    assert!(!dir.path().join("no-parent").exists());
}

//! Round trips of points and metadata, reopening, and key allocation.

use mesh_storage::{ChangeSet, Point, RedbStore, Store, StoreError};

use crate::common::*;

#[test]
fn unusual_values_and_flags_roundtrip_bit_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path()).unwrap();
    let values = [
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0x7ff0_0000_0000_0001),
        f64::from_bits(0xfff8_dead_beef_0001),
        -0.0,
        0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::from_bits(1),
        f64::MAX,
        1.5,
    ];
    let flags = [
        0,
        0x4000_0000,
        0x0400_0000,
        0x0200_0000,
        u32::MAX,
        0x8000_0001,
    ];
    let points: Vec<Point> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| Point::new(-3_600_000 + i as i64 * 1_000, flags[i % flags.len()], v))
        .collect();
    store
        .commit(&create_with(7, replace(i64::MIN, i64::MAX, points.clone())))
        .unwrap();
    assert_eq!(store.read(7, i64::MIN, i64::MAX).unwrap(), points);
    // Also a NaN must compare equal to itself through `Point`'s equality,
    // i.e. by bits, and a different NaN payload must not.
    let back = store.read(7, -3_600_000, -3_599_999).unwrap();
    assert_eq!(back[0].value.to_bits(), f64::NAN.to_bits());
    assert_ne!(
        Point::new(0, 0, f64::NAN),
        Point::new(0, 0, f64::from_bits(0xfff8_dead_beef_0001))
    );
    // The extremes of the time axis.
    let edges = vec![
        Point::new(i64::MIN, 1, 1.0),
        Point::new(0, 2, 2.0),
        Point::new(i64::MAX - 1, 3, 3.0),
    ];
    store
        .commit(&create_with(8, replace(i64::MIN, i64::MAX, edges.clone())))
        .unwrap();
    assert_eq!(store.read(8, i64::MIN, i64::MAX).unwrap(), edges);
    assert_eq!(store.first_at_or_after(8, 1).unwrap(), Some(edges[2]));
    assert_eq!(
        store.first_at_or_after(8, i64::MIN).unwrap(),
        Some(edges[0])
    );
    assert_eq!(store.first_at_or_after(8, i64::MAX).unwrap(), None);
}

#[test]
fn metadata_roundtrips_and_updates() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path()).unwrap();
    assert_eq!(store.series(1).unwrap(), None);
    let mut m = meta(1);
    m.time_zone = Some("Europe/Oslo".into());
    let mut cs = ChangeSet::new();
    cs.create_series(m.clone());
    store.commit(&cs).unwrap();
    assert_eq!(store.series(1).unwrap(), Some(m.clone()));

    m.name = "renamed".into();
    m.time_zone = None;
    let mut cs = ChangeSet::new();
    cs.update_meta(m.clone());
    store.commit(&cs).unwrap();
    assert_eq!(store.series(1).unwrap(), Some(m));
    // Points of a series nobody wrote: empty, not an error.
    assert!(store.read(1, 0, 100).unwrap().is_empty());
    assert!(store.read(999, 0, 100).unwrap().is_empty());
    assert_eq!(store.first_at_or_after(999, 0).unwrap(), None);
}

#[test]
fn reopen_keeps_everything_and_keys_stay_above_committed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let dense = regular(1_600_000_000_000, 1_000, 20_000, |i| i as f64 * 0.5);
    let b;
    {
        let store = RedbStore::open(dir.path()).unwrap();
        let a = store.allocate_key().unwrap();
        b = store.allocate_key().unwrap();
        assert!(a >= 1 && b > a);
        let mut cs = create_with(b, replace(0, i64::MAX, dense.clone()));
        // A key chosen by someone else, far above what was handed out.
        cs.create_series(meta(5_000));
        store.commit(&cs).unwrap();
        assert!(store.allocate_key().unwrap() > 5_000);
    }
    let store = RedbStore::open(dir.path()).unwrap();
    assert_eq!(store.read(b, 0, i64::MAX).unwrap(), dense);
    assert_eq!(store.series(5_000).unwrap(), Some(meta(5_000)));
    let k = store.allocate_key().unwrap();
    assert!(k > 5_000, "allocated {k}");
    assert!(store.allocate_key().unwrap() > k);
}

#[test]
fn keys_handed_out_before_a_restart_are_not_handed_out_again() {
    // Nothing committed: only the durable reservation keeps the keys apart.
    let dir = tempfile::tempdir().unwrap();
    let before: Vec<i64> = {
        let store = RedbStore::open(dir.path()).unwrap();
        (0..3).map(|_| store.allocate_key().unwrap()).collect()
    };
    let store = RedbStore::open(dir.path()).unwrap();
    let after = store.allocate_key().unwrap();
    assert!(
        before.iter().all(|&k| k < after),
        "{after} was handed out before the restart: {before:?}"
    );
}

#[test]
fn a_second_open_of_the_same_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _store = RedbStore::open(dir.path()).unwrap();
    assert!(matches!(
        RedbStore::open(dir.path()),
        Err(StoreError::Open { .. })
    ));
}

#[test]
fn concurrent_readers_and_committers() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(RedbStore::open(dir.path()).unwrap());
    let mut cs = ChangeSet::new();
    for k in 1..=4 {
        cs.create_series(meta(k));
    }
    store.commit(&cs).unwrap();
    let threads: Vec<_> = (1..=4)
        .map(|k| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..10i64 {
                    let mut cs = ChangeSet::new();
                    cs.replace_points(
                        k,
                        replace(
                            i * 100,
                            i * 100 + 100,
                            regular(i * 100, 1, 100, |j| j as f64),
                        ),
                    );
                    store.commit(&cs).unwrap();
                    assert_eq!(
                        store.read(k, 0, i64::MAX).unwrap().len(),
                        100 * (i as usize + 1)
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn a_file_of_another_layout_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(RedbStore::open(dir.path()).unwrap());
    {
        let db = redb::Database::open(dir.path().join(RedbStore::FILE_NAME)).unwrap();
        let info: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("info");
        let txn = db.begin_write().unwrap();
        txn.open_table(info)
            .unwrap()
            .insert("layout_version", 1)
            .unwrap();
        txn.commit().unwrap();
    }
    match RedbStore::open(dir.path()) {
        Err(StoreError::UnsupportedLayout {
            found: 1,
            supported,
            ..
        }) => assert!(supported > 1),
        other => panic!("expected a layout error, got {other:?}"),
    }
}

//! Replace semantics, chunking, commit order, atomicity and corruption.

use mesh_storage::{ChangeSet, Point, RedbStore, Store, StoreError, StoreOptions};

use crate::common::*;

/// Points every 10 ms in [0, 10 * n).
fn tens(n: usize) -> Vec<Point> {
    regular(0, 10, n, |i| i as f64)
}

#[test]
fn partial_overlap_at_both_ends() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), points_limit(16));
    let mut model = Model::default();
    let first = replace(0, 1000, tens(100));
    model.apply(&first);
    store.commit(&create_with(1, first)).unwrap();
    assert!(store.chunks(1).unwrap().len() > 5);

    // Starts and ends between points, in the middle of chunks.
    let r = replace(
        55,
        305,
        vec![
            Point::new(60, 9, -1.0),
            Point::new(61, 9, -2.0),
            Point::new(304, 9, -3.0),
        ],
    );
    model.apply(&r);
    let mut cs = ChangeSet::new();
    cs.replace_points(1, r);
    store.commit(&cs).unwrap();
    let all = store.read(1, i64::MIN, i64::MAX).unwrap();
    assert_eq!(all, model.read(i64::MIN, i64::MAX));
    assert_eq!(all[5].utc_ms, 50);
    assert_eq!(all[6].utc_ms, 60);
    assert_eq!(all[9].utc_ms, 310);
    // Windows that start and end inside and outside of the change.
    for (a, b) in [
        (0, 56),
        (55, 62),
        (61, 400),
        (304, 311),
        (-5, 5),
        (990, 2000),
    ] {
        assert_eq!(store.read(1, a, b).unwrap(), model.read(a, b), "[{a}, {b})");
    }
    check_chunks(&store, 1, points_limit(16));
}

#[test]
fn empty_points_delete_the_interval() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), points_limit(16));
    store
        .commit(&create_with(1, replace(0, 1000, tens(100))))
        .unwrap();
    let mut cs = ChangeSet::new();
    cs.replace_points(1, replace(100, 200, vec![]));
    store.commit(&cs).unwrap();
    let all = store.read(1, 0, 1000).unwrap();
    assert_eq!(all.len(), 90);
    assert!(all.iter().all(|p| p.utc_ms < 100 || p.utc_ms >= 200));
    assert_eq!(
        store.first_at_or_after(1, 100).unwrap().unwrap().utc_ms,
        200
    );
    check_chunks(&store, 1, points_limit(16));

    // Deleting everything leaves no chunk behind.
    let mut cs = ChangeSet::new();
    cs.replace_points(1, replace(i64::MIN, i64::MAX, vec![]));
    store.commit(&cs).unwrap();
    assert!(store.read(1, i64::MIN, i64::MAX).unwrap().is_empty());
    assert!(store.chunks(1).unwrap().is_empty());
    assert_eq!(store.first_at_or_after(1, i64::MIN).unwrap(), None);
}

#[test]
fn replace_spanning_many_chunks_touches_only_the_edges() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), points_limit(64));
    store
        .commit(&create_with(1, replace(0, 100_000, tens(10_000))))
        .unwrap();
    let before = check_chunks(&store, 1, points_limit(64));
    assert!(before.len() >= 10_000 / 64);

    // Replace [1005, 90005) with a handful of points.
    let new = regular(1005, 7, 20, |i| -(i as f64));
    let mut cs = ChangeSet::new();
    cs.replace_points(1, replace(1005, 90_005, new.clone()));
    let stats = store.commit(&cs).unwrap();
    let inner = before
        .iter()
        .filter(|c| (1005..90_005).contains(&c.start_ms))
        .count() as u64;
    // The chunks starting inside are deleted, the one starting before is
    // rewritten, and nothing beyond a neighbour is touched.
    assert!(stats.chunks_written <= 2, "{stats:?}");
    assert!(stats.chunks_removed <= inner + 2, "{stats:?}");
    let mut model = Model::default();
    model.apply(&replace(0, 100_000, tens(10_000)));
    model.apply(&replace(1005, 90_005, new));
    assert_eq!(
        store.read(1, i64::MIN, i64::MAX).unwrap(),
        model.read(i64::MIN, i64::MAX)
    );
    check_chunks(&store, 1, points_limit(64));
}

#[test]
fn large_writes_split_into_nearly_full_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path()).unwrap();
    let defaults = StoreOptions::default();
    // Values that do not compress (about 7 bytes each): the byte limit
    // decides.
    let noisy = regular(0, 60_000, 10_000, |i| (i as f64 * 0.01).sin());
    // Decimal values (about 2 bytes each): still the byte limit.
    let decimal = regular(0, 60_000, 30_000, |i| (i % 1000) as f64 / 4.0);
    // Constant values (a bit each): the point limit decides.
    let constant = regular(0, 60_000, 30_000, |_| 1.0);
    for (key, points) in [(1, noisy), (2, decimal), (3, constant)] {
        store
            .commit(&create_with(key, replace(0, i64::MAX, points.clone())))
            .unwrap();
        let chunks = check_chunks(&store, key, defaults);
        assert!(chunks.len() > 1);
        assert_eq!(chunks.iter().map(|c| c.points).sum::<usize>(), points.len());
        // All but the last are full, to within a few percent.
        for c in &chunks[..chunks.len() - 1] {
            assert!(
                c.bytes > defaults.max_chunk_bytes * 9 / 10
                    || c.points == defaults.max_chunk_points,
                "series {key}: chunk {c:?} is not nearly full"
            );
        }
        assert_eq!(store.read(key, 0, i64::MAX).unwrap(), points);
    }
}

#[test]
fn the_byte_limit_holds_for_values_of_any_size() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        max_chunk_points: 1000,
        max_chunk_bytes: 200,
        ..StoreOptions::default()
    };
    let store = open(dir.path(), options);
    let mut rng = Rng::new(99);
    // Runs of cheap values between runs of incompressible ones.
    let points = regular(0, 1000, 5000, |i| {
        if (i / 300) % 2 == 0 {
            1.0
        } else {
            f64::from_bits(rng.next())
        }
    });
    store
        .commit(&create_with(1, replace(0, i64::MAX, points.clone())))
        .unwrap();
    check_chunks(&store, 1, options);
    assert_eq!(store.read(1, 0, i64::MAX).unwrap(), points);
}

#[test]
fn dense_second_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path()).unwrap();
    let day0 = 1_700_006_400_000;
    let day = regular(day0, 1_000, 86_400, |i| 50.0 + (i % 600) as f64 * 0.125);
    store
        .commit(&create_with(
            1,
            replace(day0, day0 + 86_400_000, day.clone()),
        ))
        .unwrap();
    check_chunks(&store, 1, StoreOptions::default());
    // An hour in the middle: only the chunks around it are rewritten.
    let hour = day0 + 10 * 3_600_000;
    let new = regular(hour, 1_000, 3_600, |_| 1.0);
    let mut cs = ChangeSet::new();
    cs.replace_points(1, replace(hour, hour + 3_600_000, new.clone()));
    let stats = store.commit(&cs).unwrap();
    assert!(stats.chunks_written <= 4, "{stats:?}");
    let mut model = Model::default();
    model.apply(&replace(day0, day0 + 86_400_000, day));
    model.apply(&replace(hour, hour + 3_600_000, new));
    for (a, b) in [
        (day0, day0 + 86_400_000),
        (hour - 1_500, hour + 500),
        (hour + 3_599_000, hour + 3_601_001),
        (day0 + 1, day0 + 2),
    ] {
        assert_eq!(store.read(1, a, b).unwrap(), model.read(a, b));
    }
    check_chunks(&store, 1, StoreOptions::default());
}

#[test]
fn sparse_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), points_limit(16));
    // Roughly yearly points over three centuries, and a few far-off ones.
    let mut points: Vec<Point> = (0..300)
        .map(|i| {
            Point::new(
                -5_000_000_000_000 + i * 31_556_952_000 + (i % 5) * 86_400_000,
                0,
                i as f64,
            )
        })
        .collect();
    points.push(Point::new(4_000_000_000_000_000, 0x0400_0000, f64::NAN));
    store
        .commit(&create_with(1, replace(i64::MIN, i64::MAX, points.clone())))
        .unwrap();
    assert_eq!(store.read(1, i64::MIN, i64::MAX).unwrap(), points);
    let t = points[150].utc_ms;
    assert_eq!(store.read(1, t - 1, t + 1).unwrap(), vec![points[150]]);
    assert_eq!(
        store.first_at_or_after(1, t + 1).unwrap(),
        Some(points[151])
    );
    assert_eq!(
        store.first_at_or_after(1, points[299].utc_ms + 1).unwrap(),
        Some(points[300])
    );
    check_chunks(&store, 1, points_limit(16));
}

#[test]
fn point_by_point_appends_do_not_leave_tiny_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), points_limit(64));
    let mut cs = ChangeSet::new();
    cs.create_series(meta(1));
    let mut model = Model::default();
    // Appends, then single-point overwrites scattered over the series.
    for i in 0..2000i64 {
        let r = replace(i * 10, i * 10 + 10, vec![Point::new(i * 10, 0, i as f64)]);
        model.apply(&r);
        cs.replace_points(1, r);
    }
    let mut rng = Rng::new(5);
    for _ in 0..500 {
        let t = rng.range(0, 20_000);
        let r = replace(t, t + 1, vec![Point::new(t, 1, -1.0)]);
        model.apply(&r);
        cs.replace_points(1, r);
    }
    store.commit(&cs).unwrap();
    assert_eq!(
        store.read(1, i64::MIN, i64::MAX).unwrap(),
        model.read(i64::MIN, i64::MAX)
    );
    let chunks = check_chunks(&store, 1, points_limit(64));
    assert!(chunks.len() < 2500 / 16, "{} chunks", chunks.len());
}

#[test]
fn replaces_in_one_change_set_apply_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path()).unwrap();
    let mut cs = ChangeSet::new();
    cs.create_series(meta(1));
    cs.replace_points(1, replace(0, 100, tens(10)));
    cs.replace_points(1, replace(20, 40, vec![Point::new(25, 0, 9.0)]));
    cs.replace_points(1, replace(30, 50, vec![]));
    store.commit(&cs).unwrap();
    let times: Vec<i64> = store
        .read(1, 0, 100)
        .unwrap()
        .iter()
        .map(|p| p.utc_ms)
        .collect();
    assert_eq!(times, vec![0, 10, 25, 50, 60, 70, 80, 90]);
}

#[test]
fn the_later_commit_wins() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path()).unwrap();
    let mut cs = ChangeSet::new();
    cs.create_series(meta(1));
    store.commit(&cs).unwrap();

    // Two sessions prepare changes against the same (empty) state.
    let mut a = ChangeSet::new();
    a.replace_points(1, replace(0, 100, regular(0, 10, 10, |_| 1.0)));
    let mut b = ChangeSet::new();
    b.replace_points(1, replace(50, 150, regular(55, 10, 10, |_| 2.0)));
    store.commit(&b).unwrap();
    store.commit(&a).unwrap();
    let all = store.read(1, 0, 1000).unwrap();
    // `a` committed last: all of [0, 100) is its; `b` keeps [100, 150).
    let expect: Vec<Point> = regular(0, 10, 10, |_| 1.0)
        .into_iter()
        .chain(regular(105, 10, 5, |_| 2.0))
        .collect();
    assert_eq!(all, expect);
}

#[test]
fn a_commit_with_an_invalid_part_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path()).unwrap();
    store
        .commit(&create_with(1, replace(0, 100, tens(10))))
        .unwrap();
    let before = store.read(1, 0, 100).unwrap();

    // Points for a series that exists nowhere, after valid changes to
    // others (series are applied in key order, so 1 and 2 go first).
    let mut cs = ChangeSet::new();
    cs.replace_points(1, replace(0, 100, vec![]));
    cs.create_series(meta(2));
    cs.replace_points(2, replace(0, 10, vec![Point::new(1, 0, 1.0)]));
    cs.replace_points(3, replace(0, 10, vec![Point::new(1, 0, 1.0)]));
    assert!(matches!(
        store.commit(&cs),
        Err(StoreError::UnknownSeries { key: 3 })
    ));
    assert_eq!(store.read(1, 0, 100).unwrap(), before);
    assert_eq!(store.series(2).unwrap(), None);
    assert!(store.read(2, 0, 10).unwrap().is_empty());

    // Unordered points, points outside the interval, an inverted interval.
    for bad in [
        replace(0, 100, vec![Point::new(5, 0, 1.0), Point::new(5, 0, 1.0)]),
        replace(0, 100, vec![Point::new(100, 0, 1.0)]),
        replace(10, 0, vec![]),
    ] {
        let mut cs = ChangeSet::new();
        cs.replace_points(1, replace(0, 100, vec![]));
        cs.replace_points(1, bad);
        assert!(matches!(
            store.commit(&cs),
            Err(StoreError::InvalidChange { key: 1, .. })
        ));
    }
    // Metadata filed under another key.
    let mut cs = ChangeSet::new();
    cs.series.entry(4).or_default().meta = Some(meta(5));
    assert!(matches!(
        store.commit(&cs),
        Err(StoreError::InvalidChange { key: 4, .. })
    ));
    assert_eq!(store.read(1, 0, 100).unwrap(), before);

    // And the store still works afterwards.
    let mut cs = ChangeSet::new();
    cs.replace_points(1, replace(0, 100, vec![]));
    store.commit(&cs).unwrap();
    assert!(store.read(1, 0, 100).unwrap().is_empty());
}

#[test]
fn change_set_helpers() {
    let mut cs = ChangeSet::new();
    assert!(cs.is_empty());
    cs.replace_points(1, replace(10, 20, vec![]));
    cs.replace_points(1, replace(30, 40, vec![]));
    // Covers the first replace entirely, so the first is dropped.
    cs.replace_points(1, replace(0, 25, vec![]));
    assert_eq!(
        cs.get(1).unwrap().replaces,
        vec![replace(30, 40, vec![]), replace(0, 25, vec![])]
    );
    cs.update_meta(meta(1));
    assert_eq!(cs.get(1).unwrap().meta, Some(meta(1)));
    assert!(!cs.is_empty());
    cs.clear();
    assert!(cs.is_empty());
}

#[test]
fn a_corrupted_chunk_is_an_error_naming_series_and_chunk() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(dir.path(), points_limit(16));
        store
            .commit(&create_with(3, replace(0, 1000, tens(100))))
            .unwrap();
    }
    // Damage one chunk behind the store's back.
    let victim;
    {
        let db = redb::Database::open(dir.path().join(RedbStore::FILE_NAME)).unwrap();
        let def: redb::TableDefinition<(i64, i64), &[u8]> = redb::TableDefinition::new("chunks");
        let txn = db.begin_write().unwrap();
        {
            let mut table = txn.open_table(def).unwrap();
            let (k, mut bytes) = {
                use redb::ReadableTable;
                let mut range = table.range((3, 300)..(3, 1000)).unwrap();
                let (k, v) = range.next().unwrap().unwrap();
                (k.value(), v.value().to_vec())
            };
            victim = k.1;
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0x10;
            table.insert(k, bytes.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    let store = open(dir.path(), points_limit(16));
    match store.read(3, 0, 1000) {
        Err(StoreError::CorruptChunk {
            key: 3,
            chunk_start_ms,
            ..
        }) => assert_eq!(chunk_start_ms, victim),
        other => panic!("expected a corrupt chunk error, got {other:?}"),
    }
    let message = store.read(3, 0, 1000).unwrap_err().to_string();
    assert!(message.contains("time series 3") && message.contains(&format!("{victim} ms")));
    // Data before the damaged chunk is still readable.
    assert_eq!(store.read(3, 0, 100).unwrap(), tens(10));
}

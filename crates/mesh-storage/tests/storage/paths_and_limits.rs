//! Full paths are unique among committed series; reads stop at a limit.

use mesh_storage::{read_overlay_at_most, ChangeSet, RedbStore, Store, StoreError, StoreOptions};

use crate::common::{create_with, meta, regular, replace, Committed};

fn at_path(key: i64, path: &str, name: &str) -> mesh_storage::SeriesMeta {
    mesh_storage::SeriesMeta {
        path: path.to_string(),
        name: name.to_string(),
        ..meta(key)
    }
}

#[test]
fn a_commit_giving_a_second_series_a_taken_path_fails_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path()).unwrap();
    let mut first = ChangeSet::new();
    first.create_series(at_path(1, "/Plants/", "Inflow"));
    store.commit(&first).unwrap();
    assert_eq!(store.series_at_path("/Plants/Inflow").unwrap(), Some(1));

    // Another key at the same path, beside an unrelated new series: the
    // commit fails and neither becomes visible.
    let mut second = ChangeSet::new();
    second.create_series(at_path(2, "/Plants/", "Inflow"));
    second.create_series(at_path(3, "/Plants/", "Outflow"));
    match store.commit(&second) {
        Err(StoreError::PathTaken { path, existing }) => {
            assert_eq!((path.as_str(), existing), ("/Plants/Inflow", 1));
        }
        other => panic!("expected PathTaken, got {other:?}"),
    }
    assert_eq!(store.series(2).unwrap(), None);
    assert_eq!(store.series(3).unwrap(), None);
    assert_eq!(store.series_at_path("/Plants/Outflow").unwrap(), None);

    // Two new series with one path in a single commit: refused too.
    let mut twins = ChangeSet::new();
    twins.create_series(at_path(4, "/A/", "x"));
    twins.create_series(at_path(5, "/A/", "x"));
    assert!(matches!(
        store.commit(&twins),
        Err(StoreError::PathTaken { existing: 4, .. })
    ));
    assert_eq!(store.series_at_path("/A/x").unwrap(), None);

    // New metadata for the series that has the path is no conflict.
    let mut update = ChangeSet::new();
    update.update_meta(mesh_storage::SeriesMeta {
        curve_type: mesh_timeseries::CurveType::Staircase,
        ..at_path(1, "/Plants/", "Inflow")
    });
    store.commit(&update).unwrap();
    assert_eq!(
        store.series(1).unwrap().unwrap().curve_type,
        mesh_timeseries::CurveType::Staircase
    );
    assert_eq!(store.series_at_path("/Plants/Inflow").unwrap(), Some(1));
}

#[test]
fn a_change_set_knows_the_paths_it_creates() {
    let mut changes = ChangeSet::new();
    changes.create_series(at_path(7, "/", "a"));
    assert_eq!(changes.series_at_path("/a"), Some(7));
    assert_eq!(changes.series_at_path("/b"), None);
    changes.clear();
    assert_eq!(changes.series_at_path("/a"), None);
}

#[test]
fn a_layout_2_file_gets_its_path_index_on_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = RedbStore::open(dir.path()).unwrap();
        let mut changes = ChangeSet::new();
        changes.create_series(at_path(1, "/Old/", "one"));
        changes.create_series(at_path(2, "/Old/", "two"));
        store.commit(&changes).unwrap();
    }
    // Make it what a layout 2 build wrote: no index, version 2.
    {
        let db = redb::Database::open(dir.path().join(RedbStore::FILE_NAME)).unwrap();
        let txn = db.begin_write().unwrap();
        txn.delete_table(redb::TableDefinition::<&str, i64>::new("paths"))
            .unwrap();
        txn.open_table(redb::TableDefinition::<&str, u64>::new("info"))
            .unwrap()
            .insert("layout_version", 2)
            .unwrap();
        txn.commit().unwrap();
    }
    let store = RedbStore::open(dir.path()).unwrap();
    assert_eq!(store.series_at_path("/Old/one").unwrap(), Some(1));
    assert_eq!(store.series_at_path("/Old/two").unwrap(), Some(2));
    let mut clash = ChangeSet::new();
    clash.create_series(at_path(3, "/Old/", "two"));
    assert!(matches!(
        store.commit(&clash),
        Err(StoreError::PathTaken { existing: 2, .. })
    ));
}

#[test]
fn reads_stop_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open_with(
        dir.path(),
        StoreOptions {
            max_chunk_points: 64,
            ..StoreOptions::default()
        },
    )
    .unwrap();
    let points = regular(0, 10, 1_000, |i| i as f64);
    store
        .commit(&create_with(1, replace(0, 10_000, points.clone())))
        .unwrap();

    assert_eq!(
        store.read_ranges(1, &[(0, 10_000)], 1_000).unwrap(),
        Some(points.clone())
    );
    assert_eq!(store.read_ranges(1, &[(0, 10_000)], 999).unwrap(), None);
    // Several ranges, read in one go, counted together.
    let two = store
        .read_ranges(1, &[(0, 100), (5_000, 5_100)], 20)
        .unwrap()
        .unwrap();
    assert_eq!(two, [&points[0..10], &points[500..510]].concat());
    assert_eq!(
        store
            .read_ranges(1, &[(0, 100), (5_000, 5_100)], 19)
            .unwrap(),
        None
    );
}

#[test]
fn pending_deletes_count_before_the_limit_does() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path()).unwrap();
    store
        .commit(&create_with(
            1,
            replace(0, 10_000, regular(0, 10, 1_000, |i| i as f64)),
        ))
        .unwrap();
    // The session deleted most of the window: what it sees fits in 100
    // points although 1,000 are committed there.
    let mut pending = ChangeSet::new();
    pending.replace_points(1, replace(500, 10_000, Vec::new()));
    let seen = read_overlay_at_most(
        &*store.snapshot().unwrap(),
        pending.get(1),
        1,
        0,
        10_000,
        100,
    )
    .unwrap()
    .unwrap();
    assert_eq!(seen.len(), 50);
    assert_eq!(
        read_overlay_at_most(
            &*store.snapshot().unwrap(),
            pending.get(1),
            1,
            0,
            10_000,
            49
        )
        .unwrap(),
        None
    );
    // Pending points count too.
    pending.replace_points(1, replace(9_000, 9_100, regular(9_000, 1, 100, |_| 1.0)));
    assert_eq!(
        read_overlay_at_most(
            &*store.snapshot().unwrap(),
            pending.get(1),
            1,
            0,
            10_000,
            149
        )
        .unwrap(),
        None
    );
    assert_eq!(
        read_overlay_at_most(
            &*store.snapshot().unwrap(),
            pending.get(1),
            1,
            0,
            10_000,
            150
        )
        .unwrap()
        .map(|points| points.len()),
        Some(150)
    );
}

//! History: after random commits of random replaces (small chunks, so
//! writes cross chunk boundaries, clear intervals and merge chunks), the
//! series as of every commit equals what a read returned right after that
//! commit; across a restart and in a backup too.

use mesh_storage::{as_of, ChangeSet, Point, RedbStore, Snapshot, Store, Undo, Write};

use crate::common::*;
use crate::model::{random_replace, random_window};

const KEYS: [i64; 2] = [1, 2];
const ALL: (i64, i64) = (i64::MIN, i64::MAX);

/// What reads returned after one commit.
struct Seen {
    seq: u64,
    commit_ms: i64,
    states: Vec<Vec<Point>>,
}

fn same(got: &[Point], want: &[Point], what: &str) {
    let bits = |p: &[Point]| -> Vec<(i64, u32, u64)> {
        p.iter()
            .map(|p| (p.utc_ms, p.flags, p.value.to_bits()))
            .collect()
    };
    assert_eq!(bits(got), bits(want), "{what}");
}

fn random_commits(store: &RedbStore, rounds: usize, seed: u64) -> Vec<Seen> {
    let mut rng = Rng::new(seed);
    let mut create = ChangeSet::new();
    for key in KEYS {
        create.create_series(meta(key));
    }
    create.author = "creator".into();
    store.commit(&create).unwrap();
    let mut seen = Vec::new();
    for round in 0..rounds {
        let mut cs = ChangeSet::new();
        cs.author = format!("writer {round}");
        for _ in 0..=rng.next() % 3 {
            let key = KEYS[(rng.next() % KEYS.len() as u64) as usize];
            cs.replace_points(key, random_replace(&mut rng));
        }
        let stats = store.commit(&cs).unwrap();
        let states = KEYS
            .iter()
            .map(|&k| store.read(k, ALL.0, ALL.1).unwrap())
            .collect();
        seen.push(Seen {
            seq: stats.seq,
            commit_ms: stats.commit_ms,
            states,
        });
    }
    seen
}

/// Series `key` (the `i`th) as of commit `s` is what was read after it.
fn same_after(snapshot: &dyn Snapshot, key: i64, writes: &[Write], s: &Seen, i: usize, note: &str) {
    let got = as_of(snapshot, key, ALL.0, ALL.1, writes, Undo::From(s.seq + 1)).unwrap();
    let what = format!("series {key} after commit {}{note}", s.seq);
    same(&got, &s.states[i], &what);
}

/// Every recorded state comes back as of its commit, whole and in windows;
/// as of a time, the state after the last commit of that millisecond.
fn check(store: &RedbStore, seen: &[Seen], seed: u64) {
    let snapshot = store.snapshot().unwrap();
    let mut rng = Rng::new(seed);
    for (i, &key) in KEYS.iter().enumerate() {
        let writes = snapshot.writes(key, ALL.0, ALL.1).unwrap();
        assert!(writes
            .windows(2)
            .all(|w| (w[0].seq, w[0].part) < (w[1].seq, w[1].part)));
        for (n, s) in seen.iter().enumerate() {
            same_after(&*snapshot, key, &writes, s, i, "");
            let (a, b) = random_window(&mut rng);
            let window = snapshot.writes(key, a, b).unwrap();
            // The undone ones, found from the newest back, are the same.
            let undo = Undo::From(s.seq + 1);
            let undone: Vec<Write> = window.iter().filter(|w| undo.undoes(w)).cloned().collect();
            assert_eq!(snapshot.writes_undone(key, a, b, undo).unwrap(), undone);
            let got = as_of(&*snapshot, key, a, b, &window, Undo::From(s.seq + 1)).unwrap();
            let want: Vec<Point> = s.states[i]
                .iter()
                .filter(|p| p.utc_ms >= a && p.utc_ms < b)
                .copied()
                .collect();
            same(
                &got,
                &want,
                &format!("series {key} after commit {} in [{a}, {b})", s.seq),
            );
            // By time: the last commit of the same millisecond wins.
            let last_of_ms = seen[n..]
                .iter()
                .take_while(|later| later.commit_ms == s.commit_ms)
                .last()
                .unwrap();
            let got = as_of(
                &*snapshot,
                key,
                ALL.0,
                ALL.1,
                &writes,
                Undo::After(s.commit_ms),
            )
            .unwrap();
            same(
                &got,
                &last_of_ms.states[i],
                &format!("series {key} as of {} ms", s.commit_ms),
            );
        }
        // Before the first write: nothing.
        let first = writes.first().map_or(1, |w| w.seq);
        let got = as_of(&*snapshot, key, ALL.0, ALL.1, &writes, Undo::From(first)).unwrap();
        assert!(
            got.is_empty(),
            "series {key} before its first write: {got:?}"
        );
    }
}

#[test]
fn as_of_every_commit_equals_what_was_read_then() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), points_limit(16));
    let seen = random_commits(&store, 100, 7);
    check(&store, &seen, 11);

    // Commit numbers increase, times never decrease.
    assert!(seen
        .windows(2)
        .all(|w| w[0].seq < w[1].seq && w[0].commit_ms <= w[1].commit_ms));
    let snapshot = store.snapshot().unwrap();
    assert_eq!(
        snapshot.author(seen[3].seq).unwrap().as_deref(),
        Some("writer 3")
    );
    assert_eq!(snapshot.author(u64::MAX).unwrap(), None);
    drop(snapshot);

    // A backup carries the history, and so does a restart.
    let target = dir.path().join("backup");
    store.backup_to(&target).unwrap();
    drop(store);
    check(&open(dir.path(), points_limit(16)), &seen, 11);
    check(&open(&target, points_limit(16)), &seen, 11);
}

#[test]
fn a_write_covers_its_interval_and_clears_keep_what_they_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), points_limit(8));
    let first = store
        .commit(&create_with(
            1,
            replace(0, 100, regular(0, 1, 100, |i| i as f64)),
        ))
        .unwrap();
    let mut clear = ChangeSet::new();
    clear.replace_points(1, replace(20, 60, vec![]));
    let cleared = store.commit(&clear).unwrap();
    assert!(store.read(1, 20, 60).unwrap().is_empty());

    let snapshot = store.snapshot().unwrap();
    let writes = snapshot.writes(1, 0, 100).unwrap();
    assert_eq!(
        writes
            .iter()
            .map(|w| (w.seq, w.start_ms, w.end_ms))
            .collect::<Vec<_>>(),
        vec![(first.seq, 0, 100), (cleared.seq, 20, 60)]
    );
    // What the clear removed is kept with it.
    let removed = snapshot.replaced(1, &writes[1], 0, 100).unwrap();
    same(
        &removed,
        &regular(20, 1, 40, |i| (i + 20) as f64),
        "the cleared points",
    );
    // Writes outside a window are not listed.
    assert_eq!(snapshot.writes(1, 60, 100).unwrap().len(), 1);
    assert_eq!(snapshot.writes(2, ALL.0, ALL.1).unwrap(), vec![]);
}

#[test]
fn pruning_drops_old_history_and_keeps_the_rest_and_the_current_state() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), points_limit(16));
    let seen = random_commits(&store, 60, 3);
    let current: Vec<Vec<Point>> = KEYS
        .iter()
        .map(|&k| store.read(k, ALL.0, ALL.1).unwrap())
        .collect();
    assert_eq!(store.snapshot().unwrap().history_since().unwrap(), i64::MIN);
    // Nothing is older than the first commit.
    assert_eq!(store.prune_history(i64::MIN).unwrap(), 0);

    let before = seen[30].commit_ms;
    let dropped = store.prune_history(before).unwrap();
    assert!(dropped > 0);
    let snapshot = store.snapshot().unwrap();
    assert_eq!(snapshot.history_since().unwrap(), before);
    for (i, &key) in KEYS.iter().enumerate() {
        assert_eq!(store.read(key, ALL.0, ALL.1).unwrap(), current[i]);
        let writes = snapshot.writes(key, ALL.0, ALL.1).unwrap();
        assert!(writes.iter().all(|w| w.commit_ms >= before), "{writes:?}");
        for s in seen.iter().filter(|s| s.commit_ms >= before) {
            same_after(&*snapshot, key, &writes, s, i, " (kept)");
        }
    }
    // An earlier horizon does not move it back.
    drop(snapshot);
    store.prune_history(before - 1_000).unwrap();
    assert_eq!(store.snapshot().unwrap().history_since().unwrap(), before);
}

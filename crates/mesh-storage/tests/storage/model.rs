//! Random replace sequences checked against a naive model: the overlay a
//! session sees before committing must equal what the store returns after
//! the commit, and both must equal a plain sorted map.

use std::collections::BTreeMap;

use mesh_storage::{
    first_at_or_after_overlay, read_overlay, series_overlay, ChangeSet, Point, Replace, Store,
    StoreOptions,
};

use crate::common::*;

const KEYS: [i64; 3] = [1, 2, 3];
const DOMAIN: i64 = 3000;

pub(crate) fn random_replace(rng: &mut Rng) -> Replace {
    let start = rng.range(-100, DOMAIN);
    let len = match rng.next() % 6 {
        0 => 0,
        1 => rng.range(1, 5),
        2 => rng.range(1, 60),
        3 => rng.range(1, 800),
        4 => DOMAIN + 200,
        _ => rng.range(1, 250),
    };
    let end = start + len;
    let density = [1u64, 1, 2, 3, 10, 50][(rng.next() % 6) as usize];
    let mut points = Vec::new();
    if !rng.next().is_multiple_of(8) {
        for t in start..end {
            if rng.next().is_multiple_of(density) {
                let value = match rng.next() % 10 {
                    0 => f64::NAN,
                    1 => f64::from_bits(rng.next()),
                    _ => (rng.next() % 1000) as f64 / 8.0,
                };
                let flags = if rng.chance(5) { rng.next() as u32 } else { 0 };
                points.push(Point::new(t, flags, value));
            }
        }
    }
    replace(start, end, points)
}

pub(crate) fn random_window(rng: &mut Rng) -> (i64, i64) {
    let a = rng.range(-200, DOMAIN + 200);
    let len = match rng.next() % 4 {
        0 => rng.range(0, 5),
        1 => rng.range(0, 100),
        2 => rng.range(0, 1000),
        _ => DOMAIN + 1000,
    };
    (a, a + len)
}

/// Checks every view of the session (overlay) against the model with the
/// pending replaces applied.
fn check_views(
    store: &dyn Store,
    keys: &[i64],
    pending: &ChangeSet,
    model: &BTreeMap<i64, Model>,
    rng: &mut Rng,
    context: &str,
) {
    for &key in keys {
        let mut view = model.get(&key).cloned().unwrap_or_default();
        if let Some(change) = pending.get(key) {
            for r in &change.replaces {
                view.apply(r);
            }
        }
        let p = pending.get(key);
        assert_eq!(
            read_overlay(&*store.snapshot().unwrap(), p, key, i64::MIN, i64::MAX).unwrap(),
            view.read(i64::MIN, i64::MAX),
            "{context}, series {key}, everything"
        );
        for _ in 0..6 {
            let (a, b) = random_window(rng);
            assert_eq!(
                read_overlay(&*store.snapshot().unwrap(), p, key, a, b).unwrap(),
                view.read(a, b),
                "{context}, series {key}, window [{a}, {b})"
            );
            assert_eq!(
                first_at_or_after_overlay(&*store.snapshot().unwrap(), p, key, b).unwrap(),
                view.first_at_or_after(b),
                "{context}, series {key}, first at or after {b}"
            );
        }
    }
}

#[test]
fn overlay_and_committed_reads_match_a_naive_model() {
    let option_sets = [
        points_limit(8),
        points_limit(16),
        StoreOptions {
            max_chunk_points: 64,
            max_chunk_bytes: 300,
            ..StoreOptions::default()
        },
    ];
    for (set, options) in option_sets.into_iter().enumerate() {
        // One store per set of options, and one group of series per seed:
        // opening stores is what costs most in unoptimised builds.
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path(), options);
        for seed in 1..=4u64 {
            let keys = KEYS.map(|k| k + 10 * seed as i64);
            let mut rng = Rng::new((seed + 4 * set as u64) * 0x9E37_79B9);
            let mut model: BTreeMap<i64, Model> = BTreeMap::new();

            let mut created = ChangeSet::new();
            for key in keys {
                created.create_series(meta(key));
            }
            let first = keys[0];
            assert_eq!(
                series_overlay(&*store.snapshot().unwrap(), created.get(first), first).unwrap(),
                Some(meta(first))
            );
            assert_eq!(
                series_overlay(&*store.snapshot().unwrap(), None, first).unwrap(),
                None
            );
            store.commit(&created).unwrap();
            assert_eq!(
                series_overlay(&*store.snapshot().unwrap(), None, first).unwrap(),
                Some(meta(first))
            );

            for round in 0..14 {
                let context = format!("options {options:?}, seed {seed}, round {round}");
                let mut cs = ChangeSet::new();
                for _ in 0..rng.range(1, 8) {
                    let key = keys[(rng.next() % 3) as usize];
                    cs.replace_points(key, random_replace(&mut rng));
                }
                check_views(&store, &keys, &cs, &model, &mut rng, &context);
                if rng.chance(5) {
                    // Rolled back: nothing changes.
                    continue;
                }
                store.commit(&cs).unwrap();
                for (&key, change) in &cs.series {
                    let m = model.entry(key).or_default();
                    for r in &change.replaces {
                        m.apply(r);
                    }
                }
                check_views(&store, &keys, &ChangeSet::new(), &model, &mut rng, &context);
                // (The committed state was just compared, through the
                // overlay with nothing pending, which reads the store.)
                for key in keys {
                    check_chunks(&store, key, options);
                }
            }
        }
    }
}

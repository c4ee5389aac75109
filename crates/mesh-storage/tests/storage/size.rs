//! Storage cost per point. The measurement itself is ignored by default
//! (run with `cargo test --release -p mesh-storage -- --ignored
//! --nocapture bytes_per_point`); a cheap sanity bound always runs.

use mesh_storage::{Point, RedbStore, Store};

use crate::common::*;

const HOUR: i64 = 3_600_000;
const T0: i64 = 1_577_836_800_000; // 2020-01-01

/// What writing one series cost.
struct Measured {
    chunk_bytes: usize,
    space: mesh_storage::SpaceUsage,
    write: std::time::Duration,
    read: std::time::Duration,
}

/// Writes `points` as one series, in commits of 200,000 points (about what
/// one 4 MiB request carries), and reads it back.
fn measure(points: &[Point]) -> Measured {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path()).unwrap();
    let started = std::time::Instant::now();
    for (i, part) in points.chunks(200_000).enumerate() {
        let start = part[0].utc_ms;
        let end = part.last().unwrap().utc_ms + 1;
        let cs = if i == 0 {
            create_with(1, replace(start, end, part.to_vec()))
        } else {
            let mut cs = mesh_storage::ChangeSet::new();
            cs.replace_points(1, replace(start, end, part.to_vec()));
            cs
        };
        store.commit(&cs).unwrap();
    }
    let write = started.elapsed();
    let started = std::time::Instant::now();
    let back = store.read(1, i64::MIN, i64::MAX).unwrap();
    let read = started.elapsed();
    assert_eq!(back.len(), points.len());
    Measured {
        chunk_bytes: store.chunks(1).unwrap().iter().map(|c| c.bytes).sum(),
        space: store.space().unwrap(),
        write,
        read,
    }
}

fn smooth(i: usize) -> f64 {
    // A daily cycle on top of a yearly one, as loads and prices have.
    let h = i as f64;
    100.0
        + 20.0 * (h * std::f64::consts::TAU / 24.0).sin()
        + 30.0 * (h * std::f64::consts::TAU / 8766.0).cos()
}

#[test]
fn constant_hourly_data_costs_next_to_nothing() {
    let points = regular(T0, HOUR, 50_000, |_| 42.0);
    let bytes = measure(&points).chunk_bytes;
    assert!((bytes as f64) / 50_000.0 < 0.2, "{bytes} bytes");
}

#[test]
#[ignore = "a measurement, not a test; see the module docs"]
fn bytes_per_point() {
    let n = 1_000_000;
    let mut rng = Rng::new(7);
    let cases: Vec<(&str, Vec<Point>)> = vec![
        (
            "hourly, smooth (sin/cos), flags 0",
            regular(T0, HOUR, n, smooth),
        ),
        (
            "hourly, smooth rounded to 0.01",
            regular(T0, HOUR, n, |i| (smooth(i) * 100.0).round() / 100.0),
        ),
        ("hourly, constant", regular(T0, HOUR, n, |_| 42.0)),
        (
            "hourly, integers",
            regular(T0, HOUR, n, |i| smooth(i).round()),
        ),
        (
            "hourly, random bits",
            regular(T0, HOUR, n, |_| f64::from_bits(rng.next() >> 2)),
        ),
        ("irregular times (breakpoints), smooth", {
            let mut t = T0;
            (0..n)
                .map(|i| {
                    t += rng.range(1, 2 * HOUR);
                    Point::new(t, 0, smooth(i))
                })
                .collect()
        }),
    ];
    for (name, points) in cases {
        let m = measure(&points);
        let per_point = |b: u64| b as f64 / n as f64;
        println!(
            "{name}: {:.3} bytes/point in chunks; {:.3} in allocated pages; \
             file {:.3}; write {:.0?}, read {:.0?}",
            per_point(m.chunk_bytes as u64),
            per_point(m.space.allocated_bytes),
            per_point(m.space.file_bytes),
            m.write,
            m.read,
        );
    }
}

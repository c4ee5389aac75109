//! Helpers shared by the tests.

use std::collections::BTreeMap;

use mesh_storage::{ChangeSet, Point, RedbStore, Replace, Result, SeriesMeta, Store, StoreOptions};
use mesh_timeseries::{CurveType, Resolution};

/// Reads of the committed state for the tests, each on a snapshot of its
/// own (the server takes one snapshot per request instead).
pub trait Committed {
    fn series(&self, key: i64) -> Result<Option<SeriesMeta>>;
    fn series_at_path(&self, full_path: &str) -> Result<Option<i64>>;
    fn read(&self, key: i64, start_ms: i64, end_ms: i64) -> Result<Vec<Point>>;
    fn read_ranges(
        &self,
        key: i64,
        ranges: &[(i64, i64)],
        max_points: usize,
    ) -> Result<Option<Vec<Point>>>;
    fn first_at_or_after(&self, key: i64, t_ms: i64) -> Result<Option<Point>>;
}

impl<S: Store> Committed for S {
    fn series(&self, key: i64) -> Result<Option<SeriesMeta>> {
        self.snapshot()?.series(key)
    }
    fn series_at_path(&self, full_path: &str) -> Result<Option<i64>> {
        self.snapshot()?.series_at_path(full_path)
    }
    fn read(&self, key: i64, start_ms: i64, end_ms: i64) -> Result<Vec<Point>> {
        self.snapshot()?.read(key, start_ms, end_ms)
    }
    fn read_ranges(
        &self,
        key: i64,
        ranges: &[(i64, i64)],
        max_points: usize,
    ) -> Result<Option<Vec<Point>>> {
        self.snapshot()?.read_ranges(key, ranges, max_points)
    }
    fn first_at_or_after(&self, key: i64, t_ms: i64) -> Result<Option<Point>> {
        self.snapshot()?.first_at_or_after(key, t_ms)
    }
}

/// A small deterministic generator (xorshift64*), enough for test data and
/// reproducible from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo) as u64) as i64
    }

    pub fn chance(&mut self, one_in: u64) -> bool {
        self.next().is_multiple_of(one_in)
    }
}

pub fn meta(key: i64) -> SeriesMeta {
    SeriesMeta {
        key,
        path: format!("/Test/series{key}"),
        name: format!("series{key}"),
        curve_type: CurveType::StaircaseStartOfStep,
        resolution: Resolution::Month,
        unit_id: uuid::Uuid::from_bytes([key as u8; 16]),
        time_zone: None,
        virtual_expression: None,
    }
}

/// Regular points: `n` of them from `start`, `step` apart, values from `f`.
pub fn regular(start: i64, step: i64, n: usize, mut f: impl FnMut(usize) -> f64) -> Vec<Point> {
    (0..n)
        .map(|i| Point::new(start + i as i64 * step, 0, f(i)))
        .collect()
}

pub fn replace(start_ms: i64, end_ms: i64, points: Vec<Point>) -> Replace {
    Replace {
        start_ms,
        end_ms,
        points,
    }
}

/// A change set that creates series `key` and writes one replace.
pub fn create_with(key: i64, r: Replace) -> ChangeSet {
    let mut cs = ChangeSet::new();
    cs.create_series(meta(key));
    cs.replace_points(key, r);
    cs
}

/// Options with small chunks, to exercise splitting and merging with
/// little data.
pub fn points_limit(max_chunk_points: usize) -> StoreOptions {
    StoreOptions {
        max_chunk_points,
        ..StoreOptions::default()
    }
}

pub fn open(dir: &std::path::Path, options: StoreOptions) -> RedbStore {
    RedbStore::open_with(dir, options).unwrap()
}

/// The obvious model of a series: a sorted map from time to point.
#[derive(Default, Clone)]
pub struct Model(pub BTreeMap<i64, Point>);

impl Model {
    pub fn apply(&mut self, r: &Replace) {
        if r.start_ms < r.end_ms {
            let doomed: Vec<i64> = self
                .0
                .range(r.start_ms..r.end_ms)
                .map(|(&t, _)| t)
                .collect();
            for t in doomed {
                self.0.remove(&t);
            }
        }
        for p in &r.points {
            self.0.insert(p.utc_ms, *p);
        }
    }

    pub fn read(&self, start: i64, end: i64) -> Vec<Point> {
        if start >= end {
            return Vec::new();
        }
        self.0.range(start..end).map(|(_, p)| *p).collect()
    }

    pub fn first_at_or_after(&self, t: i64) -> Option<Point> {
        self.0.range(t..).next().map(|(_, p)| *p)
    }
}

/// Checks the chunk invariants of series `key`: every chunk decodes, none
/// exceeds the limits, and none but the last is short (below a quarter of
/// both limits).
pub fn check_chunks(
    store: &RedbStore,
    key: i64,
    options: StoreOptions,
) -> Vec<mesh_storage::ChunkInfo> {
    let chunks = store.chunks(key).unwrap();
    let (max_points, max_bytes) = (options.max_chunk_points, options.max_chunk_bytes);
    for (i, c) in chunks.iter().enumerate() {
        assert!(
            c.points <= max_points && c.bytes <= max_bytes,
            "chunk {c:?} too big"
        );
        if i + 1 < chunks.len() {
            assert!(
                c.points >= max_points / 4 || c.bytes >= max_bytes / 4,
                "short chunk {c:?} among {}",
                chunks.len()
            );
        }
    }
    chunks
}

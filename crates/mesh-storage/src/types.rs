//! Plain data types shared by every store: series metadata and the changes
//! a session accumulates before it commits. Points are
//! [`mesh_timeseries::Point`], the one point type of server, store and SDK.

use std::collections::BTreeMap;

pub use mesh_timeseries::Point;
use mesh_timeseries::{CurveType, Resolution};
use uuid::Uuid;

/// What is known about a time series apart from its points.
///
/// A series is also known by its full path, [`SeriesMeta::full_path`]: no
/// two committed series share one (stores refuse such a commit with
/// [`crate::StoreError::PathTaken`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesMeta {
    pub key: i64,
    pub path: String,
    pub name: String,
    /// How values between points are read.
    pub curve_type: CurveType,
    /// The spacing of the points.
    pub resolution: Resolution,
    /// The unit of measurement.
    pub unit_id: Uuid,
    /// IANA time zone of daily and coarser series, if any.
    pub time_zone: Option<String>,
    /// The expression of a virtual series, evaluated on read; `None` for a
    /// physical series, which stores its points.
    pub virtual_expression: Option<String>,
}

impl SeriesMeta {
    /// The catalogue path and the name together (`/Catalog/` and `Inflow`
    /// give `/Catalog/Inflow`): what identifies the series besides its key.
    pub fn full_path(&self) -> String {
        format!("{}{}", self.path, self.name)
    }
}

/// Replace everything in `[start_ms, end_ms)` with `points`.
///
/// `points` must be strictly increasing and inside the interval; an empty
/// `points` deletes the interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replace {
    pub start_ms: i64,
    pub end_ms: i64,
    pub points: Vec<Point>,
}

impl Replace {
    /// Checks the promises a replace makes: a non-inverted interval and
    /// strictly increasing points inside it. Stores check this at commit so
    /// that a caller's mistake cannot leave unordered data on disk.
    pub fn validate(&self) -> Result<(), String> {
        if self.start_ms > self.end_ms {
            return Err(format!(
                "interval start {} is after its end {}",
                self.start_ms, self.end_ms
            ));
        }
        let mut previous: Option<i64> = None;
        for p in &self.points {
            if p.utc_ms < self.start_ms || p.utc_ms >= self.end_ms {
                return Err(format!(
                    "point at {} is outside the interval [{}, {})",
                    p.utc_ms, self.start_ms, self.end_ms
                ));
            }
            if previous.is_some_and(|t| t >= p.utc_ms) {
                return Err(format!("timestamps are not increasing at {} ms", p.utc_ms));
            }
            previous = Some(p.utc_ms);
        }
        Ok(())
    }
}

/// The uncommitted changes of one series.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeriesChange {
    /// New metadata: creates the series, or replaces its metadata.
    pub meta: Option<SeriesMeta>,
    /// Point replacements, in the order they were written; later ones win
    /// where they overlap earlier ones.
    pub replaces: Vec<Replace>,
}

/// Everything a session has changed and not yet committed: the one thing
/// a commit hands to the store, applied as a unit (all of it or none).
///
/// Time series (metadata and points) are its first section, keyed by series
/// key; the model's objects and attributes join as sections of their own,
/// so that one commit carries every kind of change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    pub series: BTreeMap<i64, SeriesChange>,
    /// Records of the model to write (`Some`) or delete (`None`), by key.
    /// The store keeps them opaque; the model crate gives them meaning.
    pub records: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Who commits it (the session's identity), kept with the commit in
    /// the series' history; empty when unknown.
    pub author: String,
    /// Full path → key of the series this change set creates or updates,
    /// so that a duplicate path is found without a scan of every series.
    by_path: BTreeMap<String, i64>,
}

impl ChangeSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the creation of a series under `meta.key`.
    pub fn create_series(&mut self, meta: SeriesMeta) {
        let key = meta.key;
        let change = self.series.entry(key).or_default();
        if let Some(old) = &change.meta {
            self.by_path.remove(&old.full_path());
        }
        self.by_path.insert(meta.full_path(), key);
        change.meta = Some(meta);
    }

    /// The key of the series with this full path ([`SeriesMeta::full_path`])
    /// among the metadata recorded here.
    pub fn series_at_path(&self, full_path: &str) -> Option<i64> {
        self.by_path.get(full_path).copied()
    }

    /// Records new metadata for an existing series. Stores treat it exactly
    /// like a creation: the metadata is written as a whole.
    pub fn update_meta(&mut self, meta: SeriesMeta) {
        self.create_series(meta);
    }

    /// Records a replacement of points in series `key`.
    ///
    /// Earlier replaces whose interval lies entirely inside the new one can
    /// no longer have any visible effect, so they are dropped: a session that
    /// keeps rewriting the same interval then holds only the latest version
    /// in memory rather than every one of them.
    pub fn replace_points(&mut self, key: i64, replace: Replace) {
        let change = self.series.entry(key).or_default();
        if replace.start_ms < replace.end_ms {
            change
                .replaces
                .retain(|r| !(replace.start_ms <= r.start_ms && r.end_ms <= replace.end_ms));
        }
        change.replaces.push(replace);
    }

    /// The pending change of one series, if any.
    pub fn get(&self, key: i64) -> Option<&SeriesChange> {
        self.series.get(&key)
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty() && self.records.is_empty()
    }

    pub fn clear(&mut self) {
        self.series.clear();
        self.by_path.clear();
        self.records.clear();
    }
}

/// One committed write of a series, as its history keeps it: one replace
/// of one commit. The points it replaced (the series as it was before it,
/// in its interval) are kept with it, so the current state is stored once
/// and only overwritten data adds history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// The commit's number: strictly increasing over the store's commits,
    /// so it orders commits of the same millisecond.
    pub seq: u64,
    /// Which of the commit's replaces of this series (0, 1, …), in the
    /// order they were applied.
    pub part: u32,
    /// The commit time, ms since the Unix epoch: one per commit, never
    /// decreasing as `seq` grows.
    pub commit_ms: i64,
    /// The replaced interval, `[start_ms, end_ms)`.
    pub start_ms: i64,
    /// End of the replaced interval (exclusive).
    pub end_ms: i64,
}

/// What a commit did, for logs and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// The commit's number ([`Write::seq`]); 0 for a commit of nothing.
    pub seq: u64,
    /// The commit time ([`Write::commit_ms`]); 0 for a commit of nothing.
    pub commit_ms: i64,
    /// Series touched (metadata or points).
    pub series: u64,
    /// Metadata records written.
    pub metas_written: u64,
    /// Replaces applied.
    pub replaces: u64,
    /// Points handed in by the replaces.
    pub points_written: u64,
    /// Chunks written (new or rewritten).
    pub chunks_written: u64,
    /// Chunks removed (rewritten under another key, merged, or deleted).
    pub chunks_removed: u64,
    /// Model records written or deleted.
    pub records_written: u64,
}

/// One row of the table of access tokens a server issued (after a Kerberos
/// sign-in), kept by the token's SHA-256 digest: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    /// End of the token's validity, in milliseconds since 1970 (UTC): wall
    /// clock, comparable between servers.
    pub expires_at_ms: i64,
    /// Set once by a revocation; a revoked token never works again.
    pub revoked: bool,
    /// Who the token was issued to, as the server encodes it.
    pub identity: Vec<u8>,
}

impl TokenRow {
    /// The row as stored: expiry (8 bytes, little endian), revoked (1
    /// byte), identity.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(9 + self.identity.len());
        out.extend_from_slice(&self.expires_at_ms.to_le_bytes());
        out.push(u8::from(self.revoked));
        out.extend_from_slice(&self.identity);
        out
    }

    /// A stored row; `None` when the bytes are not one.
    pub fn decode(bytes: &[u8]) -> Option<TokenRow> {
        let (expires, rest) = bytes.split_first_chunk::<8>()?;
        let (&revoked, identity) = rest.split_first()?;
        Some(TokenRow {
            expires_at_ms: i64::from_le_bytes(*expires),
            revoked: match revoked {
                0 => false,
                1 => true,
                _ => return None,
            },
            identity: identity.to_vec(),
        })
    }
}

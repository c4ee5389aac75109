//! Reading points as the session sees them.

use mesh_storage::{SeriesMeta, Snapshot, Undo, Write};
use mesh_timeseries::{segment, CurveType, Point, Resolution};

use super::series::grid;
use super::{not_found, SessionView, SnapshotView, ViewError};

/// How large an answer may be.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimit {
    /// The most points one answer may hold.
    pub max_points: usize,
    /// The message size they must fit in, to say so when they do not.
    pub message_bytes: usize,
}

/// A read's answer.
#[derive(Debug, Clone)]
pub struct ReadAnswer {
    /// The series read.
    pub meta: SeriesMeta,
    /// The interval the points cover; `None` for a breakpoint read that
    /// found no point (clients take an absent interval to mean that).
    pub interval: Option<(i64, i64)>,
    /// The points (see [`SessionView::read`]).
    pub points: Vec<Point>,
}

impl SessionView {
    /// Series `key` in `[start, end)`: one point per step for fixed
    /// resolutions (missing steps as NaN flagged MISSING), stored points for
    /// breakpoint series; for piecewise linear curves also the point to
    /// interpolate towards: the step at (or just after) `end` for fixed
    /// resolutions, the first point at or after `end` for breakpoints.
    ///
    /// Everything comes from one snapshot of the store. An answer larger
    /// than `limit` is refused before it is loaded: fixed resolutions on
    /// their step count, breakpoints as the store counts their points.
    pub async fn read(
        &self,
        key: i64,
        interval: (i64, i64),
        limit: ReadLimit,
    ) -> Result<ReadAnswer, ViewError> {
        self.with_snapshot(move |snapshot| snapshot.read(key, interval, limit))
            .await
    }
}

/// Where a read's points come from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// What the session sees: the committed state under its pending
    /// changes.
    Session,
    /// The committed state with later writes undone (the session's own
    /// pending changes have no commit time, so no history either).
    AsOf(Undo),
}

impl SnapshotView<'_> {
    /// [`SessionView::read`] on this snapshot.
    pub fn read(
        &self,
        key: i64,
        range: (i64, i64),
        limit: ReadLimit,
    ) -> Result<ReadAnswer, ViewError> {
        self.read_from(key, range, limit, Source::Session)
    }

    /// [`SnapshotView::read`] of series `key` as it was committed with the
    /// writes `undo` names undone: the same shape (steps filled, the linear
    /// end point), from committed data only.
    pub fn read_as_of(
        &self,
        key: i64,
        range: (i64, i64),
        limit: ReadLimit,
        undo: Undo,
    ) -> Result<ReadAnswer, ViewError> {
        self.read_from(key, range, limit, Source::AsOf(undo))
    }

    /// The committed writes of series `key` meeting `[start, end)`, oldest
    /// first.
    pub fn writes(&self, key: i64, (start, end): (i64, i64)) -> Result<Vec<Write>, ViewError> {
        Ok(self.snapshot.writes(key, start, end)?)
    }

    fn read_from(
        &self,
        key: i64,
        (start, end): (i64, i64),
        limit: ReadLimit,
        source: Source,
    ) -> Result<ReadAnswer, ViewError> {
        let snapshot = self.snapshot;
        let pending = match source {
            Source::Session => self.changes.get(key),
            Source::AsOf(_) => None,
        };
        if let Source::AsOf(Undo::After(ms)) = source {
            let since = snapshot.history_since()?;
            if ms < since {
                return Err(ViewError::InvalidArgument(format!(
                    "history is kept from {} on (--history-retention); {} is earlier",
                    utc(since),
                    utc(ms)
                )));
            }
        }
        let meta =
            mesh_storage::series_overlay(snapshot, pending, key)?.ok_or_else(|| not_found(key))?;
        let grid = grid(&meta)?;
        let breakpoint = meta.resolution == Resolution::Breakpoint;
        let piecewise_linear = meta.curve_type.reads_as() == CurveType::PiecewiseLinear;
        let filled_end = match (piecewise_linear, grid.ceil(end)) {
            (true, Some(step)) => step.saturating_add(1),
            _ => end,
        };
        if !breakpoint {
            // The bound may exceed the real count by a few steps for
            // calendar resolutions, hence the slack.
            let steps = grid.step_count_bound(start, filled_end);
            if steps > limit.max_points as u64 + mesh_timeseries::resolution::CALENDAR_BOUND_SLACK {
                return Err(too_large(&steps.to_string(), limit));
            }
        }
        let stored = match source {
            Source::Session => mesh_storage::read_overlay_at_most(
                snapshot,
                pending,
                key,
                start,
                filled_end,
                limit.max_points,
            )?,
            Source::AsOf(undo) => {
                let writes = snapshot.writes_undone(key, start, filled_end, undo)?;
                let points = mesh_storage::as_of(snapshot, key, start, filled_end, &writes, undo)?;
                (points.len() <= limit.max_points).then_some(points)
            }
        }
        .ok_or_else(|| too_large(&format!("more than {}", limit.max_points), limit))?;
        let mut points = segment::fill(&stored, start, filled_end, &grid)
            .map_err(|e| ViewError::InvalidArgument(e.to_string()))?;
        if piecewise_linear && breakpoint {
            let next = match source {
                Source::Session => {
                    mesh_storage::first_at_or_after_overlay(snapshot, pending, key, end)?
                }
                Source::AsOf(undo) => first_as_of(snapshot, key, end, undo)?,
            };
            if let Some(next) = next {
                points.push(next);
            }
        }
        if points.len() > limit.max_points {
            return Err(too_large(&points.len().to_string(), limit));
        }
        let interval = (!(breakpoint && points.is_empty())).then_some((start, end));
        Ok(ReadAnswer {
            meta,
            interval,
            points,
        })
    }
}

/// The first point at or after `t` of series `key` with the writes
/// `undo` names undone. Past the end of every undone write that reaches
/// beyond `t`, the series is its current self; before that, the as-of
/// state decides.
fn first_as_of(
    snapshot: &dyn Snapshot,
    key: i64,
    t: i64,
    undo: Undo,
) -> Result<Option<Point>, mesh_storage::StoreError> {
    let writes = snapshot.writes_undone(key, t, i64::MAX, undo)?;
    let current = snapshot.first_at_or_after(key, t)?;
    let undone_end = writes.iter().map(|w| w.end_ms).max();
    let Some(bound) = undone_end else {
        return Ok(current);
    };
    let bound = current.map_or(bound, |c| bound.max(c.utc_ms.saturating_add(1)));
    let before = mesh_storage::as_of(snapshot, key, t, bound, &writes, undo)?;
    match before.first() {
        Some(p) => Ok(Some(*p)),
        None => snapshot.first_at_or_after(key, bound),
    }
}

/// An instant for messages: RFC 3339, or the milliseconds if out of range.
fn utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map_or_else(|| format!("{ms} ms"), |t| t.to_rfc3339())
}

fn too_large(points: &str, limit: ReadLimit) -> ViewError {
    ViewError::TooLarge(format!(
        "the answer would hold {points} points, more than fit in one message of {} bytes; read a shorter interval (the Rust SDK splits reads by itself)",
        limit.message_bytes
    ))
}

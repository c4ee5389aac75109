//! A session's view of a series: one snapshot of the committed state with
//! the session's pending changes applied on top, computed without changing
//! the store.

use crate::error::Result;
use crate::store::Snapshot;
use crate::types::{Point, Replace, SeriesChange, SeriesMeta};

/// The metadata of series `key` as the session sees it: its pending
/// metadata if it has any, else the committed one.
pub fn series_overlay(
    snapshot: &dyn Snapshot,
    pending: Option<&SeriesChange>,
    key: i64,
) -> Result<Option<SeriesMeta>> {
    match pending.and_then(|p| p.meta.as_ref()) {
        Some(meta) => Ok(Some(meta.clone())),
        None => snapshot.series(key),
    }
}

/// The points series `key` would hold in `[start_ms, end_ms)` if the
/// pending replaces were committed now: exactly what a commit followed by
/// [`Snapshot::read`] would return.
pub fn read_overlay(
    snapshot: &dyn Snapshot,
    pending: Option<&SeriesChange>,
    key: i64,
    start_ms: i64,
    end_ms: i64,
) -> Result<Vec<Point>> {
    Ok(
        read_overlay_at_most(snapshot, pending, key, start_ms, end_ms, usize::MAX)?
            .unwrap_or_default(),
    )
}

/// [`read_overlay`], or `None` when the view holds more than `max_points`
/// points in the window. Committed points are read only where no pending
/// replace hides them, and the store stops at the limit, so a refused read
/// never loads the series whole.
pub fn read_overlay_at_most(
    snapshot: &dyn Snapshot,
    pending: Option<&SeriesChange>,
    key: i64,
    start_ms: i64,
    end_ms: i64,
    max_points: usize,
) -> Result<Option<Vec<Point>>> {
    let replaces = pending.map_or(&[][..], |p| p.replaces.as_slice());
    if start_ms >= end_ms {
        return Ok(Some(Vec::new()));
    }
    // Committed points survive only outside every pending interval; each
    // of them is in the answer, so more than `max_points` of them is
    // already too many.
    let visible = uncovered(replaces, start_ms, end_ms);
    let mut points = if visible.is_empty() {
        Vec::new()
    } else {
        match snapshot.read_ranges(key, &visible, max_points)? {
            Some(points) => points,
            None => return Ok(None),
        }
    };
    for r in replaces {
        let from = r.start_ms.max(start_ms);
        let to = r.end_ms.min(end_ms);
        if from >= to {
            continue;
        }
        let a = points.partition_point(|p| p.utc_ms < from);
        // `max` only matters for unsorted pending points, which callers
        // promise not to hand in; it keeps such input from panicking.
        let b = points.partition_point(|p| p.utc_ms < to).max(a);
        points.splice(a..b, window(&r.points, from, to).iter().copied());
    }
    Ok((points.len() <= max_points).then_some(points))
}

/// The parts of `[start_ms, end_ms)` (non-empty) that no replace's interval
/// covers, in order.
fn uncovered(replaces: &[Replace], start_ms: i64, end_ms: i64) -> Vec<(i64, i64)> {
    let mut covered: Vec<(i64, i64)> = replaces
        .iter()
        .map(|r| (r.start_ms.max(start_ms), r.end_ms.min(end_ms)))
        .filter(|(from, to)| from < to)
        .collect();
    covered.sort_unstable();
    let mut gaps = Vec::new();
    let mut at = start_ms;
    for (from, to) in covered {
        if from > at {
            gaps.push((at, from));
        }
        at = at.max(to);
    }
    if at < end_ms {
        gaps.push((at, end_ms));
    }
    gaps
}

/// The first point at or after `t_ms` in the same view as [`read_overlay`].
///
/// Pending replaces may have deleted committed points beyond any window
/// the caller read, or added points there, so both sources are searched:
/// the first committed point not inside any pending interval, and the first
/// pending point not overwritten by a later replace; the earlier wins.
pub fn first_at_or_after_overlay(
    snapshot: &dyn Snapshot,
    pending: Option<&SeriesChange>,
    key: i64,
    t_ms: i64,
) -> Result<Option<Point>> {
    let replaces = pending.map_or(&[][..], |p| p.replaces.as_slice());
    if replaces.is_empty() {
        return snapshot.first_at_or_after(key, t_ms);
    }

    let mut best: Option<Point> = None;
    for (i, r) in replaces.iter().enumerate() {
        let later = &replaces[i + 1..];
        let mut at = r.points.partition_point(|p| p.utc_ms < t_ms);
        while let Some(p) = r.points.get(at) {
            if best.is_some_and(|b| b.utc_ms <= p.utc_ms) {
                break;
            }
            match furthest_cover(later, p.utc_ms) {
                // Overwritten: skip past the interval that overwrote it.
                // (`max(1)` guarantees progress even on unsorted input.)
                Some(end) => at += r.points[at..].partition_point(|q| q.utc_ms < end).max(1),
                None => {
                    best = Some(*p);
                    break;
                }
            }
        }
    }

    // Committed points inside a pending interval are gone; jump past such
    // intervals until one survives. Each step passes at least one interval.
    let mut at = t_ms;
    while let Some(p) = snapshot.first_at_or_after(key, at)? {
        if best.is_some_and(|b| b.utc_ms <= p.utc_ms) {
            break;
        }
        match furthest_cover(replaces, p.utc_ms) {
            Some(end) => at = end,
            None => {
                best = Some(p);
                break;
            }
        }
    }
    Ok(best)
}

/// The points of `points` (sorted) in `[from, to)`.
fn window(points: &[Point], from: i64, to: i64) -> &[Point] {
    let a = points.partition_point(|p| p.utc_ms < from);
    let b = points.partition_point(|p| p.utc_ms < to);
    points.get(a..b).unwrap_or_default()
}

/// The furthest end among the intervals of `replaces` that contain `t`.
fn furthest_cover(replaces: &[Replace], t: i64) -> Option<i64> {
    replaces
        .iter()
        .filter(|r| r.start_ms <= t && t < r.end_ms)
        .map(|r| r.end_ms)
        .max()
}

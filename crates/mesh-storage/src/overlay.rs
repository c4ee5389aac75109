//! A session's view of a series: the committed state with the session's
//! pending changes applied on top, computed without touching the store.

use crate::error::Result;
use crate::store::TimeseriesStore;
use crate::types::{Point, Replace, SeriesChange, SeriesMeta};

/// The metadata of series `key` as the session sees it: its pending
/// metadata if it has any, else the committed one.
pub fn series_overlay(
    store: &dyn TimeseriesStore,
    pending: Option<&SeriesChange>,
    key: i64,
) -> Result<Option<SeriesMeta>> {
    match pending.and_then(|p| p.meta.as_ref()) {
        Some(meta) => Ok(Some(meta.clone())),
        None => store.series(key),
    }
}

/// The points series `key` would hold in `[start_ms, end_ms)` if the
/// pending replaces were committed now: exactly what a commit followed by
/// [`TimeseriesStore::read`] would return.
pub fn read_overlay(
    store: &dyn TimeseriesStore,
    pending: Option<&SeriesChange>,
    key: i64,
    start_ms: i64,
    end_ms: i64,
) -> Result<Vec<Point>> {
    let replaces = pending.map_or(&[][..], |p| p.replaces.as_slice());
    if start_ms >= end_ms {
        return Ok(Vec::new());
    }
    // A pending replace covering the whole window hides everything before
    // it, the committed points included: start from the last such replace
    // and skip the store.
    let covering = replaces
        .iter()
        .rposition(|r| r.start_ms <= start_ms && end_ms <= r.end_ms);
    let (mut points, rest) = match covering {
        Some(i) => (
            window(&replaces[i].points, start_ms, end_ms).to_vec(),
            &replaces[i + 1..],
        ),
        None => (store.read(key, start_ms, end_ms)?, replaces),
    };
    for r in rest {
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
    Ok(points)
}

/// The first point at or after `t_ms` in the same view as [`read_overlay`].
///
/// Pending replaces may have deleted committed points beyond any window
/// the caller read, or added points there, so both sources are searched:
/// the first committed point not inside any pending interval, and the first
/// pending point not overwritten by a later replace; the earlier wins.
pub fn first_at_or_after_overlay(
    store: &dyn TimeseriesStore,
    pending: Option<&SeriesChange>,
    key: i64,
    t_ms: i64,
) -> Result<Option<Point>> {
    let replaces = pending.map_or(&[][..], |p| p.replaces.as_slice());
    if replaces.is_empty() {
        return store.first_at_or_after(key, t_ms);
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
    while let Some(p) = store.first_at_or_after(key, at)? {
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

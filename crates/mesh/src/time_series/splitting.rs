//! Calls too large for one message, split into several over consecutive
//! sub-intervals of the same session.

use std::collections::VecDeque;

use mesh_timeseries::{arrow_ipc, segment, Grid, Point, Resolution};
use uuid::Uuid;

use super::points::TimeseriesPoints;
use super::resource::TimeseriesResource;
use crate::error::{Error, Result};
use crate::session::Session;

/// The most points the SDK puts in one write, and asks for in one read of a
/// series with a fixed resolution. A point takes 20 bytes in the payload, so
/// a message stays near 3 MB, well under the usual limit of 4 MiB.
pub const POINTS_PER_MESSAGE: usize = 150_000;

impl Session {
    /// Writes more than [`POINTS_PER_MESSAGE`] points in several calls,
    /// each replacing the stretch from its first point to the next call's
    /// first point (the first from `start_ms`, the last up to `end_ms`).
    pub(super) async fn write_in_pieces(
        &self,
        id: Uuid,
        key: i64,
        start_ms: i64,
        end_ms: i64,
        points: &[Point],
    ) -> Result<()> {
        // Find any mistake before the first call is sent, with the server's
        // own rules.
        let info = self.get_timeseries_resource_info(key).await?;
        let grid = Grid::new(info.resolution, info.time_zone.as_deref())
            // A zone this SDK does not know: the server checks the grid.
            .unwrap_or_else(|_| Grid::utc(Resolution::Breakpoint));
        segment::validate_write(points, start_ms, end_ms, &grid)?;
        let chunks: Vec<&[Point]> = points.chunks(POINTS_PER_MESSAGE).collect();
        for (index, chunk) in chunks.iter().enumerate() {
            let from = if index == 0 {
                start_ms
            } else {
                chunk[0].utc_ms
            };
            let to = chunks.get(index + 1).map_or(end_ms, |next| next[0].utc_ms);
            self.write_one(id, key, from, to, chunk).await?;
        }
        Ok(())
    }

    /// Reads `[start_ms, end_ms)` of a series in as many calls as needed.
    pub(super) async fn read_in_pieces(
        &self,
        id: Uuid,
        info: &TimeseriesResource,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<TimeseriesPoints> {
        let key = info.timeseries_key;
        let mut pending: VecDeque<(i64, i64)> = plan_read(info, start_ms, end_ms).into();
        if pending.len() == 1 {
            // The common case: one call, its batch handed on as it is.
            match self.read_one(id, key, start_ms, end_ms).await {
                Ok(series) => return TimeseriesPoints::from_payload(&series.data),
                Err(error) if can_split(&error, start_ms, end_ms) => {
                    pending = split(start_ms, end_ms).into();
                }
                Err(error) => return Err(error),
            }
        }
        let mut points = Vec::new();
        while let Some((from, to)) = pending.pop_front() {
            match self.read_one(id, key, from, to).await {
                Ok(series) => {
                    let piece = arrow_ipc::decode(&series.data).map_err(|error| {
                        Error::Protocol(format!(
                            "the server sent points that cannot be read: {error}"
                        ))
                    })?;
                    // A piecewise linear series answers each piece with the
                    // point after it too; only the whole read's end keeps it.
                    points.extend(piece.into_iter().filter(|p| to == end_ms || p.utc_ms < to));
                }
                Err(error) if can_split(&error, from, to) => {
                    let [first, second] = split(from, to);
                    pending.push_front(second);
                    pending.push_front(first);
                }
                Err(error) => return Err(error),
            }
        }
        TimeseriesPoints::from_points(&points)
    }
}

/// Whether a failed read of `[from, to)` was too large and can be halved.
fn can_split(error: &Error, from: i64, to: i64) -> bool {
    matches!(error, Error::Status(status) if status.code() == tonic::Code::ResourceExhausted)
        && to - from > 1
}

fn split(from: i64, to: i64) -> [(i64, i64); 2] {
    let middle = from + (to - from) / 2;
    [(from, middle), (middle, to)]
}

/// The sub-intervals to read: for a fixed resolution, pieces of at most
/// [`POINTS_PER_MESSAGE`] steps; otherwise the whole (its size is unknown).
fn plan_read(info: &TimeseriesResource, start_ms: i64, end_ms: i64) -> Vec<(i64, i64)> {
    let whole = vec![(start_ms, end_ms)];
    if info.resolution.is_breakpoint() {
        return whole;
    }
    let Ok(grid) = Grid::new(info.resolution, info.time_zone.as_deref()) else {
        // A zone this SDK does not know: halving on demand still works.
        return whole;
    };
    if grid.step_count_bound(start_ms, end_ms) <= POINTS_PER_MESSAGE as u64 {
        return whole;
    }
    let mut pieces = Vec::new();
    let mut from = start_ms;
    for boundary in grid
        .steps(start_ms, end_ms)
        .step_by(POINTS_PER_MESSAGE)
        .skip(1)
    {
        pieces.push((from, boundary));
        from = boundary;
    }
    pieces.push((from, end_ms));
    pieces
}

#[cfg(test)]
mod tests {
    use mesh_timeseries::CurveType;

    use super::*;

    fn info(resolution: Resolution, time_zone: Option<&str>) -> TimeseriesResource {
        TimeseriesResource {
            timeseries_key: 1,
            path: String::new(),
            name: "x".into(),
            temporary: false,
            curve_type: CurveType::PiecewiseLinear,
            resolution,
            unit_of_measurement: None,
            time_zone: time_zone.map(str::to_string),
        }
    }

    #[test]
    fn fixed_reads_are_planned_in_pieces_of_whole_steps() {
        const HOUR: i64 = 3_600_000;
        let steps = POINTS_PER_MESSAGE as i64;
        // Exactly one message's worth, off-grid start: one piece.
        assert_eq!(
            plan_read(&info(Resolution::Hour, None), 1, steps * HOUR),
            vec![(1, steps * HOUR)]
        );
        let end = (2 * steps + 5) * HOUR;
        let pieces = plan_read(&info(Resolution::Hour, None), -30, end);
        assert_eq!(
            pieces,
            vec![
                (-30, steps * HOUR),
                (steps * HOUR, 2 * steps * HOUR),
                (2 * steps * HOUR, end)
            ]
        );
        assert_eq!(
            plan_read(&info(Resolution::Breakpoint, None), 0, i64::MAX),
            vec![(0, i64::MAX)]
        );
        // Calendar grids split at local midnights.
        let days = plan_read(
            &info(Resolution::Day, Some("Europe/Oslo")),
            0,
            400 * 365 * 24 * HOUR,
        );
        assert!(days.len() == 1);
        let days = plan_read(
            &info(Resolution::Day, Some("Europe/Oslo")),
            0,
            500 * 365 * 24 * HOUR,
        );
        assert_eq!(days.len(), 2);
        let grid = Grid::new(Resolution::Day, Some("Europe/Oslo")).unwrap();
        assert!(grid.is_on_grid(days[0].1));
    }
}

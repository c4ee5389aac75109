//! `mesh points import`: a file into a series, in one session, committed
//! once at the end.
//!
//! The file is read a message's worth of points at a time (the SDK's
//! [`mesh::POINTS_PER_MESSAGE`]); each piece replaces the series from its
//! first point up to the next piece's first point (the last piece up to
//! just after its last point), so the pieces together replace the file's
//! whole span, and at most two pieces are in memory at once. Every point is
//! checked before its piece is sent (times increasing, on the series'
//! grid), so an error names its line or row; on any error the session is
//! closed without committing.

use std::fmt;
use std::path::Path;

use anyhow::{anyhow, bail, Context};
use mesh::{Connection, Point, Session, POINTS_PER_MESSAGE};
use mesh_timeseries::Grid;
use serde_json::json;

use super::csv::CsvSource;
use super::parquet::ParquetSource;
use super::time::{show, utc};
use crate::args::Format;
use crate::output::Output;
use crate::progress::{self, Unit};

/// Where a point is in its file, for messages.
#[derive(Debug, Clone, Copy)]
pub enum Place {
    /// A CSV line, counted from 1 (the header is line 1).
    Line(u64),
    /// A Parquet row, counted from 1.
    Row(u64),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Line(line) => write!(f, "line {line}"),
            Place::Row(row) => write!(f, "row {row}"),
        }
    }
}

/// A file of points, read in batches.
pub trait PointSource {
    /// Replaces `points` with the next batch; empty at the end of the file.
    fn next_points(&mut self, points: &mut Vec<Point>) -> anyhow::Result<()>;
    /// Where the point at `index` of the last batch is in the file.
    fn place(&self, index: usize) -> Place;
    /// How far the reading is, in the bar's units.
    fn progress(&self) -> u64;
}

/// Imports `file` into `series` and commits.
pub async fn import(
    connection: &Connection,
    file: &Path,
    format: Format,
    series: &str,
    out: &Output,
) -> anyhow::Result<()> {
    let name = file.display().to_string();
    let (source, bar): (Box<dyn PointSource + Send>, _) = match format {
        Format::Csv => {
            let source = CsvSource::open(file, POINTS_PER_MESSAGE).context(name.clone())?;
            let bar = progress::bar(source.size(), Unit::Bytes);
            (Box::new(source), bar)
        }
        Format::Parquet => {
            let source = ParquetSource::open(file, POINTS_PER_MESSAGE).context(name.clone())?;
            let bar = progress::bar(source.total_rows(), Unit::Rows);
            (Box::new(source), bar)
        }
    };
    let session = connection.open_session().await?;
    let outcome = async {
        let key = crate::series::key_of(&session, series).await?;
        let span = write_all(&session, key, source, bar.clone())
            .await
            .context(name.clone())?;
        session.commit().await?;
        Ok::<_, anyhow::Error>((key, span))
    }
    .await;
    bar.finish_and_clear();
    // Closing discards whatever was written when something failed.
    let closed = session.close().await;
    let (key, span) = outcome?;
    closed?;
    let (count, first, last) = span;
    out.done(
        &match (first, last) {
            (Some(first), Some(last)) => format!(
                "imported and committed {count} points into series {key}, from {} to {}",
                show(first),
                show(last)
            ),
            _ => format!("{name} holds no points; nothing imported"),
        },
        &[
            ("series", json!(key)),
            ("points", json!(count)),
            ("first", json!(first.map(show))),
            ("last", json!(last.map(show))),
        ],
    );
    Ok(())
}

/// Points counted, and the first and last times written (none for none).
type Span = (u64, Option<i64>, Option<i64>);

/// Reads `source` to its end and writes its points into series `key`,
/// piece by piece; returns what was written. The file is read and checked
/// on a thread of its own, one piece ahead of the writes, so reading and
/// sending overlap; at most three pieces are in memory.
async fn write_all(
    session: &Session,
    key: i64,
    mut source: Box<dyn PointSource + Send>,
    bar: indicatif::ProgressBar,
) -> anyhow::Result<Span> {
    let info = session.get_timeseries_resource_info(key).await?;
    // A zone this program does not know: the server checks the grid.
    let grid = Grid::new(info.resolution, info.time_zone.as_deref()).ok();
    let (pieces, mut received) = tokio::sync::mpsc::channel::<anyhow::Result<Vec<Point>>>(1);
    let reader = tokio::task::spawn_blocking(move || {
        let mut previous: Option<i64> = None;
        loop {
            let mut next = Vec::new();
            let read = source
                .next_points(&mut next)
                .and_then(|()| check(&next, &mut previous, grid.as_ref(), &*source));
            bar.set_position(source.progress());
            let end = read.is_err() || next.is_empty();
            // The receiver is gone when a write failed: stop reading.
            if pieces.blocking_send(read.map(|()| next)).is_err() || end {
                return;
            }
        }
    });
    let mut pending: Vec<Point> = Vec::new();
    let mut count = 0u64;
    let mut first = None;
    let written = async {
        while let Some(next) = received.recv().await {
            let next = next?;
            let Some(until) = next.first().map(|p| p.utc_ms) else {
                break;
            };
            count += next.len() as u64;
            first = first.or(Some(until));
            write(session, key, &pending, until).await?;
            pending = next;
        }
        Ok::<_, anyhow::Error>(())
    }
    .await;
    drop(received);
    reader
        .await
        .map_err(|error| anyhow!("reading the file failed: {error}"))?;
    written?;
    let Some(last) = pending.last().map(|p| p.utc_ms) else {
        return Ok((0, None, None));
    };
    let end = last
        .checked_add(1)
        .ok_or_else(|| anyhow!("the last time {} is the end of time", show(last)))?;
    write(session, key, &pending, end).await?;
    Ok((count, first, Some(last)))
}

/// Every point after the one before it, and on the series' grid.
fn check(
    points: &[Point],
    previous: &mut Option<i64>,
    grid: Option<&Grid>,
    source: &dyn PointSource,
) -> anyhow::Result<()> {
    for (index, point) in points.iter().enumerate() {
        if let Some(before) = *previous {
            if point.utc_ms <= before {
                bail!(
                    "{}: utc_time {} does not come after the one before ({}); times must increase",
                    source.place(index),
                    show(point.utc_ms),
                    show(before)
                );
            }
        }
        if let Some(grid) = grid {
            if !grid.resolution().is_breakpoint() && !grid.is_on_grid(point.utc_ms) {
                bail!(
                    "{}: utc_time {} is not on the series' time grid ({grid})",
                    source.place(index),
                    show(point.utc_ms)
                );
            }
        }
        *previous = Some(point.utc_ms);
    }
    Ok(())
}

/// Replaces `[points[0], end)` with `points`; nothing for no points.
async fn write(session: &Session, key: i64, points: &[Point], end: i64) -> anyhow::Result<()> {
    let Some(start) = points.first().map(|p| p.utc_ms) else {
        return Ok(());
    };
    session
        .write_timeseries_point_slice(key, utc(start)?, utc(end)?, points)
        .await?;
    Ok(())
}

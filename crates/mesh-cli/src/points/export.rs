//! `mesh points export`: the points of a series in an interval, to a file
//! or stdout, read window by window so that memory stays bounded.
//!
//! Windows are sized to hold a few messages' worth of points: from the
//! resolution for fixed ones, and adapted to what came back for
//! breakpoint series. Only points inside each window are written (a
//! piecewise linear read adds the point after it, which belongs to the
//! next window).
//!
//! With `--as-of`, each window is the series as committed at that time,
//! read through the SDK's `as_of` (a calculation): the windows then make
//! one consistent state, whatever is committed while they are read.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context};
use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMillisecondType;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use mesh::chrono::{DateTime, Utc};
use mesh::{Connection, Resolution, Session};
use serde_json::json;

use super::time::{interval, option_ms, show, utc};
use super::{csv, parquet, NewFile};
use crate::args::Format;
use crate::output::Output;
use crate::progress::{self, Unit};

/// Points a window aims at; windows of breakpoint series grow or shrink
/// towards it.
const WINDOW_POINTS: i64 = 500_000;

/// The columns written: `utc_time` as a UTC timestamp in milliseconds.
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(
            "utc_time",
            DataType::Timestamp(TimeUnit::Millisecond, Some("+00:00".into())),
            false,
        ),
        Field::new("flags", DataType::UInt32, false),
        Field::new("value", DataType::Float64, false),
    ]))
}

/// Where the points go.
enum Sink {
    Csv(arrow_csv::Writer<Box<dyn Write + Send>>),
    Parquet(::parquet::arrow::ArrowWriter<Box<dyn Write + Send>>),
}

/// Points written to a file (complete only once finished) or stdout, as
/// CSV or Parquet with the columns of `schema` (`mesh points export`,
/// `mesh calc`).
pub struct PointsSink {
    file: Option<(NewFile, std::fs::File)>,
    path: Option<PathBuf>,
    sink: Sink,
}

impl PointsSink {
    /// Writes to `output`, else stdout (refusing Parquet to a terminal).
    pub fn open(format: Format, output: Option<PathBuf>) -> anyhow::Result<PointsSink> {
        Self::open_with(format, output, schema())
    }

    /// [`PointsSink::open`] for batches of `schema`.
    pub fn open_with(
        format: Format,
        output: Option<PathBuf>,
        schema: SchemaRef,
    ) -> anyhow::Result<PointsSink> {
        let (file, sink): (Option<(NewFile, std::fs::File)>, Box<dyn Write + Send>) = match &output
        {
            Some(path) => {
                let (new, file) = NewFile::create(path)?;
                let writer = file
                    .try_clone()
                    .with_context(|| format!("cannot write {}", path.display()))?;
                (
                    Some((new, file)),
                    Box::new(std::io::BufWriter::with_capacity(1 << 20, writer)),
                )
            }
            None => {
                if format == Format::Parquet && std::io::IsTerminal::is_terminal(&std::io::stdout())
                {
                    bail!("Parquet is binary: write it to a file with -o FILE, or redirect stdout");
                }
                (
                    None,
                    Box::new(std::io::BufWriter::with_capacity(
                        1 << 20,
                        std::io::stdout(),
                    )),
                )
            }
        };
        let sink = match format {
            Format::Csv => Sink::Csv(csv::writer(sink)),
            Format::Parquet => Sink::Parquet(parquet::writer(sink, schema)?),
        };
        Ok(PointsSink {
            file,
            path: output,
            sink,
        })
    }

    /// Writes one batch.
    pub fn write(&mut self, batch: &RecordBatch) -> anyhow::Result<()> {
        match &mut self.sink {
            Sink::Csv(writer) => csv::write(writer, batch),
            Sink::Parquet(writer) => parquet::write(writer, batch),
        }
    }

    /// Flushes everything; the file's path, when written to one.
    pub fn finish(self) -> anyhow::Result<Option<String>> {
        match self.sink {
            Sink::Csv(writer) => writer
                .into_inner()
                .flush()
                .context("cannot write the points")?,
            Sink::Parquet(writer) => {
                let mut inner = writer.into_inner().context("cannot write the points")?;
                inner.flush().context("cannot write the points")?;
            }
        }
        Ok(match self.file {
            Some((new, file)) => {
                new.finish(file)?;
                self.path.map(|path| path.display().to_string())
            }
            None => None,
        })
    }
}

/// Exports `series` in `[from, to)`, as it is now or as committed at
/// `as_of`.
pub async fn export(
    connection: &Connection,
    series: &str,
    (from, to): (&str, &str),
    as_of: Option<&str>,
    format: Format,
    output: Option<PathBuf>,
    out: &Output,
) -> anyhow::Result<()> {
    let (from, to) = interval(from, to)?;
    let as_of = as_of
        .map(|text| option_ms("--as-of", text).and_then(utc))
        .transpose()?;
    let mut sink = PointsSink::open(format, output)?;
    let session = connection.open_session().await?;
    let outcome = async {
        let key = crate::series::key_of(&session, series).await?;
        let count = read_all(&session, key, from, to, as_of, &mut sink).await?;
        Ok::<_, anyhow::Error>((key, count))
    }
    .await;
    let closed = session.close().await;
    let (key, count) = outcome?;
    closed?;
    let written_to = sink.finish()?;
    let message = format!(
        "exported {count} points of series {key}, {} to {}{}{}",
        show(from),
        show(to),
        as_of
            .map(|time| format!(", as of {}", show(time.timestamp_millis())))
            .unwrap_or_default(),
        written_to
            .as_ref()
            .map(|path| format!(", to {path}"))
            .unwrap_or_default()
    );
    let fields = [
        ("series", json!(key)),
        ("points", json!(count)),
        ("file", json!(written_to)),
        (
            "as_of",
            json!(as_of.map(|time| show(time.timestamp_millis()))),
        ),
    ];
    if written_to.is_some() {
        out.done(&message, &fields);
    } else if !out.is_json() {
        // stdout holds the points.
        eprintln!("{message}");
    }
    Ok(())
}

/// Reads `[from, to)` window by window into `sink`, as committed at
/// `as_of` when given; returns the count.
async fn read_all(
    session: &Session,
    key: i64,
    from: i64,
    to: i64,
    as_of: Option<DateTime<Utc>>,
    sink: &mut PointsSink,
) -> anyhow::Result<u64> {
    let info = session.get_timeseries_resource_info(key).await?;
    let step = match info.resolution {
        Resolution::Breakpoint => None,
        resolution => Some(resolution.fixed_step_ms().unwrap_or(86_400_000).max(1)),
    };
    // Fixed resolutions: WINDOW_POINTS steps. Breakpoints: a day to start.
    let mut window = step.map_or(86_400_000, |step| step.saturating_mul(WINDOW_POINTS));
    let bar = progress::bar(u64::try_from(to - from).unwrap_or(u64::MAX), Unit::Time);
    let started = std::time::Instant::now();
    let mut count = 0u64;
    let mut at = from;
    while at < to {
        let end = at.saturating_add(window).min(to);
        let points = match as_of {
            None => {
                session
                    .read_timeseries_points(key, utc(at)?, utc(end)?)
                    .await?
            }
            Some(time) => session.as_of(key, utc(at)?, utc(end)?, time).await?.points,
        };
        let batch = inside(points.batch(), end)?;
        count += batch.num_rows() as u64;
        sink.write(&batch)?;
        if step.is_none() {
            // Aim the next window of a breakpoint series at WINDOW_POINTS.
            let rows = batch.num_rows() as i64;
            if rows < WINDOW_POINTS / 4 {
                window = window.saturating_mul(2);
            } else if rows > WINDOW_POINTS {
                window = (window / 2).max(1);
            }
        }
        bar.set_position(u64::try_from(end - from).unwrap_or(0));
        let rate = count as f64 / started.elapsed().as_secs_f64().max(1e-3);
        bar.set_message(format!("{count} points, {rate:.0} points/s"));
        at = end;
    }
    bar.finish_and_clear();
    Ok(count)
}

/// The rows of `batch` before `end`, with `utc_time` marked as UTC.
pub fn inside(batch: &RecordBatch, end: i64) -> anyhow::Result<RecordBatch> {
    let column = |name: &str| -> anyhow::Result<&ArrayRef> {
        batch
            .column_by_name(name)
            .ok_or_else(|| anyhow!("the server's answer has no column {name}"))
    };
    let times = column("utc_time")?
        .as_primitive_opt::<TimestampMillisecondType>()
        .ok_or_else(|| anyhow!("the server's utc_time column is not timestamp[ms]"))?;
    let rows = times.values().partition_point(|&t| t < end);
    let times = times.slice(0, rows).with_timezone("+00:00");
    Ok(RecordBatch::try_new(
        schema(),
        vec![
            Arc::new(times),
            column("flags")?.slice(0, rows),
            column("value")?.slice(0, rows),
        ],
    )?)
}

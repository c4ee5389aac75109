//! `mesh calc`: an expression evaluated by the server over an interval,
//! its result printed: series as CSV or Parquet, numbers and texts one per
//! line (or as JSON with --json).

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use mesh::calc::{CalculatedSeries, CalculationResult, RelativeTo};
use mesh::{Connection, Target, Uuid};
use serde_json::json;

use crate::args::Format;
use crate::output::Output;
use crate::points::export::{inside, schema, PointsSink};
use crate::points::time::{interval, utc};

/// What to evaluate.
pub struct Request<'a> {
    /// The expression.
    pub expression: &'a str,
    /// `--from` and `--to` as given.
    pub interval: (&'a str, &'a str),
    /// `--relative-to` as given.
    pub relative_to: Option<&'a str>,
}

/// What `--relative-to` names: a key (digits), an id (a UUID) or a path;
/// absent, nothing (key 0, which no series has: the server then has no
/// target).
fn relative_to(text: Option<&str>) -> RelativeTo {
    match text {
        None => RelativeTo::Key(0),
        Some(text) => {
            if let Ok(key) = text.parse::<i64>() {
                RelativeTo::Key(key)
            } else if let Ok(id) = Uuid::parse_str(text) {
                RelativeTo::Target(Target::Id(id))
            } else {
                RelativeTo::Target(Target::Path(text.to_string()))
            }
        }
    }
}

/// Runs `mesh calc`.
pub async fn run(
    connection: &Connection,
    request: Request<'_>,
    format: Format,
    output: Option<PathBuf>,
    out: &Output,
) -> anyhow::Result<()> {
    let (from, to) = request.interval;
    let (from, to) = interval(from, to)?;
    let session = connection.open_session().await?;
    let result = session
        .run_calculation(
            request.expression,
            utc(from)?,
            utc(to)?,
            relative_to(request.relative_to),
        )
        .await;
    let closed = session.close().await;
    let result = result?;
    closed?;
    match result {
        CalculationResult::Series(series) => write_series(&series, format, output, out),
        CalculationResult::Numbers(numbers) => {
            if out.is_json() {
                out.record(&[("numbers", json!(numbers))]);
            } else {
                for number in numbers {
                    println!("{number}");
                }
            }
            Ok(())
        }
        CalculationResult::Strings(texts) => {
            if out.is_json() {
                out.record(&[("strings", json!(texts))]);
            } else {
                for text in texts {
                    println!("{text}");
                }
            }
            Ok(())
        }
        CalculationResult::Nothing => {
            out.done("the expression sets no result (##)", &[]);
            Ok(())
        }
    }
}

/// The columns of several series: `series` (its index) first.
fn numbered_schema() -> SchemaRef {
    let mut fields = vec![Field::new("series", DataType::UInt32, false)];
    fields.extend(schema().fields().iter().map(|f| f.as_ref().clone()));
    Arc::new(Schema::new(fields))
}

fn write_series(
    series: &[CalculatedSeries],
    format: Format,
    output: Option<PathBuf>,
    out: &Output,
) -> anyhow::Result<()> {
    let numbered = series.len() != 1;
    let columns = if numbered {
        numbered_schema()
    } else {
        schema()
    };
    let mut sink = PointsSink::open_with(format, output, columns.clone())?;
    let mut count = 0usize;
    for (index, one) in series.iter().enumerate() {
        // Every point the server answered (a linear result's end point
        // included), with utc_time marked as UTC.
        let batch = inside(one.points.batch(), i64::MAX)?;
        count += batch.num_rows();
        let batch = if numbered {
            let number: ArrayRef = Arc::new(UInt32Array::from_value(
                u32::try_from(index)?,
                batch.num_rows(),
            ));
            let mut all = vec![number];
            all.extend(batch.columns().iter().cloned());
            RecordBatch::try_new(columns.clone(), all)?
        } else {
            batch
        };
        sink.write(&batch)?;
    }
    let written_to = sink.finish()?;
    let message = format!(
        "{} series, {count} points{}",
        series.len(),
        written_to
            .as_ref()
            .map(|path| format!(", to {path}"))
            .unwrap_or_default()
    );
    let fields = [
        ("series", json!(series.len())),
        ("points", json!(count)),
        ("file", json!(written_to)),
    ];
    if written_to.is_some() {
        out.done(&message, &fields);
    } else if !out.is_json() {
        eprintln!("{message}");
    }
    Ok(())
}

//! Points files in Parquet: columns `utc_time`, `flags`, `value`.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail, Context};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, SchemaRef, TimeUnit};
use mesh::Point;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::import::{Place, PointSource};
use super::time::parse_utc_ms;

const COLUMNS: [&str; 3] = ["utc_time", "flags", "value"];

/// A Parquet points file, read a batch at a time.
pub struct ParquetSource {
    reader: ParquetRecordBatchReader,
    /// Positions of `utc_time`, `flags` and `value` in the file's columns.
    columns: [usize; 3],
    total: u64,
    first_row: u64,
    rows: u64,
}

impl ParquetSource {
    /// Opens `path`, checking its columns; batches hold at most `batch` rows.
    pub fn open(path: &Path, batch: usize) -> anyhow::Result<Self> {
        let file = File::open(path).context("cannot open it")?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .context("not a readable Parquet file")?;
        let total = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
        let columns = columns_of(builder.schema())?;
        let reader = builder.with_batch_size(batch).build()?;
        Ok(ParquetSource {
            reader,
            columns,
            total,
            first_row: 0,
            rows: 0,
        })
    }

    /// Rows in the file, for the progress bar.
    pub fn total_rows(&self) -> u64 {
        self.total
    }
}

/// The positions of the three columns; any other column is refused, as
/// its data would be dropped silently.
fn columns_of(schema: &SchemaRef) -> anyhow::Result<[usize; 3]> {
    for field in schema.fields() {
        if !COLUMNS.contains(&field.name().as_str()) {
            bail!(
                "column {:?} is not one of utc_time, flags, value",
                mesh_timeseries::echo(field.name())
            );
        }
    }
    let mut found = [0; 3];
    for (slot, name) in found.iter_mut().zip(COLUMNS) {
        *slot = schema
            .index_of(name)
            .map_err(|_| anyhow!("the file has no column {name}"))?;
    }
    Ok(found)
}

impl PointSource for ParquetSource {
    fn next_points(&mut self, points: &mut Vec<Point>) -> anyhow::Result<()> {
        points.clear();
        self.first_row = self.rows;
        let Some(batch) = self.reader.next() else {
            return Ok(());
        };
        let batch = batch.with_context(|| format!("{}: unreadable", self.place(0)))?;
        self.rows += batch.num_rows() as u64;
        let [time, flags, value] = self.columns.map(|i| batch.column(i).clone());
        for (name, column) in COLUMNS.iter().zip([&time, &flags, &value]) {
            if let Some(row) = first_null(column.as_ref()) {
                bail!("{}: {name} is null", self.place(row));
            }
        }
        let times = self.times(time.as_ref())?;
        let flags = self.flags(flags.as_ref())?;
        let values = values(value.as_ref())?;
        points.extend(
            times
                .into_iter()
                .zip(flags)
                .zip(values)
                .map(|((utc_ms, flags), value)| Point::new(utc_ms, flags, value)),
        );
        Ok(())
    }

    fn place(&self, index: usize) -> Place {
        Place::Row(self.first_row + index as u64 + 1)
    }

    fn progress(&self) -> u64 {
        self.rows
    }
}

impl ParquetSource {
    /// `utc_time` in epoch milliseconds: a timestamp of any unit (exact to
    /// the millisecond), int64 epoch milliseconds, or RFC 3339 text.
    fn times(&self, column: &dyn Array) -> anyhow::Result<Vec<i64>> {
        let exact = |values: &[i64], per_ms: i64| -> anyhow::Result<Vec<i64>> {
            values
                .iter()
                .enumerate()
                .map(|(row, &v)| {
                    if v % per_ms == 0 {
                        Ok(v / per_ms)
                    } else {
                        Err(anyhow!(
                            "{}: utc_time is more precise than a millisecond, the precision of points",
                            self.place(row)
                        ))
                    }
                })
                .collect()
        };
        match column.data_type() {
            DataType::Timestamp(TimeUnit::Millisecond, _) => {
                Ok(column.as_primitive::<TimestampMillisecondType>().values().to_vec())
            }
            DataType::Int64 => Ok(column.as_primitive::<Int64Type>().values().to_vec()),
            DataType::Timestamp(TimeUnit::Microsecond, _) => exact(
                column.as_primitive::<TimestampMicrosecondType>().values(),
                1_000,
            ),
            DataType::Timestamp(TimeUnit::Nanosecond, _) => exact(
                column.as_primitive::<TimestampNanosecondType>().values(),
                1_000_000,
            ),
            DataType::Timestamp(TimeUnit::Second, _) => column
                .as_primitive::<TimestampSecondType>()
                .values()
                .iter()
                .enumerate()
                .map(|(row, s)| {
                    s.checked_mul(1000).ok_or_else(|| {
                        anyhow!("{}: utc_time is out of range", self.place(row))
                    })
                })
                .collect(),
            DataType::Utf8 => column
                .as_string::<i32>()
                .iter()
                .enumerate()
                .map(|(row, text)| {
                    parse_utc_ms(text.unwrap_or_default())
                        .map_err(|reason| anyhow!("{}: utc_time {reason}", self.place(row)))
                })
                .collect(),
            other => bail!(
                "column utc_time is {other}; expected a timestamp, int64 epoch milliseconds or RFC 3339 text"
            ),
        }
    }

    /// `flags` as uint32; other integer types when every value fits.
    fn flags(&self, column: &dyn Array) -> anyhow::Result<Vec<u32>> {
        let fit = |values: Vec<i128>| -> anyhow::Result<Vec<u32>> {
            values
                .into_iter()
                .enumerate()
                .map(|(row, v)| {
                    u32::try_from(v).map_err(|_| {
                        anyhow!(
                            "{}: flags {v} is not a 32-bit unsigned integer",
                            self.place(row)
                        )
                    })
                })
                .collect()
        };
        match column.data_type() {
            DataType::UInt32 => Ok(column.as_primitive::<UInt32Type>().values().to_vec()),
            DataType::Int32 => fit(column
                .as_primitive::<Int32Type>()
                .values()
                .iter()
                .map(|&v| v.into())
                .collect()),
            DataType::Int64 => fit(column
                .as_primitive::<Int64Type>()
                .values()
                .iter()
                .map(|&v| v.into())
                .collect()),
            DataType::UInt64 => fit(column
                .as_primitive::<UInt64Type>()
                .values()
                .iter()
                .map(|&v| v.into())
                .collect()),
            other => bail!("column flags is {other}; expected uint32"),
        }
    }
}

/// `value` as float64 (float32 widens exactly).
fn values(column: &dyn Array) -> anyhow::Result<Vec<f64>> {
    match column.data_type() {
        DataType::Float64 => Ok(column.as_primitive::<Float64Type>().values().to_vec()),
        DataType::Float32 => Ok(column
            .as_primitive::<Float32Type>()
            .values()
            .iter()
            .map(|&v| f64::from(v))
            .collect()),
        other => bail!("column value is {other}; expected float64"),
    }
}

fn first_null(column: &dyn Array) -> Option<usize> {
    if column.null_count() == 0 {
        return None;
    }
    (0..column.len()).find(|&row| column.is_null(row))
}

/// A Parquet writer of points (Snappy, as most writers do by default).
pub fn writer<W: Write + Send>(sink: W, schema: SchemaRef) -> anyhow::Result<ArrowWriter<W>> {
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    Ok(ArrowWriter::try_new(sink, schema, Some(properties))?)
}

/// Writes `batch` (the columns of [`super::export::schema`]).
pub fn write<W: Write + Send>(
    writer: &mut ArrowWriter<W>,
    batch: &RecordBatch,
) -> anyhow::Result<()> {
    writer.write(batch).context("cannot write Parquet")
}

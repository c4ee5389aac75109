//! Points files in CSV: `utc_time,flags,value`, one point a line.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, Context};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt32Type};
use arrow_array::{Array, RecordBatch};
use arrow_csv::{ReaderBuilder, Writer, WriterBuilder};
use arrow_schema::{DataType, Field, Schema};
use mesh::Point;

use super::import::{Place, PointSource};
use super::time::parse_utc_ms;

/// Time as exported: RFC 3339 in UTC with milliseconds.
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

/// A CSV points file, read a batch at a time.
pub struct CsvSource {
    reader: arrow_csv::reader::BufReader<BufReader<Counted<File>>>,
    read: Arc<AtomicU64>,
    size: u64,
    /// Index (from 0) of the first data row of the last batch.
    first_row: u64,
    rows: u64,
}

impl CsvSource {
    /// Opens `path`; batches hold at most `batch` rows.
    pub fn open(path: &Path, batch: usize) -> anyhow::Result<Self> {
        let file = File::open(path).context("cannot open it")?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let read = Arc::new(AtomicU64::new(0));
        // Times are read as text: they may be RFC 3339 or epoch
        // milliseconds, which no single Arrow type parses both of.
        let schema = Schema::new(vec![
            Field::new("utc_time", DataType::Utf8, true),
            Field::new("flags", DataType::UInt32, true),
            Field::new("value", DataType::Float64, true),
        ]);
        let reader = ReaderBuilder::new(Arc::new(schema))
            .with_header(true)
            .with_header_validation(true)
            .with_batch_size(batch)
            .build_buffered(BufReader::with_capacity(
                256 * 1024,
                Counted {
                    inner: file,
                    read: read.clone(),
                },
            ))?;
        Ok(CsvSource {
            reader,
            read,
            size,
            first_row: 0,
            rows: 0,
        })
    }

    /// Size of the file in bytes, for the progress bar.
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl PointSource for CsvSource {
    fn next_points(&mut self, points: &mut Vec<Point>) -> anyhow::Result<()> {
        points.clear();
        self.first_row = self.rows;
        let Some(batch) = self.reader.next() else {
            return Ok(());
        };
        let batch = batch.map_err(|error| anyhow!(csv_error(&error.to_string())))?;
        self.rows += batch.num_rows() as u64;
        let times = batch.column(0).as_string::<i32>();
        let flags = batch.column(1).as_primitive::<UInt32Type>();
        let values = batch.column(2).as_primitive::<Float64Type>();
        points.reserve(batch.num_rows());
        for row in 0..batch.num_rows() {
            let empty = |column: &str| anyhow!("{}: {column} is empty", self.place(row));
            if times.is_null(row) {
                return Err(empty("utc_time"));
            }
            if flags.is_null(row) {
                return Err(empty("flags"));
            }
            if values.is_null(row) {
                return Err(anyhow!(
                    "{}: value is empty; for a point without a value, write NaN with the MISSING flag",
                    self.place(row)
                ));
            }
            let utc_ms = parse_utc_ms(times.value(row))
                .map_err(|reason| anyhow!("{}: utc_time {reason}", self.place(row)))?;
            points.push(Point::new(utc_ms, flags.value(row), values.value(row)));
        }
        Ok(())
    }

    fn place(&self, index: usize) -> Place {
        // Line 1 is the header.
        Place::Line(self.first_row + index as u64 + 2)
    }

    fn progress(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }
}

/// An error of the CSV reader, with its line numbers counted as in an
/// editor. The reader counts lines from 0, the header being line 0, so
/// that its "line N" is the file's line N + 1.
fn csv_error(message: &str) -> String {
    let Some(at) = message.find("line ") else {
        return message.to_string();
    };
    let digits_start = at + "line ".len();
    let digits_end = message[digits_start..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(message.len(), |end| digits_start + end);
    match message[digits_start..digits_end].parse::<u64>() {
        Ok(line) => format!(
            "{}line {}{}",
            &message[..at],
            line + 1,
            &message[digits_end..]
        ),
        Err(_) => message.to_string(),
    }
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A CSV writer of points: the header, then a line a point.
pub fn writer<W: Write>(sink: W) -> Writer<W> {
    WriterBuilder::new()
        .with_header(true)
        .with_timestamp_tz_format(TIME_FORMAT.to_string())
        .build(sink)
}

/// Writes `batch` (the columns of [`super::export::schema`]).
pub fn write(writer: &mut Writer<impl Write>, batch: &RecordBatch) -> anyhow::Result<()> {
    writer.write(batch).context("cannot write CSV")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_lines_become_file_lines() {
        assert_eq!(
            csv_error("Parser error: value 'x' for column 2 at line 3. Row data: '[a]'"),
            "Parser error: value 'x' for column 2 at line 4. Row data: '[a]'"
        );
        assert_eq!(csv_error("no line here"), "no line here");
    }
}

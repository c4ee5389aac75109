//! The payload codec: points as an Arrow IPC stream.
//!
//! `Timeseries.data` carries an Arrow IPC **stream** (a schema message, then
//! record batches, then the end-of-stream marker) with three columns:
//!
//! | column     | Arrow type                       |
//! |------------|----------------------------------|
//! | `utc_time` | timestamp, milliseconds, no zone |
//! | `flags`    | uint32                           |
//! | `value`    | float64                          |
//!
//! **Encoding** writes exactly that schema, in that order, with every field
//! marked nullable: that is what pyarrow gives a schema unless told
//! otherwise, so tables the Python SDK builds and tables it reads from us
//! compare equal. No value is ever null, though. Points go into a single
//! record batch; no points give the schema and no batch.
//!
//! **Decoding** is strict about content and lenient about layout:
//!
//! - Columns are found by **name** (exact, case-sensitive), in any order, and
//!   come back in the order above. A client that built its table column by
//!   column in another order meant the same thing; refusing it would help
//!   nobody, while names are what identifies a column in Arrow.
//! - There must be exactly three columns; an extra one is refused rather
//!   than dropped, since it means the payload is not what the writer thinks.
//! - Types must match exactly: a timestamp with a time zone or in another
//!   unit is refused (it would need a conversion the writer may not expect),
//!   as is `flags` as any type but uint32. A time zone given as the empty
//!   string counts as none, as the Arrow format says.
//! - A null anywhere is refused, naming the column and row: a point without
//!   a time, flags or value cannot be stored, and dropping it silently would
//!   lose data.
//! - Several record batches are concatenated in order; rows are counted
//!   across batches in messages.
//! - **Zero bytes are zero points**: the official Python SDK sends nothing
//!   at all for an empty table. A stream with a schema and no batch means
//!   the same, with or without the end-of-stream marker.
//! - The end-of-stream marker may be missing (the Python SDK never closes
//!   its IPC writer), but the bytes must then end exactly after a message.
//!   Bytes that are not an IPC stream (an IPC *file* included) and bytes
//!   after the end-of-stream marker are refused; the latter could be a
//!   second stream whose points would otherwise be ignored.
//!
//! Decoding refuses, with a message saying where and why, whatever pyarrow
//! refuses or would read differently, and never panics or allocates more
//! than the payload's size warrants, whatever the bytes claim:
//!
//! - messages of metadata versions other than V4 and V5, messages cut
//!   short (an end-of-stream marker included), a second schema, dictionary
//!   batches;
//! - record batches whose row count, field nodes (exactly one a column) or
//!   buffers (exactly two a column) disagree; negative lengths, offsets or
//!   null counts; buffers not at a multiple of 8 bytes or reaching past the
//!   message body; a values buffer too short for the rows; a null count the
//!   validity bitmap does not bear out;
//! - big-endian schemas (pyarrow would byte-swap them) and compressed bodies
//!   (the codecs are not built in), as unsupported.
//!
//! Streams of writers older than Arrow 0.15 (no continuation marker before
//! each message's length) are read, as pyarrow reads them. Fields'
//! nullability and metadata in a decoded schema are not looked at, nor is a
//! validity bitmap when its column claims no nulls (pyarrow ignores it too).

use std::sync::{Arc, OnceLock};

use ::arrow_ipc::convert::try_fb_to_schema;
use ::arrow_ipc::writer::StreamWriter;
use ::arrow_ipc::{
    root_as_message_with_opts, Endianness, FieldNode, Message, MessageHeader, MetadataVersion,
};
use arrow_array::{
    Array, ArrayRef, Float64Array, RecordBatch, TimestampMillisecondArray, UInt32Array,
};
use arrow_buffer::{BooleanBuffer, Buffer as ArrowBuffer};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};
use flatbuffers::VerifierOptions;

use crate::Point;

/// Name of the column of instants.
pub const UTC_TIME: &str = "utc_time";
/// Name of the column of flags.
pub const FLAGS: &str = "flags";
/// Name of the column of values.
pub const VALUE: &str = "value";

/// The expected columns, as messages state them.
const EXPECTED: &str =
    "`utc_time` timestamp[ms] (without time zone), `flags` uint32, `value` float64";

/// Why a payload was refused. The messages are meant to be shown to the
/// client as they are (the server sends them as `INVALID_ARGUMENT`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// The bytes are not a readable Arrow IPC stream.
    #[error("the time series data is not a valid Arrow IPC stream: {0}")]
    Malformed(String),
    /// A valid Arrow IPC stream that uses what the decoder does not read
    /// (compressed bodies, big-endian data).
    #[error("the time series data uses an Arrow IPC feature that is not supported: {0}")]
    Unsupported(String),
    /// Bytes follow the end of the stream.
    #[error(
        "the time series data has {trailing} bytes after the end of its Arrow IPC stream \
         (only {used} of {total} bytes were read); send exactly one stream"
    )]
    TrailingBytes {
        trailing: usize,
        used: usize,
        total: usize,
    },
    /// Not exactly three columns.
    #[error(
        "the time series data has {found} columns ({names}); expected exactly 3: {expected}",
        expected = EXPECTED
    )]
    ColumnCount { found: usize, names: String },
    /// A required column is absent (or misnamed).
    #[error(
        "the time series data has no column `{name}` (its columns are {names}); expected {expected}",
        expected = EXPECTED
    )]
    MissingColumn { name: &'static str, names: String },
    /// A column has the wrong type.
    #[error("column `{name}` of the time series data has type {found}; expected {expected}")]
    ColumnType {
        name: &'static str,
        found: String,
        expected: &'static str,
    },
    /// A column holds a null.
    #[error(
        "column `{name}` of the time series data holds a null at row {row}; \
         every point needs a utc_time, flags and a value (use NaN with the MISSING flag for no value)"
    )]
    Null { name: &'static str, row: usize },
}

fn malformed(error: ArrowError) -> PayloadError {
    PayloadError::Malformed(error.to_string())
}

/// The schema every encoded payload carries: `utc_time` `timestamp[ms]`
/// without time zone, `flags` uint32, `value` float64, all nullable (see the
/// module documentation).
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            Arc::new(Schema::new(vec![
                Field::new(
                    UTC_TIME,
                    DataType::Timestamp(TimeUnit::Millisecond, None),
                    true,
                ),
                Field::new(FLAGS, DataType::UInt32, true),
                Field::new(VALUE, DataType::Float64, true),
            ]))
        })
        .clone()
}

/// Encodes points as an Arrow IPC stream with [`schema`]. The points are
/// written as given; ordering is the business of [`crate::segment`].
pub fn encode(points: &[Point]) -> Vec<u8> {
    let batches: &[RecordBatch] = if points.is_empty() {
        &[]
    } else {
        &[to_batch(points)]
    };
    write_stream(batches)
}

/// Encodes one record batch, after the checks [`decode`] makes, with its
/// columns put in the canonical order.
pub fn encode_batch(batch: &RecordBatch) -> Result<Vec<u8>, PayloadError> {
    encode_batches(std::slice::from_ref(batch))
}

/// Encodes record batches as one stream, in order, after the checks
/// [`decode`] makes (so an SDK user learns of a bad table before the server
/// refuses it).
pub fn encode_batches(batches: &[RecordBatch]) -> Result<Vec<u8>, PayloadError> {
    let mut normalised = Vec::with_capacity(batches.len());
    let mut rows_before = 0;
    for batch in batches {
        let layout = Layout::of(batch.schema_ref())?;
        normalised.push(layout.normalise(batch, rows_before)?);
        rows_before += batch.num_rows();
    }
    Ok(write_stream(&normalised))
}

/// Decodes a payload into points, in the order they were sent.
///
/// Zero bytes are zero points: the official Python SDK sends nothing at all
/// for an empty table (a stream with a schema and no batch means the same).
pub fn decode(bytes: &[u8]) -> Result<Vec<Point>, PayloadError> {
    Ok(read_payload(bytes)?.points)
}

/// Decodes a payload into its record batches, checked and normalised: one
/// per record batch of the stream, each with exactly [`schema`] (canonical
/// column order, no time zone) and no nulls. Zero bytes, like a stream
/// without batches, give none.
pub fn decode_batches(bytes: &[u8]) -> Result<Vec<RecordBatch>, PayloadError> {
    let decoded = read_payload(bytes)?;
    let mut batches = Vec::with_capacity(decoded.batch_rows.len());
    let mut rest = decoded.points.as_slice();
    for &rows in &decoded.batch_rows {
        // The row counts add up to the number of points by construction;
        // `split_at_checked` keeps that an error rather than a panic.
        let (batch, after) = rest.split_at_checked(rows).ok_or_else(|| {
            PayloadError::Malformed("its record batches lost count of their rows".to_owned())
        })?;
        batches.push(to_batch(batch));
        rest = after;
    }
    Ok(batches)
}

/// Decodes a payload into a single record batch with [`schema`], checked
/// as [`decode`] does: the rows of all its batches, in order (an empty batch
/// if it has none, zero bytes included).
pub fn decode_batch(bytes: &[u8]) -> Result<RecordBatch, PayloadError> {
    Ok(to_batch(&read_payload(bytes)?.points))
}

/// The points as one record batch with [`schema`].
pub fn to_batch(points: &[Point]) -> RecordBatch {
    let times: Vec<i64> = points.iter().map(|p| p.utc_ms).collect();
    let flags: Vec<u32> = points.iter().map(|p| p.flags).collect();
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(TimestampMillisecondArray::from(times)),
        Arc::new(UInt32Array::from(flags)),
        Arc::new(Float64Array::from(values)),
    ];
    RecordBatch::try_new(schema(), columns)
        .expect("three equally long, non-null columns of the schema's types form a valid batch")
}

/// The points of a record batch, after the checks [`decode`] makes.
pub fn from_batch(batch: &RecordBatch) -> Result<Vec<Point>, PayloadError> {
    let batch = Layout::of(batch.schema_ref())?.normalise(batch, 0)?;
    let mut points = Vec::with_capacity(batch.num_rows());
    append_points(&batch, &mut points);
    Ok(points)
}

/// Appends the rows of a normalised batch (canonical order, no nulls).
fn append_points(batch: &RecordBatch, points: &mut Vec<Point>) {
    let times = column::<TimestampMillisecondArray>(batch, 0).values();
    let flags = column::<UInt32Array>(batch, 1).values();
    let values = column::<Float64Array>(batch, 2).values();
    points.extend(times.iter().zip(flags.iter()).zip(values.iter()).map(
        |((&utc_ms, &flags), &value)| Point {
            utc_ms,
            flags,
            value,
        },
    ));
}

fn column<T: 'static>(batch: &RecordBatch, index: usize) -> &T {
    batch
        .column(index)
        .as_any()
        .downcast_ref::<T>()
        .expect("a normalised batch has the canonical column types")
}

fn write_stream(batches: &[RecordBatch]) -> Vec<u8> {
    // Writing into a Vec cannot fail, and every batch has been built with or
    // checked against the schema, so the writer has nothing to object to.
    let size: usize = batches.iter().map(RecordBatch::get_array_memory_size).sum();
    let mut writer = StreamWriter::try_new(Vec::with_capacity(size + 1024), &schema())
        .expect("the payload schema is writable");
    for batch in batches {
        writer
            .write(batch)
            .expect("a batch with the payload schema is writable");
    }
    writer.finish().expect("finishing a stream into memory");
    writer
        .into_inner()
        .expect("taking back the in-memory stream")
}

// Reading a stream.
//
// The stream is walked here rather than by arrow's `StreamReader`: that
// reader trusts the offsets and lengths a record batch claims for its
// buffers and panics when they reach past the message body, and it accepts
// streams pyarrow refuses or reads differently (old metadata versions,
// unaligned or negative buffers, big-endian data). The payload's schema is
// fixed to three primitive columns, so reading it takes little: the
// framing, the flatbuffer metadata (verified by arrow-ipc's generated
// `root_as_message_with_opts`, within limits of its size) and two buffers a
// column, each checked against the body before it is read. Everything allocated is bounded by the payload's
// size: a row needs 8 bytes of the body in each 8-byte column.

/// The marker before each message's length since Arrow 0.15. Streams of
/// older writers have the length alone; both are read, as pyarrow does.
const CONTINUATION: [u8; 4] = [0xFF; 4];

/// The magic an Arrow IPC *file* starts with.
const FILE_MAGIC: &[u8] = b"ARROW1";

/// Buffers start at offsets that are multiples of this, as the Arrow
/// format requires (pyarrow refuses other offsets).
const BUFFER_ALIGNMENT: i64 = 8;

/// A payload read: the points of all record batches, and how many of them
/// each batch held.
#[derive(Default)]
struct Decoded {
    points: Vec<Point>,
    batch_rows: Vec<usize>,
}

/// The one place payload bytes are interpreted; see the module docs for
/// the rules.
fn read_payload(bytes: &[u8]) -> Result<Decoded, PayloadError> {
    let mut decoded = Decoded::default();
    if bytes.is_empty() {
        return Ok(decoded);
    }
    if bytes.starts_with(FILE_MAGIC) {
        return Err(PayloadError::Malformed(
            "it is an Arrow IPC file (it starts with `ARROW1`), not a stream; \
             write it with an IPC stream writer (pyarrow.ipc.new_stream)"
                .to_owned(),
        ));
    }
    let mut messages = Messages { bytes, at: 0 };
    let layout = match messages.next()? {
        Next::Message { at, message, .. } => read_schema(at, message)?,
        Next::EndMarker | Next::Exhausted => {
            return Err(PayloadError::Malformed(
                "it ends before its schema message: a stream starts with one".to_owned(),
            ))
        }
    };
    loop {
        match messages.next()? {
            // The Python SDK never closes its writer: the bytes end after
            // the last batch, without the end-of-stream marker.
            Next::Exhausted => return Ok(decoded),
            Next::EndMarker => {
                let used = messages.at;
                return if used < bytes.len() {
                    Err(PayloadError::TrailingBytes {
                        trailing: bytes.len() - used,
                        used,
                        total: bytes.len(),
                    })
                } else {
                    Ok(decoded)
                };
            }
            Next::Message { at, message, body } => {
                let header = message.header_type();
                let batch = match header {
                    MessageHeader::RecordBatch => message.header_as_record_batch(),
                    _ => None,
                };
                let Some(batch) = batch else {
                    let what = match header {
                        MessageHeader::Schema => {
                            "a second schema message (a stream has one, at its start)".to_owned()
                        }
                        MessageHeader::DictionaryBatch => {
                            "a dictionary batch, but no column is dictionary-encoded".to_owned()
                        }
                        MessageHeader::RecordBatch => {
                            "a record batch message without its record batch".to_owned()
                        }
                        other => format!(
                            "a message of type {} where a record batch should be",
                            other.variant_name().unwrap_or("unknown")
                        ),
                    };
                    return Err(PayloadError::Malformed(format!(
                        "the message at byte {at} is {what}"
                    )));
                };
                read_batch(at, batch, body, &layout, &mut decoded)?;
            }
        }
    }
}

/// The messages of a stream, one at a time, from `at`.
struct Messages<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// What follows in a stream.
enum Next<'a> {
    /// A message, which starts at byte `at` of the payload; its metadata
    /// is verified and of a supported version, and its body lies within
    /// the payload.
    Message {
        at: usize,
        message: Message<'a>,
        body: &'a [u8],
    },
    /// The end-of-stream marker (a zero length).
    EndMarker,
    /// Nothing: the bytes end where a message could start.
    Exhausted,
}

impl<'a> Messages<'a> {
    fn next(&mut self) -> Result<Next<'a>, PayloadError> {
        let at = self.at;
        let rest = self.bytes.get(at..).unwrap_or_default();
        if rest.is_empty() {
            return Ok(Next::Exhausted);
        }
        let error = |what: String| PayloadError::Malformed(format!("at byte {at}, {what}"));
        let (prefix, length) = match rest.split_first_chunk::<4>() {
            Some((&CONTINUATION, after)) => match after.first_chunk::<4>() {
                Some(length) => (8, i32::from_le_bytes(*length)),
                None => {
                    return Err(error(format!(
                        "it ends {} byte(s) into the 4-byte length that follows a \
                         continuation marker (an end-of-stream marker cut short?)",
                        after.len()
                    )))
                }
            },
            Some((length, _)) => (4, i32::from_le_bytes(*length)),
            None => {
                return Err(error(format!(
                    "it ends {} byte(s) into a message's length prefix \
                     (an end-of-stream marker cut short?)",
                    rest.len()
                )))
            }
        };
        if length == 0 {
            self.at = at + prefix;
            return Ok(Next::EndMarker);
        }
        let metadata = usize::try_from(length)
            .ok()
            .and_then(|length| rest.get(prefix..)?.get(..length))
            .ok_or_else(|| {
                error(format!(
                    "a message claims {length} bytes of metadata, but {} remain",
                    rest.len().saturating_sub(prefix)
                ))
            })?;
        let message = root_as_message_with_opts(&verifier_options(metadata.len()), metadata)
            .map_err(|e| {
                error(format!(
                    "the message's metadata is not a valid Arrow message: {e}"
                ))
            })?;
        let version = message.version();
        if version != MetadataVersion::V4 && version != MetadataVersion::V5 {
            let version = match version.variant_name() {
                Some(name) => format!("{name}, which predates Arrow 0.8"),
                None => format!("{} (unknown)", version.0),
            };
            return Err(error(format!(
                "a message has Arrow metadata version {version}; only V4 and V5 are supported"
            )));
        }
        let body_start = prefix + metadata.len();
        let body = usize::try_from(message.bodyLength())
            .ok()
            .and_then(|length| rest.get(body_start..)?.get(..length))
            .ok_or_else(|| {
                error(format!(
                    "a message claims a body of {} bytes, but {} remain",
                    message.bodyLength(),
                    rest.len() - body_start
                ))
            })?;
        self.at = at + body_start + body.len();
        Ok(Next::Message { at, message, body })
    }
}

/// Limits for verifying `length` bytes of message metadata that keep the
/// work on it, and what arrow builds from it, proportional to its size.
/// The defaults allow a million tables and 2 GiB of "apparent" size (the
/// metadata expanded into a tree), which a few kilobytes of flatbuffer whose
/// tables point at the same tables over and over can claim; a schema
/// converted from such a buffer would hold every copy. Metadata written the
/// usual way is a tree: each table is visited once and takes 4 bytes of its
/// own at least, and its apparent size is its length plus a vtable (a few
/// dozen bytes) for each table.
fn verifier_options(length: usize) -> VerifierOptions {
    VerifierOptions {
        max_tables: length / 4 + 1,
        max_apparent_size: length.saturating_mul(32),
        ..VerifierOptions::default()
    }
}

/// The layout of the stream's schema, from its first message.
fn read_schema(at: usize, message: Message<'_>) -> Result<Layout, PayloadError> {
    let schema = message.header_as_schema().ok_or_else(|| {
        PayloadError::Malformed(format!(
            "its first message (at byte {at}) is not a schema, which a stream starts with"
        ))
    })?;
    // pyarrow byte-swaps big-endian data as it reads it; refusing is the
    // simpler way not to read it differently.
    if schema.endianness() != Endianness::Little {
        return Err(PayloadError::Unsupported(format!(
            "its schema declares {} byte order; only little-endian data is read",
            match schema.endianness() {
                Endianness::Big => "big-endian".to_owned(),
                other => format!("an unknown ({})", other.0),
            }
        )));
    }
    let schema = try_fb_to_schema(schema)
        .map_err(|e| PayloadError::Malformed(format!("its schema cannot be read: {e}")))?;
    Layout::of(&schema)
}

/// One column of a record batch, its buffers checked against the body.
struct ColumnData<'a> {
    name: &'static str,
    null_count: usize,
    validity: &'a [u8],
    values: &'a [u8],
}

/// Appends the points of a record batch (the message at byte `at`).
fn read_batch(
    at: usize,
    batch: ::arrow_ipc::RecordBatch<'_>,
    body: &[u8],
    layout: &Layout,
    decoded: &mut Decoded,
) -> Result<(), PayloadError> {
    let error =
        |what: String| PayloadError::Malformed(format!("the record batch at byte {at} {what}"));
    if let Some(compression) = batch.compression() {
        return Err(PayloadError::Unsupported(format!(
            "the record batch at byte {at} is compressed ({}); send it uncompressed",
            compression
                .codec()
                .variant_name()
                .unwrap_or("unknown codec")
        )));
    }
    let rows = usize::try_from(batch.length())
        .map_err(|_| error(format!("claims {} rows", batch.length())))?;
    // Exactly one node and two buffers (validity, values) a column: what
    // three primitive columns take, and what every writer writes.
    let nodes: Vec<FieldNode> = match batch.nodes() {
        Some(nodes) if nodes.len() == 3 => nodes.iter().copied().collect(),
        nodes => {
            return Err(error(format!(
                "has {} field nodes; its 3 columns need exactly 3",
                nodes.map_or(0, |n| n.len())
            )))
        }
    };
    let buffers: Vec<::arrow_ipc::Buffer> = match batch.buffers() {
        Some(buffers) if buffers.len() == 6 => buffers.iter().copied().collect(),
        buffers => {
            return Err(error(format!(
                "has {} buffers; its 3 columns need exactly 6",
                buffers.map_or(0, |b| b.len())
            )))
        }
    };

    let mut columns = Vec::with_capacity(3);
    for (name, index, width) in [
        (UTC_TIME, layout.utc_time, 8),
        (FLAGS, layout.flags, 4),
        (VALUE, layout.value, 8),
    ] {
        let (Some(node), Some(validity), Some(values)) = (
            nodes.get(index),
            buffers.get(2 * index),
            buffers.get(2 * index + 1),
        ) else {
            return Err(error(format!("has no node or buffers for column `{name}`")));
        };
        if node.length() != batch.length() {
            return Err(error(format!(
                "has {rows} rows, but its column `{name}` claims {}",
                node.length()
            )));
        }
        let null_count = usize::try_from(node.null_count())
            .ok()
            .filter(|&nulls| nulls <= rows)
            .ok_or_else(|| {
                error(format!(
                    "claims {} null(s) in the {rows} rows of column `{name}`",
                    node.null_count()
                ))
            })?;
        let buffer = |number: usize, role: &str, buffer: &::arrow_ipc::Buffer| {
            let (offset, length) = (buffer.offset(), buffer.length());
            let what = format!("buffer {number} ({role} of column `{name}`)");
            if offset < 0 || length < 0 {
                return Err(error(format!(
                    "claims offset {offset} and length {length} for its {what}; \
                     neither may be negative"
                )));
            }
            if offset % BUFFER_ALIGNMENT != 0 {
                return Err(error(format!(
                    "places its {what} at offset {offset}, which is not a multiple of \
                     {BUFFER_ALIGNMENT} as Arrow requires"
                )));
            }
            usize::try_from(offset)
                .ok()
                .zip(usize::try_from(length).ok())
                .and_then(|(offset, length)| body.get(offset..)?.get(..length))
                .ok_or_else(|| {
                    error(format!(
                        "claims bytes {offset}..{} of its body for its {what}, \
                         but the body has {} bytes",
                        offset.saturating_add(length),
                        body.len()
                    ))
                })
        };
        let validity = buffer(2 * index, "validity", validity)?;
        let values = buffer(2 * index + 1, "values", values)?;
        let needed = rows.checked_mul(width).filter(|&n| n <= values.len());
        if needed.is_none() {
            return Err(error(format!(
                "has {rows} rows, but buffer {} (values of column `{name}`) holds only {} bytes, \
                 room for {} values of {width} bytes",
                2 * index + 1,
                values.len(),
                values.len() / width
            )));
        }
        columns.push(ColumnData {
            name,
            null_count,
            validity,
            values,
        });
    }

    let rows_before = decoded.points.len();
    for column in &columns {
        if column.null_count == 0 {
            // With no nulls the validity bitmap means nothing and may be
            // left out; pyarrow ignores it too.
            continue;
        }
        let name = column.name;
        let bitmap = column.validity.get(..rows.div_ceil(8)).ok_or_else(|| {
            error(format!(
                "claims {} null(s) in column `{name}`, but its validity bitmap has {} bytes, \
                     fewer than the {} its {rows} rows need",
                column.null_count,
                column.validity.len(),
                rows.div_ceil(8)
            ))
        })?;
        let valid = BooleanBuffer::new(ArrowBuffer::from_slice_ref(bitmap), 0, rows);
        let marked = rows - valid.count_set_bits();
        if marked != column.null_count {
            return Err(error(format!(
                "claims {} null(s) in column `{name}`, but its validity bitmap marks {marked}",
                column.null_count
            )));
        }
        let row = valid.iter().position(|valid| !valid).unwrap_or_default();
        return Err(PayloadError::Null {
            name,
            row: rows_before + row,
        });
    }

    let [times, flags, values] = columns.as_slice() else {
        return Err(error("lost one of its columns".to_owned()));
    };
    // Each values buffer holds at least `rows` values (checked above), so
    // this reserves no more than the body could fill.
    decoded.points.reserve(rows);
    let times = times.values.as_chunks::<8>().0.iter();
    let flags = flags.values.as_chunks::<4>().0.iter();
    let values = values.values.as_chunks::<8>().0.iter();
    decoded
        .points
        .extend(
            times
                .zip(flags)
                .zip(values)
                .take(rows)
                .map(|((utc_ms, flags), value)| Point {
                    utc_ms: i64::from_le_bytes(*utc_ms),
                    flags: u32::from_le_bytes(*flags),
                    value: f64::from_le_bytes(*value),
                }),
        );
    decoded.batch_rows.push(rows);
    Ok(())
}

/// Where the three columns sit in a payload's schema, once checked.
struct Layout {
    utc_time: usize,
    flags: usize,
    value: usize,
}

impl Layout {
    fn of(schema: &Schema) -> Result<Layout, PayloadError> {
        let fields = schema.fields();
        let names = || {
            fields
                .iter()
                .map(|f| format!("`{}`", f.name()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if fields.len() != 3 {
            return Err(PayloadError::ColumnCount {
                found: fields.len(),
                names: if fields.is_empty() {
                    "none".to_owned()
                } else {
                    names()
                },
            });
        }
        let find = |name: &'static str| {
            fields.iter().position(|f| f.name() == name).ok_or_else(|| {
                PayloadError::MissingColumn {
                    name,
                    names: names(),
                }
            })
        };
        let layout = Layout {
            utc_time: find(UTC_TIME)?,
            flags: find(FLAGS)?,
            value: find(VALUE)?,
        };

        let time_type = fields[layout.utc_time].data_type();
        let naive_ms = matches!(
            time_type,
            DataType::Timestamp(TimeUnit::Millisecond, zone)
                if zone.as_deref().is_none_or(str::is_empty)
        );
        if !naive_ms {
            return Err(PayloadError::ColumnType {
                name: UTC_TIME,
                found: describe(time_type),
                expected: "timestamp[ms] without time zone",
            });
        }
        for (name, index, expected, expected_name) in [
            (FLAGS, layout.flags, DataType::UInt32, "uint32"),
            (VALUE, layout.value, DataType::Float64, "float64"),
        ] {
            let found = fields[index].data_type();
            if *found != expected {
                return Err(PayloadError::ColumnType {
                    name,
                    found: describe(found),
                    expected: expected_name,
                });
            }
        }
        Ok(layout)
    }

    /// The batch with its columns in canonical order, the timestamp's empty
    /// zone dropped, and [`schema`] as its schema; refused if it holds a
    /// null. `rows_before` counts the rows of earlier batches, for messages.
    fn normalise(
        &self,
        batch: &RecordBatch,
        rows_before: usize,
    ) -> Result<RecordBatch, PayloadError> {
        for (name, index) in [
            (UTC_TIME, self.utc_time),
            (FLAGS, self.flags),
            (VALUE, self.value),
        ] {
            let array = batch.column(index);
            if array.null_count() > 0 {
                let row = (0..array.len())
                    .find(|&row| array.is_null(row))
                    .unwrap_or(0);
                return Err(PayloadError::Null {
                    name,
                    row: rows_before + row,
                });
            }
        }
        let times = batch
            .column(self.utc_time)
            .as_any()
            .downcast_ref::<TimestampMillisecondArray>()
            .expect("the layout checked the type")
            .clone()
            .with_timezone_opt(None::<Arc<str>>);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(times),
            batch.column(self.flags).clone(),
            batch.column(self.value).clone(),
        ];
        RecordBatch::try_new(schema(), columns).map_err(malformed)
    }
}

/// A data type in the words of pyarrow (`timestamp[ms, tz=UTC]`, `uint32`,
/// `float64` as its constructor is called), as most clients are Python;
/// Arrow's own spelling for anything rarer.
fn describe(data_type: &DataType) -> String {
    let simple = match data_type {
        DataType::Null => "null",
        DataType::Boolean => "bool",
        DataType::Int8 => "int8",
        DataType::Int16 => "int16",
        DataType::Int32 => "int32",
        DataType::Int64 => "int64",
        DataType::UInt8 => "uint8",
        DataType::UInt16 => "uint16",
        DataType::UInt32 => "uint32",
        DataType::UInt64 => "uint64",
        DataType::Float16 => "float16",
        DataType::Float32 => "float32",
        DataType::Float64 => "float64",
        DataType::Utf8 => "string",
        DataType::LargeUtf8 => "large_string",
        DataType::Binary => "binary",
        DataType::Date32 => "date32[day]",
        DataType::Date64 => "date64[ms]",
        DataType::Timestamp(unit, zone) => {
            let unit = match unit {
                TimeUnit::Second => "s",
                TimeUnit::Millisecond => "ms",
                TimeUnit::Microsecond => "us",
                TimeUnit::Nanosecond => "ns",
            };
            return match zone.as_deref() {
                Some(zone) if !zone.is_empty() => format!("timestamp[{unit}, tz={zone}]"),
                _ => format!("timestamp[{unit}]"),
            };
        }
        other => return other.to_string(),
    };
    simple.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags;
    use ::arrow_ipc::reader::StreamReader;
    use arrow_array::{Int64Array, StringArray, TimestampSecondArray};
    use std::io::Cursor;

    fn sample() -> Vec<Point> {
        vec![
            Point::new(1_711_843_200_000, flags::OK, 1.5),
            Point::new(1_711_846_800_000, flags::SUSPECT, -0.0),
            Point::new(1_711_850_400_000, flags::MISSING, f64::NAN),
        ]
    }

    /// Points compare field by field with the values' bits, so NaNs with
    /// different payloads and the two zeros are told apart.
    fn assert_same(actual: &[Point], expected: &[Point]) {
        assert_eq!(actual.len(), expected.len());
        for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
            assert_eq!(
                (a.utc_ms, a.flags, a.value.to_bits()),
                (e.utc_ms, e.flags, e.value.to_bits()),
                "point {i}"
            );
        }
    }

    /// A stream of the given columns, with names and types as given.
    fn stream_of(columns: Vec<(&str, ArrayRef)>) -> Vec<u8> {
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        stream_of_batches(&batch.schema(), &[batch])
    }

    fn stream_of_batches(schema: &Schema, batches: &[RecordBatch]) -> Vec<u8> {
        let mut writer = StreamWriter::try_new(Vec::new(), schema).unwrap();
        for batch in batches {
            writer.write(batch).unwrap();
        }
        writer.finish().unwrap();
        writer.into_inner().unwrap()
    }

    fn times(values: Vec<i64>) -> ArrayRef {
        Arc::new(TimestampMillisecondArray::from(values))
    }
    fn flag_column(values: Vec<u32>) -> ArrayRef {
        Arc::new(UInt32Array::from(values))
    }
    fn value_column(values: Vec<f64>) -> ArrayRef {
        Arc::new(Float64Array::from(values))
    }

    fn message(bytes: &[u8]) -> String {
        decode(bytes).unwrap_err().to_string()
    }

    #[test]
    fn round_trip_keeps_every_field_bit_for_bit() {
        let mut points = sample();
        // NaNs with distinct payloads and signs, infinities, extremes, and
        // every single flag bit plus all of them at once.
        for (i, bits) in [
            0x7ff8_0000_0000_0000u64,
            0x7ff8_0000_dead_beef,
            0xfff8_0000_0000_0001,
            0x7ff0_0000_0000_0001,
            f64::INFINITY.to_bits(),
            f64::NEG_INFINITY.to_bits(),
            f64::MIN_POSITIVE.to_bits(),
            f64::MAX.to_bits(),
        ]
        .into_iter()
        .enumerate()
        {
            points.push(Point::new(
                2_000_000_000_000 + i as i64,
                0,
                f64::from_bits(bits),
            ));
        }
        for bit in 0..32 {
            points.push(Point::new(3_000_000_000_000 + bit, 1 << bit, bit as f64));
        }
        points.push(Point::new(i64::MIN, u32::MAX, 0.0));
        points.push(Point::new(i64::MAX, flags::NOT_OK | flags::SUSPECT, 1.0));

        let bytes = encode(&points);
        assert_same(&decode(&bytes).unwrap(), &points);

        let batches = decode_batches(&bytes).unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].schema(), schema());
        assert_same(&from_batch(&batches[0]).unwrap(), &points);
        assert_same(
            &decode(&encode_batch(&batches[0]).unwrap()).unwrap(),
            &points,
        );
    }

    #[test]
    fn empty_points_give_a_stream_with_the_schema_and_no_rows() {
        let bytes = encode(&[]);
        let reader = StreamReader::try_new(Cursor::new(&bytes[..]), None).unwrap();
        assert_eq!(reader.schema(), schema());
        assert_eq!(reader.count(), 0);
        assert_eq!(decode(&bytes).unwrap(), vec![]);
        assert!(decode_batches(&bytes).unwrap().is_empty());
        let batch = decode_batch(&bytes).unwrap();
        assert_eq!((batch.num_rows(), batch.schema()), (0, schema()));
    }

    #[test]
    fn a_million_points_round_trip() {
        let points: Vec<Point> = (0..1_000_000i64)
            .map(|i| Point::new(i * 60_000, (i as u32) & 0x4600_0001, i as f64 * 0.25))
            .collect();
        let bytes = encode(&points);
        // 20 bytes a row, plus schema and framing.
        assert!(
            bytes.len() >= 20_000_000 && bytes.len() < 20_010_000,
            "{}",
            bytes.len()
        );
        assert_same(&decode(&bytes).unwrap(), &points);
    }

    #[test]
    fn the_schema_is_exactly_the_three_columns() {
        let schema = schema();
        let described: Vec<(String, String)> = schema
            .fields()
            .iter()
            .map(|f| (f.name().clone(), describe(f.data_type())))
            .collect();
        assert_eq!(
            described,
            vec![
                ("utc_time".into(), "timestamp[ms]".into()),
                ("flags".into(), "uint32".into()),
                ("value".into(), "float64".into()),
            ]
        );
    }

    #[test]
    fn columns_are_matched_by_name_in_any_order() {
        let bytes = stream_of(vec![
            ("value", value_column(vec![2.0, 3.0])),
            ("utc_time", times(vec![10, 20])),
            ("flags", flag_column(vec![flags::SUSPECT, 7])),
        ]);
        assert_eq!(
            decode(&bytes).unwrap(),
            vec![Point::new(10, flags::SUSPECT, 2.0), Point::new(20, 7, 3.0)]
        );
        assert_eq!(decode_batches(&bytes).unwrap()[0].schema(), schema());
    }

    #[test]
    fn non_nullable_fields_and_an_empty_zone_are_accepted() {
        let schema = Arc::new(Schema::new(vec![
            Field::new(
                UTC_TIME,
                DataType::Timestamp(TimeUnit::Millisecond, Some("".into())),
                false,
            ),
            Field::new(FLAGS, DataType::UInt32, false),
            Field::new(VALUE, DataType::Float64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(TimestampMillisecondArray::from(vec![5]).with_timezone("")),
                flag_column(vec![0]),
                value_column(vec![1.0]),
            ],
        )
        .unwrap();
        let bytes = stream_of_batches(&schema, &[batch]);
        assert_eq!(decode(&bytes).unwrap(), vec![Point::new(5, 0, 1.0)]);
    }

    #[test]
    fn several_batches_are_concatenated_in_order() {
        let first = to_batch(&sample()[..2]);
        let second = to_batch(&[]);
        let third = to_batch(&sample()[2..]);
        let bytes = stream_of_batches(&schema(), &[first.clone(), second, third]);
        assert_same(&decode(&bytes).unwrap(), &sample());
        assert_eq!(decode_batches(&bytes).unwrap().len(), 3);
        let joined = decode_batch(&bytes).unwrap();
        assert_eq!(joined.schema(), schema());
        assert_same(&from_batch(&joined).unwrap(), &sample());
        let again = encode_batches(&decode_batches(&bytes).unwrap()).unwrap();
        assert_same(&decode(&again).unwrap(), &sample());
    }

    #[test]
    fn zero_bytes_are_zero_points() {
        // What the Python SDK sends for an empty table.
        assert_eq!(decode(&[]).unwrap(), vec![]);
        assert!(decode_batches(&[]).unwrap().is_empty());
        let batch = decode_batch(&[]).unwrap();
        assert_eq!((batch.num_rows(), batch.schema()), (0, schema()));
    }

    #[test]
    fn undecodable_bytes_are_refused() {
        let garbage = message(b"definitely not arrow");
        assert!(
            garbage.starts_with("the time series data is not a valid Arrow IPC stream: "),
            "{garbage}"
        );
        // A stream cut short in the middle of its batch.
        let bytes = encode(&sample());
        let cut = message(&bytes[..bytes.len() - 20]);
        assert!(
            cut.starts_with("the time series data is not a valid Arrow IPC stream: "),
            "{cut}"
        );
        // An IPC file is not a stream.
        let mut file = Vec::new();
        {
            let mut writer =
                ::arrow_ipc::writer::FileWriter::try_new(&mut file, &schema()).unwrap();
            writer.write(&to_batch(&sample())).unwrap();
            writer.finish().unwrap();
        }
        assert_eq!(
            message(&file),
            "the time series data is not a valid Arrow IPC stream: it is an Arrow IPC file \
             (it starts with `ARROW1`), not a stream; write it with an IPC stream writer \
             (pyarrow.ipc.new_stream)"
        );
    }

    #[test]
    fn bytes_after_the_stream_are_refused() {
        let mut bytes = encode(&sample());
        let one = bytes.len();
        bytes.extend(encode(&sample()));
        assert_eq!(
            message(&bytes),
            format!(
                "the time series data has {one} bytes after the end of its Arrow IPC stream \
                 (only {one} of {} bytes were read); send exactly one stream",
                2 * one
            )
        );
    }

    #[test]
    fn a_wrong_number_of_columns_is_refused() {
        let bytes = stream_of(vec![
            ("utc_time", times(vec![1])),
            ("flags", flag_column(vec![0])),
            ("value", value_column(vec![1.0])),
            (
                "comment",
                Arc::new(StringArray::from(vec!["x"])) as ArrayRef,
            ),
        ]);
        assert_eq!(
            message(&bytes),
            "the time series data has 4 columns (`utc_time`, `flags`, `value`, `comment`); \
             expected exactly 3: `utc_time` timestamp[ms] (without time zone), `flags` uint32, \
             `value` float64"
        );
        let bytes = stream_of(vec![
            ("utc_time", times(vec![1])),
            ("value", value_column(vec![1.0])),
        ]);
        assert!(
            message(&bytes).starts_with("the time series data has 2 columns (`utc_time`, `value`)")
        );
        let empty_schema = stream_of_batches(&Schema::empty(), &[]);
        assert!(message(&empty_schema).starts_with("the time series data has 0 columns (none)"));
    }

    #[test]
    fn a_missing_or_misnamed_column_is_refused() {
        let bytes = stream_of(vec![
            ("time", times(vec![1])),
            ("flags", flag_column(vec![0])),
            ("value", value_column(vec![1.0])),
        ]);
        assert_eq!(
            message(&bytes),
            "the time series data has no column `utc_time` (its columns are `time`, `flags`, `value`); \
             expected `utc_time` timestamp[ms] (without time zone), `flags` uint32, `value` float64"
        );
        let bytes = stream_of(vec![
            ("utc_time", times(vec![1])),
            ("Flags", flag_column(vec![0])),
            ("value", value_column(vec![1.0])),
        ]);
        assert!(message(&bytes).starts_with("the time series data has no column `flags`"));
    }

    #[test]
    fn wrong_column_types_are_refused() {
        let zoned: ArrayRef =
            Arc::new(TimestampMillisecondArray::from(vec![1]).with_timezone("UTC"));
        let seconds: ArrayRef = Arc::new(TimestampSecondArray::from(vec![1]));
        let plain: ArrayRef = Arc::new(Int64Array::from(vec![1]));
        for (column, found) in [
            (zoned, "timestamp[ms, tz=UTC]"),
            (seconds, "timestamp[s]"),
            (plain, "int64"),
        ] {
            let bytes = stream_of(vec![
                ("utc_time", column),
                ("flags", flag_column(vec![0])),
                ("value", value_column(vec![1.0])),
            ]);
            assert_eq!(
                message(&bytes),
                format!(
                    "column `utc_time` of the time series data has type {found}; \
                     expected timestamp[ms] without time zone"
                )
            );
        }
        let bytes = stream_of(vec![
            ("utc_time", times(vec![1])),
            ("flags", Arc::new(Int64Array::from(vec![0])) as ArrayRef),
            ("value", value_column(vec![1.0])),
        ]);
        assert_eq!(
            message(&bytes),
            "column `flags` of the time series data has type int64; expected uint32"
        );
        let bytes = stream_of(vec![
            ("utc_time", times(vec![1])),
            ("flags", flag_column(vec![0])),
            (
                "value",
                Arc::new(arrow_array::Float32Array::from(vec![1.0f32])) as ArrayRef,
            ),
        ]);
        assert_eq!(
            message(&bytes),
            "column `value` of the time series data has type float32; expected float64"
        );
    }

    #[test]
    fn nulls_are_refused_naming_column_and_row() {
        let bytes = stream_of(vec![
            ("utc_time", times(vec![1, 2, 3])),
            ("flags", flag_column(vec![0, 0, 0])),
            (
                "value",
                Arc::new(Float64Array::from(vec![Some(1.0), Some(2.0), None])) as ArrayRef,
            ),
        ]);
        assert_eq!(
            message(&bytes),
            "column `value` of the time series data holds a null at row 2; every point needs a \
             utc_time, flags and a value (use NaN with the MISSING flag for no value)"
        );

        // Rows are counted across batches.
        let good = to_batch(&sample());
        let bad = RecordBatch::try_new(
            schema(),
            vec![
                Arc::new(TimestampMillisecondArray::from(vec![Some(9), None])),
                flag_column(vec![0, 0]),
                value_column(vec![1.0, 2.0]),
            ],
        )
        .unwrap();
        let bytes = stream_of_batches(&schema(), &[good, bad.clone()]);
        assert!(message(&bytes)
            .starts_with("column `utc_time` of the time series data holds a null at row 4;"));
        let bytes = stream_of(vec![
            ("utc_time", times(vec![1])),
            ("flags", Arc::new(UInt32Array::from(vec![None])) as ArrayRef),
            ("value", value_column(vec![1.0])),
        ]);
        assert!(message(&bytes)
            .starts_with("column `flags` of the time series data holds a null at row 0;"));

        // The same checks guard the SDK's way in.
        assert!(matches!(
            encode_batch(&bad),
            Err(PayloadError::Null {
                name: "utc_time",
                row: 1
            })
        ));
        assert!(matches!(
            from_batch(&bad),
            Err(PayloadError::Null {
                name: "utc_time",
                row: 1
            })
        ));
    }
}

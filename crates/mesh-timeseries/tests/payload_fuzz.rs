//! Property tests (a fuzz harness) of the payload decoder, runnable with the
//! Rust toolchain alone.
//!
//! The default run is bounded and takes a few seconds in a debug build
//! (`cargo test -p mesh-timeseries --test payload_fuzz`). For a long run,
//! set the number of cases of every property:
//!
//! ```text
//! PROPTEST_CASES=200000 cargo test --release -p mesh-timeseries --test payload_fuzz
//! ```
//!
//! (200000 cases a property take about 20 s on a 2-core machine; ten times
//! as many, a few minutes.)
//!
//! Failures are not persisted (no regression files are written into the
//! source tree); proptest prints the shrunk input, which belongs in a
//! deliberate test (see `payload_claims.rs`) once understood.
//!
//! The oracle for a payload the decoder accepts is arrow's own stream
//! reader: the decoder is stricter than it, never looser, so whatever the
//! decoder reads, arrow must read to the same points, bit for bit. Arrow's
//! reader is only asked once the decoder has accepted the bytes (it panics
//! on some of those the decoder refuses).

mod support;

use std::io::Cursor;
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, Float64Array, RecordBatch, TimestampMillisecondArray, UInt32Array,
};
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::{IpcWriteOptions, StreamWriter};
use arrow_ipc::MetadataVersion;
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use mesh_timeseries::arrow_ipc::{decode, decode_batch, decode_batches};
use mesh_timeseries::Point;
use proptest::prelude::*;
use support::*;

/// The configuration of every property: `default_cases` unless
/// `PROPTEST_CASES` says otherwise, and no failure files.
fn config(default_cases: u32) -> ProptestConfig {
    // `default()` reads the PROPTEST_* variables of the environment.
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = default_cases;
    }
    config.failure_persistence = None;
    config
}

/// Points as their bits, so NaNs compare.
fn bits(points: &[Point]) -> Vec<(i64, u32, u64)> {
    points
        .iter()
        .map(|p| (p.utc_ms, p.flags, p.value.to_bits()))
        .collect()
}

// Strategies ---------------------------------------------------------------

fn value_bits() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => any::<u64>(),
        1 => prop::sample::select(vec![
            0x7ff8_0000_0000_0000u64, // the usual quiet NaN
            0x7ff8_0000_dead_beef,    // a NaN with a payload
            0xfff8_0000_0000_0001,    // a negative NaN
            0x7ff0_0000_0000_0001,    // a signalling NaN
            f64::INFINITY.to_bits(),
            f64::NEG_INFINITY.to_bits(),
            (-0.0f64).to_bits(),
            0,
            f64::MIN_POSITIVE.to_bits(),
            1, // the smallest subnormal
        ]),
    ]
}

fn point() -> impl Strategy<Value = Point> {
    (
        prop_oneof![3 => any::<i64>(), 1 => Just(i64::MIN), 1 => Just(i64::MAX), 1 => -3i64..3],
        prop_oneof![3 => any::<u32>(), 1 => Just(0u32), 1 => Just(u32::MAX)],
        value_bits(),
    )
        .prop_map(|(utc_ms, flags, value)| Point::new(utc_ms, flags, f64::from_bits(value)))
}

/// How a valid payload is written.
#[derive(Debug, Clone)]
enum Writer {
    /// Arrow's stream writer, with the given metadata version and framing
    /// (legacy: no continuation markers), columns nullable or not.
    Arrow {
        v4: bool,
        legacy: bool,
        nullable: bool,
    },
    /// The crafted writer of `support`, with the columns in this order.
    Crafted { order: [usize; 3] },
}

fn writer() -> impl Strategy<Value = Writer> {
    prop_oneof![
        (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(v4, legacy, nullable)| {
            Writer::Arrow {
                // Arrow writes the legacy framing with V4 metadata only.
                v4: v4 || legacy,
                legacy,
                nullable,
            }
        }),
        prop::sample::select(vec![
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0]
        ])
        .prop_map(|order| Writer::Crafted { order }),
    ]
}

/// A valid payload and what it holds.
#[derive(Debug, Clone)]
struct Valid {
    points: Vec<Point>,
    /// Rows of each record batch, in order.
    batches: Vec<usize>,
    eos: bool,
    writer: Writer,
}

impl Valid {
    fn bytes(&self) -> Vec<u8> {
        let mut slices = Vec::new();
        let mut rest = self.points.as_slice();
        for &rows in &self.batches {
            let (batch, after) = rest.split_at(rows);
            slices.push(batch);
            rest = after;
        }
        match &self.writer {
            Writer::Arrow {
                v4,
                legacy,
                nullable,
            } => {
                let version = if *v4 {
                    MetadataVersion::V4
                } else {
                    MetadataVersion::V5
                };
                let options = IpcWriteOptions::try_new(8, *legacy, version).unwrap();
                let schema = Arc::new(Schema::new(vec![
                    Field::new(
                        "utc_time",
                        DataType::Timestamp(TimeUnit::Millisecond, None),
                        *nullable,
                    ),
                    Field::new("flags", DataType::UInt32, *nullable),
                    Field::new("value", DataType::Float64, *nullable),
                ]));
                let mut writer =
                    StreamWriter::try_new_with_options(Vec::new(), &schema, options).unwrap();
                for points in slices {
                    let columns: Vec<ArrayRef> = vec![
                        Arc::new(TimestampMillisecondArray::from(
                            points.iter().map(|p| p.utc_ms).collect::<Vec<_>>(),
                        )),
                        Arc::new(UInt32Array::from(
                            points.iter().map(|p| p.flags).collect::<Vec<_>>(),
                        )),
                        Arc::new(Float64Array::from(
                            points.iter().map(|p| p.value).collect::<Vec<_>>(),
                        )),
                    ];
                    writer
                        .write(&RecordBatch::try_new(schema.clone(), columns).unwrap())
                        .unwrap();
                }
                writer.finish().unwrap();
                let mut bytes = writer.into_inner().unwrap();
                if !self.eos {
                    // The marker is the last 8 bytes (4 in the legacy framing).
                    bytes.truncate(bytes.len() - if *legacy { 4 } else { 8 });
                }
                bytes
            }
            Writer::Crafted { order } => {
                let columns = order.map(|i| COLUMNS[i]);
                let mut bytes = Vec::new();
                frame(
                    &mut bytes,
                    &schema_message(MetadataVersion::V5, arrow_ipc::Endianness::Little, &columns),
                    &[],
                );
                for points in slices {
                    let (claims, body) = batch_of(points, &columns);
                    frame(&mut bytes, &batch_message(&claims), &body);
                }
                if self.eos {
                    bytes.extend_from_slice(&EOS);
                }
                bytes
            }
        }
    }
}

fn valid() -> impl Strategy<Value = Valid> {
    (
        prop::collection::vec(point(), 0..40),
        prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        any::<bool>(),
        writer(),
    )
        .prop_map(|(points, cuts, eos, writer)| {
            // Cuts anywhere, empty batches included; no cut means one
            // batch, or none at all if there are no points (a schema-only
            // stream, with or without the end-of-stream marker).
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(points.len() + 1)).collect();
            cuts.sort_unstable();
            let mut batches = Vec::new();
            let mut start = 0;
            for cut in cuts {
                batches.push(cut - start);
                start = cut;
            }
            if !(points.is_empty() && batches.is_empty()) {
                batches.push(points.len() - start);
            }
            Valid {
                points,
                batches,
                eos,
                writer,
            }
        })
}

/// A valid payload with at least one record batch (perhaps empty), for
/// properties that change a batch's claims.
fn valid_with_a_batch() -> impl Strategy<Value = Valid> {
    valid().prop_map(|mut valid| {
        if valid.batches.is_empty() {
            valid.batches.push(valid.points.len());
        }
        valid
    })
}

/// Values that break assumptions, for 4- and 8-byte words.
const EXTREMES_32: [u32; 9] = [
    0,
    1,
    7,
    8,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFF,
    0xFFFF_FFF8,
    0x0100_0000,
];
const EXTREMES_64: [u64; 12] = [
    0,
    1,
    7,
    8,
    0x7FFF_FFFF,
    0x8000_0000, // 2^31
    0x1_0000_0000,
    0x7FFF_FFFF_FFFF_FFFF,
    0x8000_0000_0000_0000,
    0xFFFF_FFFF_FFFF_FFFF, // -1
    0xFFFF_FFFF_FFFF_FFF8, // -8
    0x4000_0000_0000_0000,
];

/// Which bytes of a payload a mutation aims at.
#[derive(Debug, Clone, Copy)]
enum Region {
    /// Anywhere.
    All,
    /// The metadata of one message (picked by the index).
    Metadata(prop::sample::Index),
    /// The body of one message.
    Body(prop::sample::Index),
}

/// One change to a valid payload.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(Region, prop::sample::Index, u8),
    /// Overwrite an aligned 4- or 8-byte word with an extreme value.
    Word {
        region: Region,
        at: prop::sample::Index,
        wide: bool,
        value: prop::sample::Index,
    },
    /// Cut at a boundary (start of a message, of its metadata, of its
    /// body, the end of its body) moved by -8..=8 bytes.
    CutAtBoundary(prop::sample::Index, i8),
    /// Cut anywhere.
    Cut(prop::sample::Index),
    /// Remove a range.
    Remove(prop::sample::Index, prop::sample::Index),
    /// Copy a range to another place (a message twice, a body in metadata).
    Splice {
        from: prop::sample::Index,
        length: prop::sample::Index,
        to: prop::sample::Index,
    },
    /// Append bytes.
    Append(Vec<u8>),
}

fn region() -> impl Strategy<Value = Region> {
    prop_oneof![
        1 => Just(Region::All),
        2 => any::<prop::sample::Index>().prop_map(Region::Metadata),
        1 => any::<prop::sample::Index>().prop_map(Region::Body),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    use prop::sample::Index;
    prop_oneof![
        2 => (region(), any::<Index>(), 0u8..8).prop_map(|(r, i, b)| Mutation::FlipBit(r, i, b)),
        4 => (region(), any::<Index>(), any::<bool>(), any::<Index>()).prop_map(
            |(region, at, wide, value)| Mutation::Word { region, at, wide, value }
        ),
        2 => (any::<Index>(), -8i8..=8).prop_map(|(i, d)| Mutation::CutAtBoundary(i, d)),
        1 => any::<Index>().prop_map(Mutation::Cut),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Remove(a, b)),
        1 => (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(from, length, to)| Mutation::Splice { from, length, to }),
        1 => prop::collection::vec(any::<u8>(), 1..12).prop_map(Mutation::Append),
    ]
}

/// Where the messages of a payload sit: (prefix start, metadata start, body
/// start, body end) each, in either framing. Stops where the bytes stop
/// making sense (a payload may have been changed already).
fn spans(bytes: &[u8]) -> Vec<(usize, usize, usize, usize)> {
    let mut spans = Vec::new();
    let mut at = 0;
    let word = |at: usize| -> Option<i32> {
        Some(i32::from_le_bytes(
            bytes.get(at..at.checked_add(4)?)?.try_into().ok()?,
        ))
    };
    while let Some(first) = word(at) {
        let (prefix, length) = match first {
            -1 => match word(at + 4) {
                Some(length) => (8, length),
                None => break,
            },
            length => (4, length),
        };
        let Ok(length) = usize::try_from(length) else {
            break;
        };
        let metadata = at + prefix;
        let body = metadata + length;
        let Some(message) = bytes
            .get(metadata..body)
            .and_then(|m| arrow_ipc::root_as_message(m).ok())
        else {
            break;
        };
        let Some(end) = usize::try_from(message.bodyLength())
            .ok()
            .and_then(|l| body.checked_add(l))
            .filter(|&end| end <= bytes.len())
        else {
            break;
        };
        spans.push((at, metadata, body, end));
        at = end;
    }
    spans
}

impl Mutation {
    fn apply(&self, bytes: &mut Vec<u8>) {
        if bytes.is_empty() {
            if let Mutation::Append(extra) = self {
                bytes.extend_from_slice(extra);
            }
            return;
        }
        let spans = spans(bytes);
        let range = |region: Region| -> (usize, usize) {
            let pick = |i: prop::sample::Index| spans.get(i.index(spans.len().max(1)));
            match region {
                Region::Metadata(i) => pick(i).map_or((0, bytes.len()), |s| (s.1, s.2)),
                Region::Body(i) => match pick(i) {
                    Some(s) if s.3 > s.2 => (s.2, s.3),
                    _ => (0, bytes.len()),
                },
                Region::All => (0, bytes.len()),
            }
        };
        match self {
            Mutation::FlipBit(region, at, bit) => {
                let (start, end) = range(*region);
                bytes[start + at.index(end - start)] ^= 1 << bit;
            }
            Mutation::Word {
                region,
                at,
                wide,
                value,
            } => {
                let (start, end) = range(*region);
                let width = if *wide { 8 } else { 4 };
                // Fields of a flatbuffer and buffers of a body sit at
                // multiples of their width from the start.
                let words = (end - start) / width;
                if words == 0 {
                    return;
                }
                let at = start + at.index(words) * width;
                if *wide {
                    let v = EXTREMES_64[value.index(EXTREMES_64.len())];
                    bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
                } else {
                    let v = EXTREMES_32[value.index(EXTREMES_32.len())];
                    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
                }
            }
            Mutation::CutAtBoundary(i, delta) => {
                let mut boundaries: Vec<usize> = spans
                    .iter()
                    .flat_map(|&(a, b, c, d)| [a, a + 4, b, c, d])
                    .collect();
                boundaries.push(bytes.len());
                let at = boundaries[i.index(boundaries.len())] as isize + *delta as isize;
                bytes.truncate(at.clamp(0, bytes.len() as isize) as usize);
            }
            Mutation::Cut(i) => {
                let at = i.index(bytes.len());
                bytes.truncate(at);
            }
            Mutation::Remove(a, b) => {
                let (a, b) = (a.index(bytes.len()), b.index(bytes.len()));
                bytes.drain(a.min(b)..a.max(b));
            }
            Mutation::Splice { from, length, to } => {
                let from = from.index(bytes.len());
                let length = length.index(bytes.len() - from + 1);
                let to = to.index(bytes.len() + 1);
                let piece = bytes[from..from + length].to_vec();
                bytes.splice(to..to, piece);
            }
            Mutation::Append(extra) => bytes.extend_from_slice(extra),
        }
    }
}

// The oracle -----------------------------------------------------------------

/// Decodes `bytes` and, if the decoder accepts them, checks its points
/// against arrow's reader and the bound on what was allocated. Returns the
/// decoder's answer.
fn decode_checked(bytes: &[u8]) -> Result<Vec<Point>, String> {
    let decoded = decode(bytes).map_err(|e| e.to_string());
    let batches = decode_batches(bytes).map_err(|e| e.to_string());
    let batch = decode_batch(bytes).map_err(|e| e.to_string());
    // The three ways in agree on acceptance and on the points.
    match (&decoded, &batches, &batch) {
        (Ok(points), Ok(batches), Ok(batch)) => {
            let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
            assert_eq!(rows, points.len());
            assert_eq!(batch.num_rows(), points.len());
        }
        (Err(a), Err(b), Err(c)) => {
            assert_eq!(a, b);
            assert_eq!(a, c);
        }
        _ => panic!("decode, decode_batches and decode_batch disagree"),
    }
    if let Ok(points) = &decoded {
        // Each row takes 8 bytes of some body: nothing beyond the payload.
        assert!(points.len() * 8 <= bytes.len());
        if !bytes.is_empty() {
            assert_eq!(bits(points), bits(&arrow_reads(bytes)));
        }
    }
    decoded
}

/// The points arrow's stream reader reads.
fn arrow_reads(bytes: &[u8]) -> Vec<Point> {
    let reader = StreamReader::try_new(Cursor::new(bytes), None)
        .expect("arrow reads the schema of a payload the decoder accepted");
    let schema = reader.schema();
    let index = |name: &str| schema.index_of(name).unwrap();
    let (time, flags, value) = (index("utc_time"), index("flags"), index("value"));
    let mut points = Vec::new();
    for batch in reader {
        let batch = batch.expect("arrow reads a batch the decoder accepted");
        let column = |i: usize| batch.column(i).to_data();
        let (times, flags, values) = (column(time), column(flags), column(value));
        assert_eq!(
            (times.null_count(), flags.null_count(), values.null_count()),
            (0, 0, 0)
        );
        let times = TimestampMillisecondArray::from(times);
        let flags = UInt32Array::from(flags);
        let values = Float64Array::from(values);
        for row in 0..batch.num_rows() {
            points.push(Point::new(
                times.value(row),
                flags.value(row),
                values.value(row),
            ));
        }
    }
    points
}

// The properties ---------------------------------------------------------------

proptest! {
    #![proptest_config(config(2000))]

    /// Arbitrary bytes, and arbitrary bytes behind a continuation marker and
    /// a length (so more of them reach the metadata verifier), never panic.
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        framed in any::<bool>(),
    ) {
        let mut payload = Vec::new();
        if framed {
            payload.extend_from_slice(&[0xFF; 4]);
            payload.extend_from_slice(&(bytes.len() as i32).to_le_bytes());
        }
        payload.extend_from_slice(&bytes);
        let _ = decode_checked(&payload);
    }
}

proptest! {
    #![proptest_config(config(300))]

    /// Valid payloads, however written and split, decode to their points
    /// exactly (NaN payloads and flags bit for bit), one batch for each
    /// record batch.
    #[test]
    fn valid_payloads_round_trip(valid in valid()) {
        let bytes = valid.bytes();
        let points = decode_checked(&bytes).unwrap();
        prop_assert_eq!(bits(&points), bits(&valid.points));
        let batches = decode_batches(&bytes).unwrap();
        prop_assert_eq!(
            batches.iter().map(RecordBatch::num_rows).collect::<Vec<_>>(),
            valid.batches.clone()
        );
    }
}

proptest! {
    #![proptest_config(config(2000))]

    /// Valid payloads changed in one to four places never panic: they
    /// decode to the points the changed bytes hold, as arrow reads them, or
    /// are refused.
    #[test]
    fn mutated_payloads_never_panic(
        valid in valid(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let mut bytes = valid.bytes();
        for mutation in &mutations {
            mutation.apply(&mut bytes);
        }
        let _ = decode_checked(&bytes);
    }

    /// The claims of a record batch (each node's length and null count,
    /// each buffer's offset and length) set to extreme values, one or two
    /// at a time, are refused or read as arrow reads them.
    #[test]
    fn extreme_claims_never_panic(
        valid in valid_with_a_batch(),
        changes in prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                any::<prop::sample::Index>(),
                any::<bool>(),
                any::<prop::sample::Index>(),
            ),
            1..3,
        ),
    ) {
        let mut bytes = valid.bytes();
        // Where the nodes and the buffers vectors of every batch are.
        let mut vectors = Vec::new();
        for (_, metadata, body, _) in spans(&bytes) {
            let message = arrow_ipc::root_as_message(&bytes[metadata..body]).unwrap();
            if let Some(batch) = message.header_as_record_batch() {
                for vector in [batch.nodes().unwrap().bytes(), batch.buffers().unwrap().bytes()] {
                    let start = vector.as_ptr() as usize - bytes.as_ptr() as usize;
                    vectors.push((start, vector.len() / 16));
                }
            }
        }
        assert!(!vectors.is_empty(), "the payload has a record batch");
        for (vector, element, second, value) in changes {
            // Each element is two i64s: (length, null count) for a node,
            // (offset, length) for a buffer.
            let (start, elements) = vectors[vector.index(vectors.len())];
            let at = start + 16 * element.index(elements) + if second { 8 } else { 0 };
            let value = EXTREMES_64[value.index(EXTREMES_64.len())];
            bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
        }
        let _ = decode_checked(&bytes);
    }
}

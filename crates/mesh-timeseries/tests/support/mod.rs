//! Crafting Arrow IPC streams field by field, for tests of the payload
//! decoder: arrow's own writer only writes valid streams, and the defects
//! these tests guard against live in streams that claim things they should
//! not (lengths past the body, negative counts, old metadata versions...).
//!
//! Messages are built with the flatbuffers builder and the types arrow-ipc
//! generates from the Arrow format's schema files, so everything but the
//! claim under test is exactly what a real writer would put there.

#![allow(dead_code)] // Each test file uses its own share of the helpers.

use arrow_ipc::{
    BodyCompression, BodyCompressionArgs, BodyCompressionMethod, Buffer, CompressionType,
    Endianness, Field, FieldArgs, FieldNode, FloatingPoint, FloatingPointArgs, Int, IntArgs,
    Message, MessageArgs, MessageHeader, MetadataVersion, Precision, RecordBatch, RecordBatchArgs,
    Schema, SchemaArgs, TimeUnit, Timestamp, TimestampArgs, Type,
};
use flatbuffers::FlatBufferBuilder;
use mesh_timeseries::Point;

/// The end-of-stream marker: a continuation marker and a zero length.
pub const EOS: [u8; 8] = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0];

/// The type of a crafted column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// timestamp[ms] without time zone.
    TimestampMs,
    /// uint32.
    UInt32,
    /// float64.
    Float64,
}

/// The payload's columns, in the canonical order.
pub const COLUMNS: [(&str, Kind); 3] = [
    ("utc_time", Kind::TimestampMs),
    ("flags", Kind::UInt32),
    ("value", Kind::Float64),
];

/// A Schema message's flatbuffer.
pub fn schema_message(
    version: MetadataVersion,
    endianness: Endianness,
    columns: &[(&str, Kind)],
) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    let mut fields = Vec::new();
    for &(name, kind) in columns {
        let name = fbb.create_string(name);
        let (type_type, type_) = match kind {
            Kind::TimestampMs => (
                Type::Timestamp,
                Timestamp::create(
                    &mut fbb,
                    &TimestampArgs {
                        unit: TimeUnit::MILLISECOND,
                        timezone: None,
                    },
                )
                .as_union_value(),
            ),
            Kind::UInt32 => (
                Type::Int,
                Int::create(
                    &mut fbb,
                    &IntArgs {
                        bitWidth: 32,
                        is_signed: false,
                    },
                )
                .as_union_value(),
            ),
            Kind::Float64 => (
                Type::FloatingPoint,
                FloatingPoint::create(
                    &mut fbb,
                    &FloatingPointArgs {
                        precision: Precision::DOUBLE,
                    },
                )
                .as_union_value(),
            ),
        };
        let children = fbb.create_vector::<flatbuffers::WIPOffset<Field>>(&[]);
        fields.push(Field::create(
            &mut fbb,
            &FieldArgs {
                name: Some(name),
                nullable: true,
                type_type,
                type_: Some(type_),
                children: Some(children),
                ..Default::default()
            },
        ));
    }
    let fields = fbb.create_vector(&fields);
    let schema = Schema::create(
        &mut fbb,
        &SchemaArgs {
            endianness,
            fields: Some(fields),
            ..Default::default()
        },
    );
    let message = Message::create(
        &mut fbb,
        &MessageArgs {
            version,
            header_type: MessageHeader::Schema,
            header: Some(schema.as_union_value()),
            bodyLength: 0,
            custom_metadata: None,
        },
    );
    fbb.finish(message, None);
    fbb.finished_data().to_vec()
}

/// What a RecordBatch message claims.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchClaims {
    pub version: MetadataVersion,
    /// The batch's row count.
    pub length: i64,
    /// (length, null count) of each column.
    pub nodes: Vec<(i64, i64)>,
    /// (offset, length) of each buffer: validity, then values, per column.
    pub buffers: Vec<(i64, i64)>,
    pub body_length: i64,
    pub compression: Option<CompressionType>,
}

/// A RecordBatch message's flatbuffer.
pub fn batch_message(claims: &BatchClaims) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    let nodes: Vec<FieldNode> = claims
        .nodes
        .iter()
        .map(|&(length, nulls)| FieldNode::new(length, nulls))
        .collect();
    let buffers: Vec<Buffer> = claims
        .buffers
        .iter()
        .map(|&(offset, length)| Buffer::new(offset, length))
        .collect();
    let nodes = fbb.create_vector(&nodes);
    let buffers = fbb.create_vector(&buffers);
    let compression = claims.compression.map(|codec| {
        BodyCompression::create(
            &mut fbb,
            &BodyCompressionArgs {
                codec,
                method: BodyCompressionMethod::BUFFER,
            },
        )
    });
    let batch = RecordBatch::create(
        &mut fbb,
        &RecordBatchArgs {
            length: claims.length,
            nodes: Some(nodes),
            buffers: Some(buffers),
            compression,
            variadicBufferCounts: None,
        },
    );
    let message = Message::create(
        &mut fbb,
        &MessageArgs {
            version: claims.version,
            header_type: MessageHeader::RecordBatch,
            header: Some(batch.as_union_value()),
            bodyLength: claims.body_length,
            custom_metadata: None,
        },
    );
    fbb.finish(message, None);
    fbb.finished_data().to_vec()
}

/// Appends a message as a stream frames it: continuation marker, metadata
/// length, the metadata padded so the body starts 8-aligned, the body.
pub fn frame(out: &mut Vec<u8>, metadata: &[u8], body: &[u8]) {
    let padded = metadata.len().div_ceil(8) * 8;
    out.extend_from_slice(&[0xFF; 4]);
    out.extend_from_slice(&(padded as i32).to_le_bytes());
    out.extend_from_slice(metadata);
    out.resize(out.len() + padded - metadata.len(), 0);
    out.extend_from_slice(body);
}

/// A record batch of points the way arrow writes one: per column an empty
/// validity buffer and the values padded to 8 bytes, in the given column
/// order. Returns the claims (version V5) and the body.
pub fn batch_of(points: &[Point], columns: &[(&str, Kind)]) -> (BatchClaims, Vec<u8>) {
    let rows = points.len() as i64;
    let mut body = Vec::new();
    let mut buffers = Vec::new();
    for &(_, kind) in columns {
        buffers.push((body.len() as i64, 0));
        let start = body.len();
        for point in points {
            match kind {
                Kind::TimestampMs => body.extend_from_slice(&point.utc_ms.to_le_bytes()),
                Kind::UInt32 => body.extend_from_slice(&point.flags.to_le_bytes()),
                Kind::Float64 => body.extend_from_slice(&point.value.to_bits().to_le_bytes()),
            }
        }
        buffers.push((start as i64, (body.len() - start) as i64));
        body.resize(body.len().div_ceil(8) * 8, 0);
    }
    let claims = BatchClaims {
        version: MetadataVersion::V5,
        length: rows,
        nodes: vec![(rows, 0); columns.len()],
        buffers,
        body_length: body.len() as i64,
        compression: None,
    };
    (claims, body)
}

/// A whole stream: the canonical schema, one batch per slice of points,
/// the end-of-stream marker if asked.
pub fn stream(batches: &[&[Point]], eos: bool) -> Vec<u8> {
    let mut out = Vec::new();
    frame(
        &mut out,
        &schema_message(MetadataVersion::V5, Endianness::Little, &COLUMNS),
        &[],
    );
    for points in batches {
        let (claims, body) = batch_of(points, &COLUMNS);
        frame(&mut out, &batch_message(&claims), &body);
    }
    if eos {
        out.extend_from_slice(&EOS);
    }
    out
}

/// The canonical schema message, framed: the start of every crafted stream.
pub fn schema_frame() -> Vec<u8> {
    let mut out = Vec::new();
    frame(
        &mut out,
        &schema_message(MetadataVersion::V5, Endianness::Little, &COLUMNS),
        &[],
    );
    out
}

/// The canonical schema, then one batch with the given claims and body,
/// then the end-of-stream marker.
pub fn stream_with(claims: &BatchClaims, body: &[u8]) -> Vec<u8> {
    let mut out = schema_frame();
    frame(&mut out, &batch_message(claims), body);
    out.extend_from_slice(&EOS);
    out
}

/// Three points with distinct values in every field.
pub fn three_points() -> Vec<Point> {
    vec![
        Point::new(1_711_843_200_000, 0, 1.5),
        Point::new(1_711_846_800_000, 0x0200_0000, -0.0),
        Point::new(1_711_850_400_000, 0x0400_0000, f64::NAN),
    ]
}

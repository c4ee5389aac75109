//! The payload decoder against streams that claim what they should not:
//! each case is one that arrow's own stream reader panicked on, or one that
//! pyarrow (26) refuses or reads differently while the decoder accepted it.
//! pyarrow's verdict is noted with each case; the streams are crafted
//! field by field (see `support`).

mod support;

use arrow_ipc::{CompressionType, Endianness, MetadataVersion};
use mesh_timeseries::arrow_ipc::decode;
use mesh_timeseries::{PayloadError, Point};
use support::*;

/// The bits of each field, so NaNs compare.
fn bits(points: &[Point]) -> Vec<(i64, u32, u64)> {
    points
        .iter()
        .map(|p| (p.utc_ms, p.flags, p.value.to_bits()))
        .collect()
}

fn refusal(bytes: &[u8]) -> String {
    match decode(bytes) {
        Ok(points) => panic!("decoded {} points instead of refusing", points.len()),
        Err(error) => error.to_string(),
    }
}

/// The claims and body of the canonical three-point batch.
fn three() -> (BatchClaims, Vec<u8>) {
    batch_of(&three_points(), &COLUMNS)
}

/// Where the batch message starts in a `stream_with` stream.
fn batch_at() -> usize {
    schema_frame().len()
}

const MALFORMED: &str = "the time series data is not a valid Arrow IPC stream: ";

#[test]
fn the_crafted_stream_is_valid() {
    // The baseline every case below changes one claim of; pyarrow reads it.
    let (claims, body) = three();
    assert_eq!(
        bits(&decode(&stream_with(&claims, &body)).unwrap()),
        bits(&three_points())
    );
}

#[test]
fn buffers_reaching_past_the_body_are_refused_without_a_panic() {
    // Arrow's stream reader panicked here ("the offset of the new Buffer
    // cannot exceed the existing length"); pyarrow: "File too short".
    let (claims, body) = three();
    let mut huge = claims.clone();
    huge.buffers[5].1 = 1 << 31;
    assert_eq!(
        refusal(&stream_with(&huge, &body)),
        format!(
            "{MALFORMED}the record batch at byte {} claims bytes 40..2147483688 of its body \
             for its buffer 5 (values of column `value`), but the body has 64 bytes",
            batch_at()
        )
    );
    // Every buffer, and offsets as well as lengths, up to the largest an i64
    // allows (where offset + length overflows).
    for index in 0..6 {
        for (offset, length) in [
            (0, 1 << 31),
            (1 << 31, 0),
            (1 << 31, 8),
            (64, 8),
            (0, 65),
            (i64::MAX - 7, 16),
            (0, i64::MAX),
        ] {
            let mut claims = claims.clone();
            claims.buffers[index] = (offset, length);
            let message = refusal(&stream_with(&claims, &body));
            assert!(
                message.starts_with(MALFORMED) && message.contains("but the body has 64 bytes"),
                "buffer {index} at {offset} of {length}: {message}"
            );
        }
    }
}

#[test]
fn claimed_sizes_larger_than_the_payload_allocate_nothing() {
    // Row counts and lengths that would need gigabytes are refused for what
    // the body actually holds, before anything is reserved for them.
    let (claims, body) = three();
    for rows in [1 << 31, 1 << 40, i64::MAX] {
        let mut claims = claims.clone();
        claims.length = rows;
        claims.nodes = vec![(rows, 0); 3];
        let message = refusal(&stream_with(&claims, &body));
        assert!(
            message.starts_with(&format!(
                "{MALFORMED}the record batch at byte {} has {rows} rows, but buffer 1 \
                 (values of column `utc_time`) holds only 24 bytes",
                batch_at()
            )),
            "{message}"
        );
    }
    // A body or metadata longer than the payload.
    let mut long_body = claims.clone();
    long_body.body_length = 1 << 31;
    assert_eq!(
        refusal(&stream_with(&long_body, &body)),
        format!(
            "{MALFORMED}at byte {}, a message claims a body of 2147483648 bytes, but 72 remain",
            batch_at()
        )
    );
    let mut bytes = schema_frame();
    bytes.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3]);
    assert_eq!(
        refusal(&bytes),
        format!(
            "{MALFORMED}at byte {}, a message claims 2147483647 bytes of metadata, but 3 remain",
            batch_at()
        )
    );
}

#[test]
fn metadata_that_expands_far_beyond_its_size_is_refused() {
    // A schema of about a kilobyte whose `utc_time` is a struct with two
    // children that are the same field, itself a struct with two children
    // that are the same field, and so on: 2^17 fields when expanded, which
    // the flatbuffer verifier's default limits (a million tables) let arrow
    // convert into as many `Field`s. Its type would be refused only then.
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let empty = fbb.create_vector::<flatbuffers::WIPOffset<arrow_ipc::Field>>(&[]);
    let int = arrow_ipc::Int::create(
        &mut fbb,
        &arrow_ipc::IntArgs {
            bitWidth: 32,
            is_signed: false,
        },
    );
    let name = fbb.create_string("x");
    let mut field = arrow_ipc::Field::create(
        &mut fbb,
        &arrow_ipc::FieldArgs {
            name: Some(name),
            type_type: arrow_ipc::Type::Int,
            type_: Some(int.as_union_value()),
            children: Some(empty),
            ..Default::default()
        },
    );
    for _ in 0..17 {
        let children = fbb.create_vector(&[field, field]);
        let struct_ = arrow_ipc::Struct_::create(&mut fbb, &arrow_ipc::Struct_Args {});
        let name = fbb.create_string("utc_time");
        field = arrow_ipc::Field::create(
            &mut fbb,
            &arrow_ipc::FieldArgs {
                name: Some(name),
                type_type: arrow_ipc::Type::Struct_,
                type_: Some(struct_.as_union_value()),
                children: Some(children),
                ..Default::default()
            },
        );
    }
    let fields = fbb.create_vector(&[field]);
    let schema = arrow_ipc::Schema::create(
        &mut fbb,
        &arrow_ipc::SchemaArgs {
            fields: Some(fields),
            ..Default::default()
        },
    );
    let message = arrow_ipc::Message::create(
        &mut fbb,
        &arrow_ipc::MessageArgs {
            version: MetadataVersion::V5,
            header_type: arrow_ipc::MessageHeader::Schema,
            header: Some(schema.as_union_value()),
            ..Default::default()
        },
    );
    fbb.finish(message, None);
    let metadata = fbb.finished_data();
    assert!(metadata.len() < 2048, "{}", metadata.len());
    let mut bytes = Vec::new();
    frame(&mut bytes, metadata, &[]);
    let message = refusal(&bytes);
    assert!(
        message.starts_with(&format!(
            "{MALFORMED}at byte 0, the message's metadata is not a valid Arrow message: "
        )),
        "{message}"
    );
}

#[test]
fn a_schema_arrow_cannot_convert_is_refused_as_such() {
    // A field without a type: the flatbuffer verifies, arrow's conversion
    // refuses it.
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let name = fbb.create_string("utc_time");
    let field = arrow_ipc::Field::create(
        &mut fbb,
        &arrow_ipc::FieldArgs {
            name: Some(name),
            type_type: arrow_ipc::Type::NONE,
            ..Default::default()
        },
    );
    let fields = fbb.create_vector(&[field]);
    let schema = arrow_ipc::Schema::create(
        &mut fbb,
        &arrow_ipc::SchemaArgs {
            fields: Some(fields),
            ..Default::default()
        },
    );
    let message = arrow_ipc::Message::create(
        &mut fbb,
        &arrow_ipc::MessageArgs {
            version: MetadataVersion::V5,
            header_type: arrow_ipc::MessageHeader::Schema,
            header: Some(schema.as_union_value()),
            ..Default::default()
        },
    );
    fbb.finish(message, None);
    let mut bytes = Vec::new();
    frame(&mut bytes, fbb.finished_data(), &[]);
    assert_eq!(
        refusal(&bytes),
        format!("{MALFORMED}its schema cannot be read: Parser error: Type NONE not supported")
    );
}

#[test]
fn a_stream_cut_inside_its_end_of_stream_marker_is_refused() {
    // pyarrow: "Corrupted metadata length" / "Corrupted message". The
    // decoder took 1 to 3 bytes of the marker for the end of the stream.
    let whole = stream(&[&three_points()], false);
    for marker in [EOS.as_slice(), &[0, 0, 0, 0]] {
        for cut in 1..marker.len() {
            let mut bytes = whole.clone();
            bytes.extend_from_slice(&marker[..cut]);
            let message = refusal(&bytes);
            let expected = if cut < 4 {
                format!("it ends {cut} byte(s) into a message's length prefix")
            } else {
                format!(
                    "it ends {} byte(s) into the 4-byte length that follows a continuation marker",
                    cut - 4
                )
            };
            assert_eq!(
                message,
                format!(
                    "{MALFORMED}at byte {}, {expected} (an end-of-stream marker cut short?)",
                    whole.len()
                )
            );
        }
    }
}

#[test]
fn metadata_versions_other_than_v4_and_v5_are_refused() {
    // pyarrow: "Old metadata version not supported", "Unsupported future
    // MetadataVersion". The decoder read them all.
    let (claims, body) = three();
    for (version, said) in [
        (MetadataVersion::V1, "V1, which predates Arrow 0.8"),
        (MetadataVersion::V2, "V2, which predates Arrow 0.8"),
        (MetadataVersion::V3, "V3, which predates Arrow 0.8"),
        (MetadataVersion(5), "5 (unknown)"),
        (MetadataVersion(i16::MAX), "32767 (unknown)"),
        (MetadataVersion(-1), "-1 (unknown)"),
    ] {
        let expected = |at: usize| {
            format!(
                "{MALFORMED}at byte {at}, a message has Arrow metadata version {said}; \
                 only V4 and V5 are supported"
            )
        };
        let mut bytes = Vec::new();
        frame(
            &mut bytes,
            &schema_message(version, Endianness::Little, &COLUMNS),
            &[],
        );
        frame(&mut bytes, &batch_message(&claims), &body);
        assert_eq!(refusal(&bytes), expected(0));

        let mut old = claims.clone();
        old.version = version;
        assert_eq!(refusal(&stream_with(&old, &body)), expected(batch_at()));
    }
    for version in [MetadataVersion::V4, MetadataVersion::V5] {
        let mut bytes = Vec::new();
        frame(
            &mut bytes,
            &schema_message(version, Endianness::Little, &COLUMNS),
            &[],
        );
        let mut claims = claims.clone();
        claims.version = version;
        frame(&mut bytes, &batch_message(&claims), &body);
        assert_eq!(bits(&decode(&bytes).unwrap()), bits(&three_points()));
    }
}

#[test]
fn unaligned_buffers_are_refused() {
    // pyarrow: "Buffer 6 did not start on 8-byte aligned offset: 44". The
    // decoder read the values from there.
    let (mut claims, mut body) = three();
    let (offset, length) = claims.buffers[5];
    let values = body[offset as usize..(offset + length) as usize].to_vec();
    body.extend_from_slice(&[0; 8]);
    let shifted = offset as usize + 4;
    body[shifted..shifted + values.len()].copy_from_slice(&values);
    claims.buffers[5].0 = shifted as i64;
    claims.body_length = body.len() as i64;
    assert_eq!(
        refusal(&stream_with(&claims, &body)),
        format!(
            "{MALFORMED}the record batch at byte {} places its buffer 5 (values of column \
             `value`) at offset 44, which is not a multiple of 8 as Arrow requires",
            batch_at()
        )
    );
}

#[test]
fn negative_counts_lengths_and_offsets_are_refused() {
    // pyarrow read a null count of -1 as "all null"; arrow's reader took it
    // for none, and panicked on negative buffer offsets and lengths.
    let (claims, body) = three();
    let at = batch_at();
    // One claim changed, and the refusal it gets.
    type Case = (fn(&mut BatchClaims), String);
    let cases: Vec<Case> = vec![
        (
            |c| c.nodes[2].1 = -1,
            format!("the record batch at byte {at} claims -1 null(s) in the 3 rows of column `value`"),
        ),
        (
            |c| c.nodes[0].1 = i64::MIN,
            format!(
                "the record batch at byte {at} claims {} null(s) in the 3 rows of column `utc_time`",
                i64::MIN
            ),
        ),
        (
            |c| c.nodes[1].0 = -1,
            format!("the record batch at byte {at} has 3 rows, but its column `flags` claims -1"),
        ),
        (
            |c| {
                c.length = -1;
                c.nodes = vec![(-1, 0); 3];
            },
            format!("the record batch at byte {at} claims -1 rows"),
        ),
        (
            |c| c.buffers[5].1 = -8,
            format!(
                "the record batch at byte {at} claims offset 40 and length -8 for its buffer 5 \
                 (values of column `value`); neither may be negative"
            ),
        ),
        (
            |c| c.buffers[2].0 = -8,
            format!(
                "the record batch at byte {at} claims offset -8 and length 0 for its buffer 2 \
                 (validity of column `flags`); neither may be negative"
            ),
        ),
    ];
    for (change, expected) in cases {
        let mut claims = claims.clone();
        change(&mut claims);
        assert_eq!(
            refusal(&stream_with(&claims, &body)),
            format!("{MALFORMED}{expected}")
        );
    }
    let mut negative_body = claims.clone();
    negative_body.body_length = -8;
    assert_eq!(
        refusal(&stream_with(&negative_body, &body)),
        format!("{MALFORMED}at byte {at}, a message claims a body of -8 bytes, but 72 remain")
    );
}

#[test]
fn row_counts_of_batch_and_columns_must_agree() {
    // pyarrow: "Array length did not match record batch length".
    let (claims, body) = three();
    for (batch_rows, column_rows) in [(3, 2), (3, 4), (2, 3)] {
        let mut claims = claims.clone();
        claims.length = batch_rows;
        claims.nodes[2].0 = column_rows;
        let message = refusal(&stream_with(&claims, &body));
        let name = if batch_rows == 2 { "utc_time" } else { "value" };
        let claimed = if batch_rows == 2 { 3 } else { column_rows };
        assert_eq!(
            message,
            format!(
                "{MALFORMED}the record batch at byte {} has {batch_rows} rows, but its column \
                 `{name}` claims {claimed}",
                batch_at()
            )
        );
    }
    // A values buffer too short for the rows (pyarrow reads past it).
    let mut short = claims.clone();
    short.buffers[5].1 = 16;
    assert_eq!(
        refusal(&stream_with(&short, &body)),
        format!(
            "{MALFORMED}the record batch at byte {} has 3 rows, but buffer 5 (values of column \
             `value`) holds only 16 bytes, room for 2 values of 8 bytes",
            batch_at()
        )
    );
}

#[test]
fn nodes_and_buffers_must_be_one_and_two_a_column() {
    let (claims, body) = three();
    let mut extra = claims.clone();
    extra.nodes.push((3, 0));
    assert!(refusal(&stream_with(&extra, &body))
        .ends_with("has 4 field nodes; its 3 columns need exactly 3"));
    let mut extra = claims.clone();
    extra.buffers.push((0, 0));
    assert!(refusal(&stream_with(&extra, &body))
        .ends_with("has 7 buffers; its 3 columns need exactly 6"));
    let mut missing = claims.clone();
    missing.buffers.pop();
    assert!(refusal(&stream_with(&missing, &body))
        .ends_with("has 5 buffers; its 3 columns need exactly 6"));
}

#[test]
fn null_counts_must_agree_with_the_validity_bitmap() {
    let (claims, body) = three();
    let at = batch_at();
    // A one-byte bitmap for `value` after the other buffers.
    let with_bitmap = |bitmap: u8, nulls: i64| {
        let mut claims = claims.clone();
        let mut body = body.clone();
        claims.buffers[4] = (body.len() as i64, 1);
        body.extend_from_slice(&[bitmap, 0, 0, 0, 0, 0, 0, 0]);
        claims.body_length = body.len() as i64;
        claims.nodes[2].1 = nulls;
        stream_with(&claims, &body)
    };
    // The one case that is a null: refused naming it, as before.
    assert!(refusal(&with_bitmap(0b011, 1))
        .starts_with("column `value` of the time series data holds a null at row 2;"));
    // No nulls claimed: the bitmap is not looked at (as pyarrow does).
    assert_eq!(
        bits(&decode(&with_bitmap(0, 0)).unwrap()),
        bits(&three_points())
    );
    // Claims the bitmap does not bear out (pyarrow reads them as it likes).
    assert_eq!(
        refusal(&with_bitmap(0b111, 1)),
        format!(
            "{MALFORMED}the record batch at byte {at} claims 1 null(s) in column `value`, \
             but its validity bitmap marks 0"
        )
    );
    assert_eq!(
        refusal(&with_bitmap(0, 1)),
        format!(
            "{MALFORMED}the record batch at byte {at} claims 1 null(s) in column `value`, \
             but its validity bitmap marks 3"
        )
    );
    assert_eq!(
        refusal(&with_bitmap(0, 4)),
        format!("{MALFORMED}the record batch at byte {at} claims 4 null(s) in the 3 rows of column `value`")
    );
    let mut no_bitmap = claims.clone();
    no_bitmap.nodes[2].1 = 1;
    assert_eq!(
        refusal(&stream_with(&no_bitmap, &body)),
        format!(
            "{MALFORMED}the record batch at byte {at} claims 1 null(s) in column `value`, \
             but its validity bitmap has 0 bytes, fewer than the 1 its 3 rows need"
        )
    );
}

#[test]
fn big_endian_schemas_are_refused() {
    // pyarrow byte-swaps the values of a big-endian stream; the decoder
    // read them as little-endian.
    let (claims, body) = three();
    let mut bytes = Vec::new();
    frame(
        &mut bytes,
        &schema_message(MetadataVersion::V5, Endianness::Big, &COLUMNS),
        &[],
    );
    frame(&mut bytes, &batch_message(&claims), &body);
    bytes.extend_from_slice(&EOS);
    assert_eq!(
        refusal(&bytes),
        "the time series data uses an Arrow IPC feature that is not supported: its schema \
         declares big-endian byte order; only little-endian data is read"
    );
    assert!(matches!(decode(&bytes), Err(PayloadError::Unsupported(_))));
}

#[test]
fn compressed_bodies_are_refused() {
    let (mut claims, body) = three();
    for (codec, name) in [
        (CompressionType::LZ4_FRAME, "LZ4_FRAME"),
        (CompressionType::ZSTD, "ZSTD"),
    ] {
        claims.compression = Some(codec);
        assert_eq!(
            refusal(&stream_with(&claims, &body)),
            format!(
                "the time series data uses an Arrow IPC feature that is not supported: the \
                 record batch at byte {} is compressed ({name}); send it uncompressed",
                batch_at()
            )
        );
    }
}

#[test]
fn only_record_batches_follow_the_schema() {
    let (claims, body) = three();
    let mut bytes = schema_frame();
    frame(&mut bytes, &batch_message(&claims), &body);
    let second = bytes.len();
    bytes.extend_from_slice(&schema_frame());
    bytes.extend_from_slice(&EOS);
    assert_eq!(
        refusal(&bytes),
        format!(
            "{MALFORMED}the message at byte {second} is a second schema message \
             (a stream has one, at its start)"
        )
    );
    assert_eq!(
        refusal(&EOS),
        format!("{MALFORMED}it ends before its schema message: a stream starts with one")
    );
}

#[test]
fn what_the_python_sdk_sends_is_read() {
    // No bytes for an empty table; the writer never closed, so no
    // end-of-stream marker; a schema and no batch.
    assert!(decode(&[]).unwrap().is_empty());
    assert!(decode(&schema_frame()).unwrap().is_empty());
    let mut closed = schema_frame();
    closed.extend_from_slice(&EOS);
    assert!(decode(&closed).unwrap().is_empty());
    let points = three_points();
    for eos in [false, true] {
        let bytes = stream(&[&points[..1], &[], &points[1..]], eos);
        assert_eq!(bits(&decode(&bytes).unwrap()), bits(&points));
    }
}

#[test]
fn layouts_pyarrow_reads_are_read() {
    let points = three_points();
    let (claims, body) = three();
    // Writers before Arrow 0.15: no continuation markers, a 4-byte end.
    let mut legacy = Vec::new();
    for (metadata, body) in [
        (
            schema_message(MetadataVersion::V4, Endianness::Little, &COLUMNS),
            Vec::new(),
        ),
        (batch_message(&claims), body.clone()),
    ] {
        let mut framed = Vec::new();
        frame(&mut framed, &metadata, &body);
        legacy.extend_from_slice(&framed[4..]);
    }
    assert_eq!(bits(&decode(&legacy).unwrap()), bits(&points));
    legacy.extend_from_slice(&[0; 4]);
    assert_eq!(bits(&decode(&legacy).unwrap()), bits(&points));

    // Metadata not padded to 8 bytes, so the body starts unaligned.
    let metadata = schema_message(MetadataVersion::V5, Endianness::Little, &COLUMNS);
    let mut unpadded = vec![0xFF; 4];
    unpadded.extend_from_slice(&(metadata.len() as i32 + 1).to_le_bytes());
    unpadded.extend_from_slice(&metadata);
    unpadded.push(0);
    assert_eq!((unpadded.len() - 8) % 8, 5);
    frame(&mut unpadded, &batch_message(&claims), &body);
    assert_eq!(bits(&decode(&unpadded).unwrap()), bits(&points));

    // A body longer than its buffers need, and columns in another order.
    let mut slack = claims.clone();
    let mut long_body = body.clone();
    long_body.extend_from_slice(&[7; 16]);
    slack.body_length = long_body.len() as i64;
    assert_eq!(
        bits(&decode(&stream_with(&slack, &long_body)).unwrap()),
        bits(&points)
    );
    let order = [COLUMNS[2], COLUMNS[0], COLUMNS[1]];
    let (claims, body) = batch_of(&points, &order);
    let mut reordered = Vec::new();
    frame(
        &mut reordered,
        &schema_message(MetadataVersion::V5, Endianness::Little, &order),
        &[],
    );
    frame(&mut reordered, &batch_message(&claims), &body);
    assert_eq!(bits(&decode(&reordered).unwrap()), bits(&points));
}

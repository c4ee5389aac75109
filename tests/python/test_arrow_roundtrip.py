"""Time series points cross between pyarrow and our Rust Arrow codec bit for bit.

Python clients (the official SDK among them) build the `Timeseries.data`
payload with pyarrow; mesh-rs reads and writes it with arrow-rs through
mesh_timeseries::arrow_ipc. Both directions go through the real server and
its store:

- pyarrow writes, Rust reads: Python builds a table, serializes it with
  pyarrow.ipc.new_stream, writes and commits it over gRPC; the Rust program
  arrow_peer then reads the series and prints every point.
- Rust writes, pyarrow reads: arrow_peer writes and commits points given by
  Python; Python reads them with ReadTimeseries and pyarrow.ipc.open_stream
  and compares table and schema with what it expects.

Points are compared as text lines `UTC_MS FLAGS VALUE_BITS_HEX`, the format
arrow_peer speaks: the value as its IEEE-754 bit pattern, so that NaN
payloads, signalling NaNs and -0.0 count as what they are and `nan != nan`
does not get in the way. Values are moved into and out of pyarrow as raw
little-endian buffers for the same reason: no step converts them to Python
floats.
"""

import math
import random
import struct
import subprocess
import uuid

import pyarrow as pa
import pyarrow.ipc
import pytest
from google.protobuf import empty_pb2, timestamp_pb2

from volue.mesh.proto.model_definition.v1alpha import model_definition_pb2, model_definition_pb2_grpc
from volue.mesh.proto.session.v1alpha import session_pb2_grpc
from volue.mesh.proto.time_series.v1alpha import time_series_pb2, time_series_pb2_grpc
from volue.mesh.proto.type import resources_pb2

DEADLINE_S = 10
# arrow_peer connects, opens a session and makes a few calls, each with its
# own deadline; this only catches a peer that hangs altogether.
PEER_TIMEOUT_S = 120

# What the Mesh API says the payload is: utc_time timestamp[ms] without a
# time zone, flags uint32, value float64. pyarrow makes fields nullable
# unless told otherwise, and the server is documented to send them that way.
SCHEMA = pa.schema(
    [
        pa.field("utc_time", pa.timestamp("ms")),
        pa.field("flags", pa.uint32()),
        pa.field("value", pa.float64()),
    ]
)

NOT_OK = 0x40000000
MISSING = 0x04000000
SUSPECT = 0x02000000

# Bit patterns a float64 column must carry unchanged.
SPECIAL_VALUE_BITS = [
    0x7FF8000000000000,  # the usual quiet NaN
    0xFFF8000000000000,  # NaN with the sign bit set
    0x7FF8DEADBEEF0001,  # quiet NaN with a payload
    0x7FF0000000000001,  # signalling NaN
    0x8000000000000000,  # -0.0
    0x0000000000000000,  # +0.0
    0x7FF0000000000000,  # +inf
    0xFFF0000000000000,  # -inf
    0x0000000000000001,  # smallest subnormal
    0x800FFFFFFFFFFFFF,  # largest negative subnormal
    0x0010000000000000,  # smallest normal
    0x7FEFFFFFFFFFFFFF,  # largest finite
    0xFFEFFFFFFFFFFFFF,  # most negative finite
    0x4340000000000001,  # 2^53 + 2: beyond the integers a double holds exactly
]
# Flag words with bits no named flag uses, the top bit included.
SPECIAL_FLAGS = [
    NOT_OK | 0x2 | 0x80000000,
    0xFFFFFFFF,
    0x80000000,
    MISSING | SUSPECT,
    0x00000001,
    0,
]


def float_bits(value: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def sample_points(seed: int, rows: int):
    """Deterministic points as (utc_ms, flags, value_bits) tuples.

    Three kinds of values, because the store picks a value encoding per
    chunk of a few thousand points: a long run of decimal numbers (cents)
    with the special patterns sprinkled in as exceptions, then arbitrary
    64-bit patterns. Times start before 1970 (negative milliseconds) and
    rise by irregular steps, as a breakpoint series allows.
    """
    rng = random.Random(seed)
    points = []
    utc_ms = -2_208_988_800_000  # 1900-01-01
    for row in range(rows):
        utc_ms += rng.randint(1, 30 * 86_400_000)
        if row % 97 == 0:
            special = row // 97
            bits = SPECIAL_VALUE_BITS[special % len(SPECIAL_VALUE_BITS)]
            flags = SPECIAL_FLAGS[special % len(SPECIAL_FLAGS)]
        elif row < rows * 3 // 4:
            bits = float_bits(rng.randint(-10**8, 10**8) / 100)
            flags = rng.choice([0, 0, 0, NOT_OK, MISSING, SUSPECT])
        else:
            bits = rng.getrandbits(64)
            flags = rng.getrandbits(32)
        points.append((utc_ms, flags, bits))
    # The first and last rows are special as well: boundaries are where
    # codecs like to go wrong.
    points[-1] = (points[-1][0], SPECIAL_FLAGS[0], SPECIAL_VALUE_BITS[3])
    return points


def line(point) -> str:
    utc_ms, flags, bits = point
    return f"{utc_ms} {flags} {bits:016x}"


def to_table(points) -> pa.Table:
    times = [p[0] for p in points]
    flags = [p[1] for p in points]
    value_buffer = pa.py_buffer(struct.pack(f"<{len(points)}Q", *(p[2] for p in points)))
    values = pa.Array.from_buffers(pa.float64(), len(points), [None, value_buffer])
    return pa.Table.from_arrays(
        [pa.array(times, pa.timestamp("ms")), pa.array(flags, pa.uint32()), values],
        schema=SCHEMA,
    )


def from_table(table: pa.Table):
    """A table's rows as (utc_ms, flags, value_bits), values taken from the
    raw buffer (never as Python floats)."""
    for name in SCHEMA.names:
        assert table.column(name).null_count == 0, f"column {name} holds nulls"
    times = table.column("utc_time").combine_chunks().cast(pa.int64()).to_pylist()
    flags = table.column("flags").combine_chunks().to_pylist()
    values = table.column("value").combine_chunks()
    data = values.buffers()[1]
    raw = data.to_pybytes()[values.offset * 8:(values.offset + len(values)) * 8]
    bits = struct.unpack(f"<{len(values)}Q", raw)
    return list(zip(times, flags, bits))


def ipc_stream(table: pa.Table, max_chunksize: int) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        # Several record batches, as a client writing in pieces would send.
        writer.write_table(table, max_chunksize=max_chunksize)
    return sink.getvalue().to_pybytes()


def first_difference(got, expected) -> str:
    for row, (a, b) in enumerate(zip(got, expected)):
        if a != b:
            return f"row {row}: got {a!r}, expected {b!r}"
    return f"got {len(got)} rows, expected {len(expected)}"


def timestamp(utc_ms: int) -> timestamp_pb2.Timestamp:
    # Floor division keeps nanos within [0, 1e9) for times before 1970.
    return timestamp_pb2.Timestamp(seconds=utc_ms // 1000, nanos=(utc_ms % 1000) * 1_000_000)


def interval(start_ms: int, end_ms: int) -> resources_pb2.UtcInterval:
    return resources_pb2.UtcInterval(start_time=timestamp(start_ms), end_time=timestamp(end_ms))


def by_key(key: int) -> resources_pb2.MeshId:
    return resources_pb2.MeshId(timeseries_key=key)


class Client:
    def __init__(self, channel):
        self.sessions = session_pb2_grpc.SessionServiceStub(channel)
        self.series = time_series_pb2_grpc.TimeseriesServiceStub(channel)
        self.models = model_definition_pb2_grpc.ModelDefinitionServiceStub(channel)

    def start(self) -> resources_pb2.Guid:
        return self.sessions.StartSession(empty_pb2.Empty(), timeout=DEADLINE_S).session_id

    def end(self, session) -> None:
        self.sessions.EndSession(session, timeout=DEADLINE_S)

    def create_breakpoint_series(self, session, name: str) -> int:
        units = self.models.ListUnitsOfMeasurement(
            model_definition_pb2.ListUnitsOfMeasurementRequest(session_id=session),
            timeout=DEADLINE_S,
        ).units_of_measurement
        assert units, "the server lists no unit of measurement"
        resource = self.series.CreatePhysicalTimeseries(
            time_series_pb2.CreatePhysicalTimeseriesRequest(
                session_id=session,
                path="/arrow-roundtrip/",
                name=name,
                curve_type=resources_pb2.Curve(type=resources_pb2.Curve.STAIRCASESTARTOFSTEP),
                resolution=resources_pb2.Resolution(type=resources_pb2.Resolution.BREAKPOINT),
                unit_of_measurement_id=units[0].id,
            ),
            timeout=DEADLINE_S,
        )
        return resource.timeseries_key

    def write(self, session, key: int, start_ms: int, end_ms: int, data: bytes) -> None:
        self.series.WriteTimeseries(
            time_series_pb2.WriteTimeseriesRequest(
                session_id=session,
                timeseries=time_series_pb2.Timeseries(
                    id=by_key(key),
                    resolution=resources_pb2.Resolution(type=resources_pb2.Resolution.BREAKPOINT),
                    interval=interval(start_ms, end_ms),
                    data=data,
                ),
            ),
            timeout=DEADLINE_S,
        )

    def read_payload(self, session, key: int, start_ms: int, end_ms: int) -> bytes:
        response = self.series.ReadTimeseries(
            time_series_pb2.ReadTimeseriesRequest(
                session_id=session, timeseries_id=by_key(key), interval=interval(start_ms, end_ms)
            ),
            timeout=DEADLINE_S,
        )
        assert len(response.timeseries) == 1
        return response.timeseries[0].data


@pytest.fixture
def client(channel):
    return Client(channel)


def run_peer(arrow_peer: str, *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [arrow_peer, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=PEER_TIMEOUT_S,
    )
    assert done.returncode == 0, f"arrow_peer {' '.join(args)} failed: {done.stderr}"
    return done.stdout


def span(points):
    """The write interval that holds exactly these points."""
    return points[0][0], points[-1][0] + 1


def test_points_written_with_pyarrow_read_back_bit_exact_in_rust(client, mesh_server, arrow_peer):
    points = sample_points(seed=20240601, rows=6000)
    table = to_table(points)
    # Our own helpers are checked first, so that a failure below is about
    # the server or the Rust side, not about how the table was built.
    assert from_table(table) == points
    payload = ipc_stream(table, max_chunksize=1500)

    start_ms, end_ms = span(points)
    session = client.start()
    try:
        key = client.create_breakpoint_series(session, f"from-pyarrow-{uuid.uuid4()}")
        client.write(session, key, start_ms, end_ms, payload)
        client.sessions.Commit(session, timeout=DEADLINE_S)
    finally:
        client.end(session)

    # Rust reads in a session of its own, so it sees what was committed.
    printed = run_peer(arrow_peer, "dump", mesh_server.address, str(key), str(start_ms), str(end_ms))
    got = printed.splitlines()
    expected = [line(p) for p in points]
    assert got == expected, first_difference(got, expected)


def test_points_written_by_rust_read_back_with_pyarrow(client, mesh_server, arrow_peer):
    points = sample_points(seed=19700101, rows=5000)
    start_ms, end_ms = span(points)
    printed = run_peer(
        arrow_peer, "write", mesh_server.address, str(start_ms), str(end_ms),
        stdin="".join(line(p) + "\n" for p in points),
    )
    key_line = printed.strip()
    assert key_line.startswith("key "), printed
    key = int(key_line.split()[1])

    session = client.start()
    try:
        payload = client.read_payload(session, key, start_ms, end_ms)
    finally:
        client.end(session)
    reader = pa.ipc.open_stream(payload)
    received = reader.read_all()

    # The schema as pyarrow sees it: names, order, types, nullability, and
    # no metadata on the schema or its fields.
    assert received.schema.equals(SCHEMA, check_metadata=True), (
        f"server schema:\n{received.schema}\nexpected:\n{SCHEMA}"
    )
    for field, wanted in zip(received.schema, SCHEMA):
        assert (field.name, field.type, field.nullable) == (wanted.name, wanted.type, wanted.nullable)
        assert not field.metadata, f"field {field.name} carries metadata {field.metadata}"
    assert received.schema.field("utc_time").type.tz is None
    assert not received.schema.metadata

    expected = to_table(points)
    assert received.num_rows == expected.num_rows
    # Time and flags compare as Arrow data; values by their bits (Arrow's
    # equality treats NaN as unequal to itself).
    assert received.select(["utc_time", "flags"]).equals(expected.select(["utc_time", "flags"]))
    got = from_table(received)
    assert got == points, first_difference([line(p) for p in got], [line(p) for p in points])


def test_an_empty_read_is_a_stream_with_the_schema_and_no_rows(client):
    session = client.start()
    try:
        key = client.create_breakpoint_series(session, f"empty-{uuid.uuid4()}")
        payload = client.read_payload(session, key, 0, 86_400_000)
    finally:
        client.end(session)
    received = pa.ipc.open_stream(payload).read_all()
    assert received.num_rows == 0
    assert received.schema.equals(SCHEMA, check_metadata=True), str(received.schema)


def test_sample_points_cover_the_awkward_values():
    # Guards the fixture against an edit that would quietly drop the cases
    # this file exists for.
    points = sample_points(seed=1, rows=6000)
    bits = {p[2] for p in points}
    flags = {p[1] for p in points}
    assert set(SPECIAL_VALUE_BITS) <= bits
    assert set(SPECIAL_FLAGS) <= flags
    assert float_bits(-0.0) in bits and float_bits(math.inf) in bits
    assert any(p[0] < 0 for p in points) and any(p[0] > 0 for p in points)
    assert all(a[0] < b[0] for a, b in zip(points, points[1:]))

"""The official Python SDK's view of every call mesh-server serves.

docs/sdk-contract.md says, one line per call, what the official SDK
(`volue.mesh`) puts in each request and which reply fields it reads and
how. Each test here names the line it checks: it builds the request the
way the SDK builds it (down to the bytes of the Arrow payload, made with
pyarrow exactly as the SDK makes them) and reads the reply the way the SDK
reads it, so that a reply the real client would choke on fails here first.
The SDK itself cannot run in CI (it is not in the package registries).
"""

import re
import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pyarrow as pa
import pyarrow.ipc
import pytest
from google.protobuf import empty_pb2, field_mask_pb2, timestamp_pb2, wrappers_pb2

from guids import from_guid, not_found_message, to_guid
from volue.mesh.proto.auth.v1alpha import auth_pb2_grpc
from volue.mesh.proto.config.v1alpha import config_pb2_grpc
from volue.mesh.proto.model.v1alpha import model_pb2, model_pb2_grpc
from volue.mesh.proto.model_definition.v1alpha import model_definition_pb2, model_definition_pb2_grpc
from volue.mesh.proto.session.v1alpha import session_pb2_grpc
from volue.mesh.proto.time_series.v1alpha import time_series_pb2, time_series_pb2_grpc
from volue.mesh.proto.type import resources_pb2

DEADLINE_S = 10
MISSING = 0x04000000

# The SDK's own table schema: three nullable columns.
SDK_SCHEMA = pa.schema(
    [
        pa.field("utc_time", pa.timestamp("ms")),
        pa.field("flags", pa.uint32()),
        pa.field("value", pa.float64()),
    ]
)
# The SDK's tables of wire numbers; it raises on a number outside them.
SDK_RESOLUTIONS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
SDK_CURVES = {0, 1, 2, 3}
# How the SDK parses VersionInfo.version, and the oldest server it accepts.
SDK_VERSION_PATTERN = r"^(\d+)\.(\d+)\.(\d+)(\+\d+)?$"
SDK_MIN_SERVER = (2, 21, 0)

Curve = resources_pb2.Curve
Resolution = resources_pb2.Resolution


# --- requests as the SDK builds them ------------------------------------------


def sdk_timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    """A naive datetime is UTC to the SDK; an aware one is converted."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def sdk_interval(start: datetime, end: datetime) -> resources_pb2.UtcInterval:
    return resources_pb2.UtcInterval(start_time=sdk_timestamp(start), end_time=sdk_timestamp(end))


def sdk_table(points) -> pa.Table:
    """points: (naive UTC datetime, flags, value)."""
    return pa.Table.from_arrays(
        [
            pa.array([p[0] for p in points], type=pa.timestamp("ms")),
            pa.array([p[1] for p in points], type=pa.uint32()),
            pa.array([p[2] for p in points], type=pa.float64()),
        ],
        schema=SDK_SCHEMA,
    )


def sdk_payload(table: pa.Table) -> bytes:
    """What the SDK puts in Timeseries.data: a stream writer it never
    closes, so no end-of-stream marker, and for an empty table not even the
    schema (pyarrow writes the schema with the first batch)."""
    sink = pa.BufferOutputStream()
    writer = pa.ipc.RecordBatchStreamWriter(sink=sink, schema=table.schema)
    writer.write_table(table)
    return sink.getvalue().to_pybytes()


def sdk_write_request(session_id, key, table, start=None, end=None):
    """By key: only timeseries_key in the id, no resolution; the interval
    defaults to the first timestamp up to the last plus one second."""
    if start is None:
        start = table.column("utc_time")[0].as_py()
    if end is None:
        end = table.column("utc_time")[-1].as_py() + timedelta(seconds=1)
    return time_series_pb2.WriteTimeseriesRequest(
        session_id=to_guid(session_id),
        timeseries=time_series_pb2.Timeseries(
            id=resources_pb2.MeshId(timeseries_key=key),
            interval=sdk_interval(start, end),
            data=sdk_payload(table),
        ),
    )


# --- replies as the SDK reads them ----------------------------------------------


def sdk_read_reply(reply):
    """What the SDK makes of a ReadTimeseriesResponse: one series, its data
    opened as a stream (refused when empty), the interval only if present,
    and, when the id is there, its key, path and Guid converted to a UUID."""
    assert len(reply.timeseries) == 1, "the SDK wants exactly one series per read"
    series = reply.timeseries[0]
    assert series.data, "the SDK raises on empty data"
    table = pa.ipc.open_stream(series.data).read_all()
    assert table.schema == SDK_SCHEMA, table.schema
    start = end = None
    if series.HasField("interval"):
        start, end = series.interval.start_time, series.interval.end_time
    result = {"table": table, "start": start, "end": end}
    if series.HasField("id"):
        assert series.resolution.type in SDK_RESOLUTIONS, series.resolution
        result["resolution"] = series.resolution.type
        result["timskey"] = series.id.timeseries_key
        result["uuid"] = uuid.UUID(bytes_le=series.id.id.bytes_le)  # raises unless 16 bytes
        result["path"] = series.id.path
    return result


def sdk_resource(resource):
    """TimeseriesResource as the SDK reads it."""
    assert resource.curve_type.type in SDK_CURVES, resource.curve_type
    assert resource.resolution.type in SDK_RESOLUTIONS, resource.resolution
    return {
        "timeseries_key": resource.timeseries_key,
        "path": resource.path,
        "name": resource.name,
        "temporary": resource.temporary,
        "curve_type": resource.curve_type.type,
        "resolution": resource.resolution.type,
        "unit": resource.unit_of_measurement.name if resource.HasField("unit_of_measurement") else None,
        "virtual_timeseries_expression": resource.virtual_timeseries_expression,
        "time_zone": resource.time_zone if resource.time_zone else None,
    }


def sdk_error_matches(error: grpc.RpcError, phrase: str) -> bool:
    """The SDK's tests look for a phrase with re.search in the error text."""
    return re.search(re.escape(phrase), str(error)) is not None


# --- fixtures -------------------------------------------------------------------


class Mesh:
    def __init__(self, channel):
        self.sessions = session_pb2_grpc.SessionServiceStub(channel)
        self.config = config_pb2_grpc.ConfigurationServiceStub(channel)
        self.auth = auth_pb2_grpc.AuthenticationServiceStub(channel)
        self.units = model_definition_pb2_grpc.ModelDefinitionServiceStub(channel)
        self.series = time_series_pb2_grpc.TimeseriesServiceStub(channel)
        self.model = model_pb2_grpc.ModelServiceStub(channel)

    def open(self) -> uuid.UUID:
        return from_guid(self.sessions.StartSession(empty_pb2.Empty(), timeout=DEADLINE_S).session_id)

    def close(self, session_id: uuid.UUID):
        self.sessions.EndSession(to_guid(session_id), timeout=DEADLINE_S)

    def unit_id(self, session_id, name: str) -> resources_pb2.Guid:
        """The SDK's lookup: the first unit whose name matches exactly; its
        Guid message is sent back untouched."""
        reply = self.units.ListUnitsOfMeasurement(
            model_definition_pb2.ListUnitsOfMeasurementRequest(session_id=to_guid(session_id)),
            timeout=DEADLINE_S,
        )
        for unit in reply.units_of_measurement:
            if unit.name == name:
                return unit.id
        raise ValueError("invalid unit of measurement provided")

    def create(self, session_id, path, name, curve=Curve.STAIRCASESTARTOFSTEP,
               resolution=Resolution.HOUR, unit="m", time_zone=None):
        request = time_series_pb2.CreatePhysicalTimeseriesRequest(
            session_id=to_guid(session_id),
            path=path,
            name=name,
            curve_type=Curve(type=curve),
            resolution=Resolution(type=resolution),
            unit_of_measurement_id=self.unit_id(session_id, unit),
        )
        if time_zone is not None:
            request.time_zone = time_zone
        return self.series.CreatePhysicalTimeseries(request, timeout=DEADLINE_S)

    def read(self, session_id, key, start, end):
        return self.series.ReadTimeseries(
            time_series_pb2.ReadTimeseriesRequest(
                session_id=to_guid(session_id),
                timeseries_id=resources_pb2.MeshId(timeseries_key=key),
                interval=sdk_interval(start, end),
            ),
            timeout=DEADLINE_S,
        )

    def update(self, session_id, key, curve=None, unit=None, time_zone=None):
        """The SDK's update: the mask lists only what is given, in this order."""
        request = time_series_pb2.UpdateTimeseriesResourceRequest(
            session_id=to_guid(session_id), timeseries_resource_key=key
        )
        paths = []
        if curve is not None:
            paths.append("new_curve_type")
            request.new_curve_type.CopyFrom(Curve(type=curve))
        if unit is not None:
            paths.append("new_unit_of_measurement_id")
            request.new_unit_of_measurement_id.CopyFrom(self.unit_id(session_id, unit))
        if time_zone is not None:
            paths.append("new_time_zone")
            request.new_time_zone = time_zone
        request.field_mask.CopyFrom(field_mask_pb2.FieldMask(paths=paths))
        return self.series.UpdateTimeseriesResource(request, timeout=DEADLINE_S)


@pytest.fixture
def mesh(channel):
    return Mesh(channel)


@pytest.fixture
def session(mesh):
    session_id = mesh.open()
    yield session_id
    try:
        mesh.close(session_id)
    except grpc.RpcError:
        pass


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex}"


# --- SessionService ---------------------------------------------------------------


def test_start_session_id_is_a_16_byte_guid(mesh):
    reply = mesh.sessions.StartSession(empty_pb2.Empty(), timeout=DEADLINE_S)
    session_id = uuid.UUID(bytes_le=reply.session_id.bytes_le)
    mesh.close(session_id)


def test_end_session_twice_names_the_session(mesh):
    session_id = mesh.open()
    mesh.close(session_id)
    with pytest.raises(grpc.RpcError) as caught:
        mesh.close(session_id)
    assert caught.value.details() == not_found_message(session_id)


def test_commit_and_rollback_take_the_bare_guid(mesh, session):
    mesh.sessions.Commit(to_guid(session), timeout=DEADLINE_S)
    mesh.sessions.Rollback(to_guid(session), timeout=DEADLINE_S)


def test_extend_session_takes_the_bare_guid(mesh, session):
    # The SDK ignores the answer; it only has to succeed.
    mesh.sessions.ExtendSession(to_guid(session), timeout=DEADLINE_S)


# --- ConfigurationService, AuthenticationService -----------------------------------


def test_version_parses_and_is_recent_enough(mesh):
    for metadata in ([("x-volue-mesh-client-version", "1.17.0.dev0")], None):
        info = mesh.config.GetVersion(empty_pb2.Empty(), metadata=metadata, timeout=DEADLINE_S)
        parsed = re.match(SDK_VERSION_PATTERN, info.version)
        assert parsed, f"the SDK would skip its compatibility check for {info.version!r}"
        assert tuple(int(parsed.group(i)) for i in (1, 2, 3)) >= SDK_MIN_SERVER
        assert len(info.version) >= 7
        assert isinstance(info.name, str) and info.name


def test_user_identity_is_three_strings(mesh):
    identity = mesh.auth.GetUserIdentity(empty_pb2.Empty(), timeout=DEADLINE_S)
    for field in (identity.display_name, identity.source, identity.identifier):
        assert isinstance(field, str) and field


def test_revoke_access_token_takes_a_string_value(mesh):
    # A token this server does not know is no access to revoke: that succeeds.
    mesh.auth.RevokeAccessToken(wrappers_pb2.StringValue(value="unknown-token"), timeout=DEADLINE_S)


# --- ModelDefinitionService ---------------------------------------------------------


def test_units_are_found_by_exact_name_and_reused(mesh, session):
    # The SDK's tests use these two names.
    for name in ("m", "cm"):
        unit = mesh.unit_id(session, name)
        assert len(unit.bytes_le) == 16
    created = mesh.create(session, "/Contract/Units/", unique("u"), unit="cm")
    assert sdk_resource(created)["unit"] == "cm"
    with pytest.raises(ValueError):
        mesh.unit_id(session, "CM")


# --- TimeseriesService: resources ---------------------------------------------------


def test_create_answers_the_full_resource_path(mesh, session):
    name = unique("chimney")
    path = "/SimpleThermalTestResourceCatalog/"
    created = sdk_resource(mesh.create(session, path, name, resolution=Resolution.HOUR))
    assert created["path"] == "Resource" + path + name
    assert created["name"] == name
    assert created["temporary"] is False
    assert created["virtual_timeseries_expression"] == ""
    assert created["time_zone"] is None
    assert created["unit"] == "m"
    fetched = mesh.series.GetTimeseriesResource(
        time_series_pb2.GetTimeseriesResourceRequest(
            session_id=to_guid(session), timeseries_resource_key=created["timeseries_key"]
        ),
        timeout=DEADLINE_S,
    )
    assert sdk_resource(fetched) == created


def test_create_accepts_curve_unknown(mesh, session):
    created = sdk_resource(
        mesh.create(session, "/Contract/", unique("unknown"), curve=Curve.UNKNOWN,
                    resolution=Resolution.DAY, time_zone="Europe/Oslo")
    )
    assert created["curve_type"] == Curve.UNKNOWN
    assert created["time_zone"] == "Europe/Oslo"
    mesh.sessions.Commit(to_guid(session), timeout=DEADLINE_S)
    # Such a series reads as STAIRCASESTARTOFSTEP: one point per day.
    reply = sdk_read_reply(
        mesh.read(session, created["timeseries_key"], datetime(2024, 1, 1), datetime(2024, 1, 3))
    )
    assert reply["table"].num_rows == 2


def test_create_time_zone_errors_carry_the_reference_texts(mesh, session):
    with pytest.raises(grpc.RpcError) as caught:
        mesh.create(session, "/Contract/", unique("tz"), resolution=Resolution.DAY,
                    time_zone="Invalid/TimeZone")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert sdk_error_matches(caught.value, "invalid time zone specified: 'Invalid/TimeZone'")

    phrase = "time zone can only be set for a time series with a daily resolution or coarser"
    with pytest.raises(grpc.RpcError) as caught:
        mesh.create(session, "/Contract/", unique("tz"), resolution=Resolution.HOUR,
                    time_zone="Europe/Oslo")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert sdk_error_matches(caught.value, phrase)

    hourly = mesh.create(session, "/Contract/", unique("tz"), resolution=Resolution.HOUR)
    with pytest.raises(grpc.RpcError) as caught:
        mesh.update(session, hourly.timeseries_key, time_zone="Europe/London")
    assert sdk_error_matches(caught.value, phrase)


def test_a_huge_time_zone_is_refused_not_echoed_whole(mesh, session):
    # 100,000 characters: echoed whole, the message would break the client's
    # header limit and the user would see a transport error instead.
    with pytest.raises(grpc.RpcError) as caught:
        mesh.create(session, "/Contract/", unique("tz"), resolution=Resolution.DAY,
                    time_zone="Z" * 100_000)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details().startswith("invalid time zone specified: 'ZZZZ")
    assert len(caught.value.details()) < 1_000


def test_a_path_is_taken_once(mesh, session):
    name = unique("dup")
    first = mesh.create(session, "/Contract/Dup/", name)
    # Twice in one session.
    with pytest.raises(grpc.RpcError) as caught:
        mesh.create(session, "/Contract/Dup/", name)
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert f"Resource/Contract/Dup/{name}" in caught.value.details()
    mesh.sessions.Commit(to_guid(session), timeout=DEADLINE_S)

    # Once committed, in any other session.
    other = mesh.open()
    with pytest.raises(grpc.RpcError) as caught:
        mesh.create(other, "/Contract/Dup/", name)
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert str(first.timeseries_key) in caught.value.details()

    # Two sessions racing for one new path: the second commit is refused
    # whole, and its changes stay in its session.
    raced = unique("race")
    third = mesh.open()
    mesh.create(other, "/Contract/Dup/", raced)
    loser = mesh.create(third, "/Contract/Dup/", raced)
    mesh.sessions.Commit(to_guid(other), timeout=DEADLINE_S)
    with pytest.raises(grpc.RpcError) as caught:
        mesh.sessions.Commit(to_guid(third), timeout=DEADLINE_S)
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert f"Contract/Dup/{raced}" in caught.value.details()
    still_mine = mesh.series.GetTimeseriesResource(
        time_series_pb2.GetTimeseriesResourceRequest(
            session_id=to_guid(third), timeseries_resource_key=loser.timeseries_key
        ),
        timeout=DEADLINE_S,
    )
    assert still_mine.name == raced
    mesh.sessions.Rollback(to_guid(third), timeout=DEADLINE_S)
    mesh.sessions.Commit(to_guid(third), timeout=DEADLINE_S)
    mesh.close(other)
    mesh.close(third)


def test_update_sends_only_what_changes_and_an_empty_mask_is_fine(mesh, session):
    created = mesh.create(session, "/Contract/", unique("upd"), resolution=Resolution.DAY)
    key = created.timeseries_key

    def fetch():
        return sdk_resource(
            mesh.series.GetTimeseriesResource(
                time_series_pb2.GetTimeseriesResourceRequest(
                    session_id=to_guid(session), timeseries_resource_key=key
                ),
                timeout=DEADLINE_S,
            )
        )

    mesh.update(session, key, curve=Curve.PIECEWISELINEAR, unit="cm", time_zone="Europe/London")
    after = fetch()
    assert (after["curve_type"], after["unit"], after["time_zone"]) == (
        Curve.PIECEWISELINEAR, "cm", "Europe/London")
    # An empty string removes the zone.
    mesh.update(session, key, time_zone="")
    assert fetch()["time_zone"] is None
    # Nothing given: the SDK still sends the (empty) mask.
    before = fetch()
    mesh.update(session, key)
    assert fetch() == before


# --- TimeseriesService: points --------------------------------------------------------


def hourly_series(mesh, session, curve=Curve.STAIRCASESTARTOFSTEP):
    return mesh.create(session, "/Contract/Points/", unique("h"), curve=curve,
                       resolution=Resolution.HOUR).timeseries_key


def test_write_without_end_marker_is_read_back(mesh, session):
    key = hourly_series(mesh, session)
    t0 = datetime(2016, 1, 1, 1)
    points = [(t0 + timedelta(hours=i), 0, float(i)) for i in range(5)]
    table = sdk_table(points)
    payload = sdk_payload(table)
    assert not payload.endswith(b"\xff\xff\xff\xff\x00\x00\x00\x00"), "the SDK sends no end marker"
    mesh.series.WriteTimeseries(sdk_write_request(session, key, table), timeout=DEADLINE_S)
    reply = sdk_read_reply(mesh.read(session, key, t0, t0 + timedelta(hours=5)))
    assert reply["table"].equals(table)


def test_write_of_zero_bytes_deletes_the_interval(mesh, session):
    key = hourly_series(mesh, session)
    t0 = datetime(2016, 1, 1, 0)
    points = [(t0 + timedelta(hours=i), 0, float(i)) for i in range(6)]
    mesh.series.WriteTimeseries(sdk_write_request(session, key, sdk_table(points)), timeout=DEADLINE_S)
    mesh.sessions.Commit(to_guid(session), timeout=DEADLINE_S)

    empty = SDK_SCHEMA.empty_table()
    assert sdk_payload(empty) == b"", "the SDK sends an empty table as zero bytes"
    start, end = t0 + timedelta(hours=1), t0 + timedelta(hours=4)
    mesh.series.WriteTimeseries(sdk_write_request(session, key, empty, start, end), timeout=DEADLINE_S)
    table = sdk_read_reply(mesh.read(session, key, t0, t0 + timedelta(hours=6)))["table"]
    flags = table.column("flags").to_pylist()
    values = table.column("value").to_pylist()
    assert flags == [0, MISSING, MISSING, MISSING, 0, 0]
    assert values[0] == 0.0 and values[4:] == [4.0, 5.0]
    assert all(v != v for v in values[1:4]), "deleted steps read as NaN"


def test_write_unsorted_carries_the_reference_text(mesh, session):
    key = mesh.create(session, "/Contract/Points/", unique("b"),
                      resolution=Resolution.BREAKPOINT).timeseries_key
    t0 = datetime(2016, 1, 1)
    points = [(t0 + timedelta(hours=2), 0, 1.0), (t0, 0, 2.0)]
    request = sdk_write_request(session, key, sdk_table(points), t0, t0 + timedelta(days=1))
    with pytest.raises(grpc.RpcError) as caught:
        mesh.series.WriteTimeseries(request, timeout=DEADLINE_S)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert sdk_error_matches(caught.value, "timestamps in the segment are not increasing")


def test_read_by_key_answers_what_the_sdk_converts(mesh, session):
    key = hourly_series(mesh, session)
    t0 = datetime(2016, 1, 1, tzinfo=timezone.utc)
    # Aware datetimes in another zone mean the same instants.
    local = t0.astimezone(timezone(timedelta(hours=1)))
    reply = sdk_read_reply(mesh.read(session, key, local, local + timedelta(hours=3)))
    assert reply["timskey"] == key
    assert reply["uuid"] == uuid.UUID(int=0)
    assert reply["path"] == ""
    assert reply["resolution"] == Resolution.HOUR
    assert reply["start"] == sdk_timestamp(t0)
    assert reply["end"] == sdk_timestamp(t0 + timedelta(hours=3))
    assert reply["table"].num_rows == 3


def test_empty_breakpoint_read_has_no_interval(mesh, session):
    key = mesh.create(session, "/Contract/Points/", unique("e"),
                      resolution=Resolution.BREAKPOINT).timeseries_key
    reply = sdk_read_reply(mesh.read(session, key, datetime(2016, 1, 1), datetime(2025, 1, 1)))
    assert reply["table"].num_rows == 0
    assert reply["start"] is None and reply["end"] is None
    assert reply["resolution"] == Resolution.BREAKPOINT
    assert reply["timskey"] == key


def test_piecewise_linear_read_has_the_point_after_the_end(mesh, session):
    key = hourly_series(mesh, session, curve=Curve.PIECEWISELINEAR)
    t0 = datetime(2016, 1, 1)
    points = [(t0 + timedelta(hours=i), 0, float(i)) for i in range(24)]
    mesh.series.WriteTimeseries(sdk_write_request(session, key, sdk_table(points)), timeout=DEADLINE_S)
    reply = sdk_read_reply(mesh.read(session, key, t0 + timedelta(hours=1), t0 + timedelta(hours=9)))
    assert reply["table"].num_rows == 9
    assert reply["table"].column("value").to_pylist() == [float(i) for i in range(1, 10)]

    # Deleted up to and including the end's step (the SDK's own test does
    # this): still nine steps, the last one at the end, all missing.
    mesh.series.WriteTimeseries(
        sdk_write_request(session, key, SDK_SCHEMA.empty_table(),
                          t0 + timedelta(hours=1), t0 + timedelta(hours=10)),
        timeout=DEADLINE_S,
    )
    table = sdk_read_reply(
        mesh.read(session, key, t0 + timedelta(hours=1), t0 + timedelta(hours=9))
    )["table"]
    assert table.num_rows == 9
    assert table.column("utc_time").to_pylist()[-1] == t0 + timedelta(hours=9)
    assert table.column("flags").to_pylist() == [MISSING] * 9

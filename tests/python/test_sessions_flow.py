"""The session examples of the Mesh API, spoken by a stock grpcio client.

Everything here goes through stubs that grpc_tools.protoc generated from our
.proto files, against the real mesh-server binary. If a Python client built
this way can talk to the server, the wire format is plain gRPC/protobuf and
not something only our Rust code understands.
"""

import contextlib
import uuid

import grpc
import pytest
from google.protobuf import empty_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2

from volue.mesh.proto.availability.v1alpha import availability_pb2, availability_pb2_grpc
from volue.mesh.proto.config.v1alpha import config_pb2_grpc
from volue.mesh.proto.session.v1alpha import session_pb2_grpc
from volue.mesh.proto.time_series.v1alpha import time_series_pb2, time_series_pb2_grpc
from volue.mesh.proto.type import resources_pb2

from guids import from_guid, not_found_message, to_guid

# Every call gets a deadline, so that a misbehaving server fails the test
# instead of hanging it.
DEADLINE_S = 10

# The id the user's example tries to reconnect to; no server ever issues it.
FIXED_ID = uuid.UUID("123e4567-e89b-12d3-a456-556642440000")


@pytest.fixture
def sessions(channel):
    return session_pb2_grpc.SessionServiceStub(channel)


def start(sessions) -> uuid.UUID:
    response = sessions.StartSession(empty_pb2.Empty(), timeout=DEADLINE_S)
    assert response.HasField("session_id")
    return from_guid(response.session_id)


def end(sessions, session_id: uuid.UUID) -> None:
    sessions.EndSession(to_guid(session_id), timeout=DEADLINE_S)


@contextlib.contextmanager
def open_session(sessions):
    """A session for the duration of a `with` block, like the SDK's."""
    session_id = start(sessions)
    try:
        yield session_id
    finally:
        end(sessions, session_id)


def assert_not_found(sessions, session_id: uuid.UUID) -> None:
    # ExtendSession is the cheapest way to ask "is this session open?".
    with pytest.raises(grpc.RpcError) as caught:
        sessions.ExtendSession(to_guid(session_id), timeout=DEADLINE_S)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert caught.value.details() == not_found_message(session_id)


def test_start_then_end_removes_the_session(sessions):
    session_id = start(sessions)
    end(sessions, session_id)
    # Checked at once, far inside the timeout: the session is gone because
    # EndSession removed it, not because it expired.
    assert_not_found(sessions, session_id)


def test_scoped_session_commits_rolls_back_and_extends(sessions, mesh_server):
    with open_session(sessions) as session_id:
        guid = to_guid(session_id)
        sessions.Commit(guid, timeout=DEADLINE_S)
        sessions.Rollback(guid, timeout=DEADLINE_S)
        extended = sessions.ExtendSession(guid, timeout=DEADLINE_S)
        assert extended.expires_in.ToTimedelta() == mesh_server.session_timeout
    # Leaving the block ended it.
    assert_not_found(sessions, session_id)


def test_connecting_to_an_unknown_id_falls_back_to_a_new_session(sessions):
    # What the SDK does for connect_to_session: try the id, and when the
    # server does not know it, start a fresh session instead.
    assert_not_found(sessions, FIXED_ID)
    with open_session(sessions) as session_id:
        assert session_id != FIXED_ID
        sessions.ExtendSession(to_guid(session_id), timeout=DEADLINE_S)


def test_get_version_reports_the_api_level(channel):
    config = config_pb2_grpc.ConfigurationServiceStub(channel)
    # Clients announce their version in this header; the server must accept it.
    version = config.GetVersion(
        empty_pb2.Empty(),
        metadata=[("x-volue-mesh-client-version", "python-wire-test")],
        timeout=DEADLINE_S,
    )
    # The Mesh API level followed, with our own release as the build number.
    assert version.version == "2.21.0+100"
    assert "mesh-rs" in version.name


def test_a_guid_of_the_wrong_length_is_invalid(sessions):
    with pytest.raises(grpc.RpcError) as caught:
        sessions.ExtendSession(resources_pb2.Guid(bytes_le=b"\x01\x02\x03"), timeout=DEADLINE_S)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_calls_not_built_yet_are_unimplemented(channel):
    # Availability events are not served: the answer names the call, so a
    # missing feature is told from a typo.
    availability = availability_pb2_grpc.AvailabilityServiceStub(channel)
    with pytest.raises(grpc.RpcError) as caught:
        availability.CreateRevision(availability_pb2.CreateRevisionRequest(), timeout=DEADLINE_S)
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert caught.value.details() == (
        "mesh-server does not serve "
        "volue.mesh.grpc.availability.v1alpha.AvailabilityService/CreateRevision yet"
    )
    # Copying between objects is left out on purpose, and says why.
    time_series = time_series_pb2_grpc.TimeseriesServiceStub(channel)
    with pytest.raises(grpc.RpcError) as caught:
        time_series.CopyTimeseriesBetweenObjects(
            time_series_pb2.CopyTimeseriesBetweenObjectsRequest(), timeout=DEADLINE_S
        )
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert caught.value.details().startswith("CopyTimeseriesBetweenObjects is not served: ")


@pytest.mark.parametrize("service", ["", "volue.mesh.grpc.session.v1alpha.SessionService"])
def test_standard_health_check_answers_serving(channel, service):
    health = health_pb2_grpc.HealthStub(channel)
    response = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=DEADLINE_S)
    assert response.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize("version", ["v1", "v1alpha"])
def test_reflection_lists_the_session_service(channel, version):
    # The server offers both reflection versions; grpcio-reflection ships
    # stubs for v1alpha only, but the two share one message schema and differ
    # only in the package name, so the same messages serve both method paths.
    reflect = channel.stream_stream(
        f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    responses = list(reflect(iter([request]), timeout=DEADLINE_S))
    assert len(responses) == 1
    assert responses[0].HasField("list_services_response"), responses[0]
    names = {service.name for service in responses[0].list_services_response.service}
    assert "volue.mesh.grpc.session.v1alpha.SessionService" in names

"""A stock grpcio client reaching mesh-server over TLS with access tokens.

The fixtures (conftest.py) make a CA, a certificate for `localhost` and an
ES256 token signing key at test time and start the real binary with them.
These tests then show that what a Python user would naturally write, an
ssl_channel_credentials channel plus `authorization: Bearer <JWT>`, works,
and that the server refuses what it must refuse, saying why.
"""

import datetime
import uuid

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from google.protobuf import empty_pb2, wrappers_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from volue.mesh.proto.auth.v1alpha import auth_pb2_grpc
from volue.mesh.proto.session.v1alpha import session_pb2_grpc

from guids import from_guid, not_found_message, to_guid

# Every call gets a deadline, so that a misbehaving server fails the test
# instead of hanging it.
DEADLINE_S = 10
# For the call that is expected to fail its TLS handshake: short, yet far
# longer than a local handshake takes, so that the failure is reported as
# the handshake's (UNAVAILABLE) and not as the deadline's.
HANDSHAKE_DEADLINE_S = 5


def bearer(token: str):
    """Call metadata carrying `token` the way the server expects it."""
    return [("authorization", f"Bearer {token}")]


@pytest.fixture
def sessions(secure_channel):
    return session_pb2_grpc.SessionServiceStub(secure_channel)


@pytest.fixture
def auth(secure_channel):
    return auth_pb2_grpc.AuthenticationServiceStub(secure_channel)


def user_name() -> str:
    # A fresh subject per test: no test can see another's sessions by
    # accident, whatever order they run in.
    return f"user-{uuid.uuid4()}"


def expect_error(call, code: grpc.StatusCode) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    assert caught.value.code() == code, caught.value.details()
    return caught.value


@pytest.mark.parametrize(
    "claims, shown_as",
    [
        ({"name": "Ada Lovelace", "preferred_username": "ada"}, "Ada Lovelace"),
        ({"preferred_username": "ada"}, "ada"),
        ({}, None),  # neither: the subject itself is shown
    ],
    ids=["name", "preferred_username", "sub"],
)
def test_get_user_identity_reports_the_token_claims(secure_server, auth, claims, shown_as):
    subject = user_name()
    token = secure_server.token(subject, **claims)
    identity = auth.GetUserIdentity(empty_pb2.Empty(), metadata=bearer(token), timeout=DEADLINE_S)
    assert identity.display_name == (shown_as or subject)
    assert identity.source == secure_server.issuer
    assert identity.identifier == subject


def test_channel_wide_access_token_credentials_work_too(secure_server):
    # The other way grpcio offers: the token bound to the channel, added to
    # every call by grpc itself. It sends the same "Bearer <token>" header.
    subject = user_name()
    credentials = grpc.composite_channel_credentials(
        grpc.ssl_channel_credentials(root_certificates=secure_server.ca_pem),
        grpc.access_token_call_credentials(secure_server.token(subject)),
    )
    with grpc.secure_channel(secure_server.target, credentials) as channel:
        auth = auth_pb2_grpc.AuthenticationServiceStub(channel)
        identity = auth.GetUserIdentity(empty_pb2.Empty(), timeout=DEADLINE_S)
    assert identity.identifier == subject


def test_the_session_flow_works_over_tls_with_a_token(secure_server, sessions):
    token = bearer(secure_server.token(user_name()))
    started = sessions.StartSession(empty_pb2.Empty(), metadata=token, timeout=DEADLINE_S)
    session_id = from_guid(started.session_id)
    guid = to_guid(session_id)
    try:
        sessions.Commit(guid, metadata=token, timeout=DEADLINE_S)
        sessions.Rollback(guid, metadata=token, timeout=DEADLINE_S)
        extended = sessions.ExtendSession(guid, metadata=token, timeout=DEADLINE_S)
        assert extended.expires_in.ToTimedelta() == secure_server.session_timeout
    finally:
        sessions.EndSession(guid, metadata=token, timeout=DEADLINE_S)
    # Ended, not expired: checked at once, far inside the timeout.
    error = expect_error(
        lambda: sessions.ExtendSession(guid, metadata=token, timeout=DEADLINE_S),
        grpc.StatusCode.NOT_FOUND,
    )
    assert error.details() == not_found_message(session_id)


def test_a_call_without_a_token_is_unauthenticated(sessions):
    error = expect_error(
        lambda: sessions.StartSession(empty_pb2.Empty(), timeout=DEADLINE_S),
        grpc.StatusCode.UNAUTHENTICATED,
    )
    assert "missing access token" in error.details()


def test_an_expired_token_is_unauthenticated(secure_server, auth):
    # Expired an hour ago; with --auth-clock-skew 0s no leeway hides it.
    an_hour_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    token = secure_server.token(
        user_name(),
        valid_from=an_hour_ago - datetime.timedelta(minutes=10),
        valid_until=an_hour_ago,
    )
    error = expect_error(
        lambda: auth.GetUserIdentity(empty_pb2.Empty(), metadata=bearer(token), timeout=DEADLINE_S),
        grpc.StatusCode.UNAUTHENTICATED,
    )
    assert "expired" in error.details()


def test_a_token_signed_by_another_key_is_unauthenticated(secure_server, auth):
    # Same kid, same claims, but not the key the JWKS publishes: a forgery.
    forged = secure_server.token(user_name(), signing_key=ec.generate_private_key(ec.SECP256R1()))
    error = expect_error(
        lambda: auth.GetUserIdentity(empty_pb2.Empty(), metadata=bearer(forged), timeout=DEADLINE_S),
        grpc.StatusCode.UNAUTHENTICATED,
    )
    assert "signature is not valid" in error.details()


def test_another_user_cannot_touch_a_session(secure_server, sessions):
    alice = bearer(secure_server.token(user_name(), name="Alice"))
    bob = bearer(secure_server.token(user_name(), name="Bob"))
    started = sessions.StartSession(empty_pb2.Empty(), metadata=alice, timeout=DEADLINE_S)
    session_id = from_guid(started.session_id)
    guid = to_guid(session_id)
    try:
        # To Bob the session does not exist: the same answer as for an id
        # nobody holds, so he cannot even learn that it is someone's.
        for call in (sessions.Commit, sessions.EndSession):
            error = expect_error(
                lambda: call(guid, metadata=bob, timeout=DEADLINE_S),
                grpc.StatusCode.NOT_FOUND,
            )
            assert error.details() == not_found_message(session_id)
        # Bob's attempt to end it changed nothing for Alice.
        sessions.Commit(guid, metadata=alice, timeout=DEADLINE_S)
    finally:
        sessions.EndSession(guid, metadata=alice, timeout=DEADLINE_S)


@pytest.mark.parametrize("service", ["", "volue.mesh.grpc.session.v1alpha.SessionService"])
def test_the_health_check_needs_no_token(secure_channel, service):
    health = health_pb2_grpc.HealthStub(secure_channel)
    response = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=DEADLINE_S)
    assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_revoking_an_external_token_is_refused_and_an_unknown_one_succeeds(secure_server, auth):
    token = secure_server.token(user_name())
    # Only its issuer can end an external token: saying it was revoked while
    # it still works would mislead.
    error = expect_error(
        lambda: auth.RevokeAccessToken(
            wrappers_pb2.StringValue(value=token), metadata=bearer(token), timeout=DEADLINE_S
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert "external identity provider" in error.details()
    auth.GetUserIdentity(empty_pb2.Empty(), metadata=bearer(token), timeout=DEADLINE_S)
    # A token no verifier knows is no access to revoke: that succeeds.
    auth.RevokeAccessToken(
        wrappers_pb2.StringValue(value="not-a-token"), metadata=bearer(token), timeout=DEADLINE_S
    )


def test_the_kerberos_exchange_is_reachable_without_a_token(auth):
    # It hands out tokens, so it cannot require one: the call passes the
    # authenticator and reaches the service (which answers UNIMPLEMENTED
    # here, as this server is not configured for Kerberos),
    # while its neighbour in the same service still needs a token.
    error = expect_error(
        lambda: list(auth.AuthenticateKerberos(iter([wrappers_pb2.BytesValue(value=b"x")]), timeout=DEADLINE_S)),
        grpc.StatusCode.UNIMPLEMENTED,
    )
    assert "AuthenticateKerberos" in error.details()
    expect_error(
        lambda: auth.GetUserIdentity(empty_pb2.Empty(), timeout=DEADLINE_S),
        grpc.StatusCode.UNAUTHENTICATED,
    )


def test_a_client_trusting_another_ca_cannot_connect(secure_server, unrelated_ca_pem):
    credentials = grpc.ssl_channel_credentials(root_certificates=unrelated_ca_pem)
    with grpc.secure_channel(secure_server.target, credentials) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        # Not wait_for_ready: the failed handshake fails the call at once,
        # which is what a user with the wrong CA would see.
        error = expect_error(
            lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=HANDSHAKE_DEADLINE_S),
            grpc.StatusCode.UNAVAILABLE,
        )
    # grpc core names the failed certificate check in the details; asserted
    # loosely, as its wording is grpc's, not ours.
    assert "handshake" in error.details().lower() or "certificate" in error.details().lower(), (
        error.details()
    )

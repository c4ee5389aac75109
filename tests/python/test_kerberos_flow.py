"""Kerberos sign-in the way the official Python SDK does it on Linux.

A real MIT KDC (tests/kerberos/kdc.sh, realm MESH.TEST) and the server
binary with TLS and the service's keytab. The client side uses the
`kerberos` module (pykerberos) exactly as the SDK does: a context for the
service with no GSSAPI flags, the first token sent before anything is read,
tokens passed to and from the module in base64, and the exchange over once
an answer carries a bearer token.
"""

import base64
import os
import queue
import socket
import subprocess
import time
from pathlib import Path

import grpc
import kerberos
import pytest
from cryptography.hazmat.primitives import serialization
from google.protobuf import empty_pb2, wrappers_pb2

from conftest import STARTUP_TIMEOUT_S, _pem, _running_server, make_ca, make_server_certificate
from volue.mesh.proto.auth.v1alpha import auth_pb2_grpc

DEADLINE_S = 10
REALM = "MESH.TEST"
KDC_SCRIPT = Path(__file__).resolve().parents[1] / "kerberos" / "kdc.sh"
# pykerberos names the service in the GSSAPI host-based form, service@host.
SERVICE = "HTTP@localhost"
TOKEN_LIFETIME_S = 600


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def realm(tmp_path_factory):
    """The test realm with its KDC running, alice signed in (kinit), and this
    process's KRB5_CONFIG and KRB5CCNAME pointing at them."""
    directory = tmp_path_factory.mktemp("kerberos")
    port = _free_port()
    subprocess.run(["bash", str(KDC_SCRIPT), str(directory), str(port)], check=True)
    environment = {
        **os.environ,
        "PATH": os.environ.get("PATH", "") + ":/usr/sbin:/sbin",
        "KRB5_CONFIG": str(directory / "krb5.conf"),
        "KRB5_KDC_PROFILE": str(directory / "kdc.conf"),
    }
    # The KDC stops when its shell's stdin (our pipe) closes, also if
    # pytest itself dies.
    kdc = subprocess.Popen(
        ["sh", "-c", "krb5kdc -n & kdc=$!; read _; kill $kdc; wait $kdc"],
        stdin=subprocess.PIPE,
        env=environment,
    )
    try:
        ccache = f"FILE:{directory / 'alice.ccache'}"
        _await_port(port)
        subprocess.run(
            ["kinit", "-k", "-t", str(directory / "alice.keytab"), f"alice@{REALM}"],
            env={**environment, "KRB5CCNAME": ccache},
            check=True,
        )
        saved = {name: os.environ.get(name) for name in ("KRB5_CONFIG", "KRB5CCNAME")}
        os.environ["KRB5_CONFIG"] = environment["KRB5_CONFIG"]
        os.environ["KRB5CCNAME"] = ccache
        try:
            yield directory
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    finally:
        kdc.stdin.close()
        kdc.wait(timeout=DEADLINE_S)


def _await_port(port: int):
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"the KDC never listened on port {port}")
            time.sleep(0.02)


@pytest.fixture(scope="module")
def kerberos_server(realm, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("mesh-server-kerberos")
    ca = make_ca("mesh kerberos-test root")
    certificate, key = make_server_certificate(ca, "localhost")
    (workdir / "server.crt").write_bytes(_pem(certificate))
    (workdir / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    args = [
        "--tls-cert", str(workdir / "server.crt"),
        "--tls-key", str(workdir / "server.key"),
        "--kerberos-keytab", str(realm / "service.keytab"),
        "--kerberos-service-principal", f"HTTP/localhost@{REALM}",
        "--access-token-lifetime", f"{TOKEN_LIFETIME_S}s",
    ]
    # The server inherits KRB5_CONFIG from this process (set by `realm`).
    with _running_server(workdir, args) as address:
        port = address.rsplit(":", 1)[1]
        credentials = grpc.ssl_channel_credentials(root_certificates=ca.pem)
        with grpc.secure_channel(f"localhost:{port}", credentials) as channel:
            grpc.channel_ready_future(channel).result(timeout=STARTUP_TIMEOUT_S)
            yield auth_pb2_grpc.AuthenticationServiceStub(channel)


def sign_in(auth, service=SERVICE, user=None):
    """The official SDK's exchange; returns the answer with the bearer token."""
    _, context = kerberos.authGSSClientInit(service, user, gssflags=0)
    # What the server answered, for the request side to step with; None
    # once the bearer token has come.
    server_tokens = queue.Queue()

    def client_tokens():
        kerberos.authGSSClientStep(context, "")
        while True:
            yield wrappers_pb2.BytesValue(
                value=base64.b64decode(kerberos.authGSSClientResponse(context))
            )
            server_token = server_tokens.get()
            if server_token is None:
                return
            kerberos.authGSSClientStep(context, base64.b64encode(server_token).decode("ascii"))

    for answer in auth.AuthenticateKerberos(client_tokens(), timeout=DEADLINE_S):
        if answer.bearer_token:
            server_tokens.put(None)
            return answer
        server_tokens.put(answer.kerberos_token)
    pytest.fail("the exchange ended without a bearer token")


def bearer(token: str):
    return [("authorization", f"Bearer {token}")]


def test_the_official_exchange_signs_in_and_identifies_the_user(kerberos_server):
    answer = sign_in(kerberos_server)
    # The official SDK refuses a duration of 60 s or less.
    assert answer.token_duration.ToTimedelta().total_seconds() == TOKEN_LIFETIME_S
    identity = kerberos_server.GetUserIdentity(
        empty_pb2.Empty(), metadata=bearer(answer.bearer_token), timeout=DEADLINE_S
    )
    assert identity.identifier == f"alice@{REALM}"
    assert identity.display_name == f"alice@{REALM}"
    assert identity.source == "Kerberos"


def test_a_revoked_token_is_refused(kerberos_server):
    token = sign_in(kerberos_server).bearer_token
    kerberos_server.RevokeAccessToken(
        wrappers_pb2.StringValue(value=token), metadata=bearer(token), timeout=DEADLINE_S
    )
    with pytest.raises(grpc.RpcError) as caught:
        kerberos_server.GetUserIdentity(
            empty_pb2.Empty(), metadata=bearer(token), timeout=DEADLINE_S
        )
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert caught.value.details() == "access token has been revoked"


def test_a_ticket_for_another_service_is_refused(kerberos_server):
    # The KDC knows HTTP/other.localhost; the server has no key for it.
    with pytest.raises(grpc.RpcError) as caught:
        sign_in(kerberos_server, service="HTTP@other.localhost")
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert caught.value.details().startswith("Kerberos authentication failed: ")

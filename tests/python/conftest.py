"""Starts the real mesh-server binary for the Python wire tests.

run.sh generates the stubs into ./generated and passes the binary's path in
MESH_SERVER_BIN (and the Rust Arrow peer's in MESH_ARROW_PEER); running
pytest directly works the same way once they exist.

Two servers at most: `mesh_server` plain and open, `secure_server` with TLS
and access tokens, each started only if some selected test needs it.
"""

import base64
import contextlib
import datetime
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import grpc
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

GENERATED = Path(__file__).resolve().parent / "generated"
# The generated modules import each other as `volue.mesh.proto...`, so their
# root has to be importable before any test module loads them.
sys.path.insert(0, str(GENERATED))

# Short enough to be "short", long enough that the gaps between the calls
# of one test (well under a millisecond) never let a session expire.
SESSION_TIMEOUT = datetime.timedelta(seconds=2)
# Generous: a debug build on a busy machine may take a while to start.
STARTUP_TIMEOUT_S = 30
SHUTDOWN_TIMEOUT_S = 10


@dataclass
class MeshServer:
    address: str
    session_timeout: datetime.timedelta


def _first_line(stream, timeout_s):
    """The first line of `stream`, or None if none arrives in time.

    Read on a helper thread, because a plain readline() would block forever
    if the server hung before announcing its port.
    """
    lines = queue.Queue()
    threading.Thread(
        target=lambda: lines.put(stream.readline()), daemon=True
    ).start()
    try:
        return lines.get(timeout=timeout_s)
    except queue.Empty:
        return None


def _server_binary() -> str:
    binary = os.environ.get("MESH_SERVER_BIN")
    if not binary:
        pytest.fail("MESH_SERVER_BIN is not set; run the tests via tests/python/run.sh")
    if not GENERATED.is_dir():
        pytest.fail(f"{GENERATED} is missing; run the tests via tests/python/run.sh")
    return binary


@pytest.fixture(scope="session")
def arrow_peer() -> str:
    """Path of the Rust program on the other side of the Arrow test
    (crates/mesh-testkit/src/bin/arrow_peer.rs), built by run.sh."""
    peer = os.environ.get("MESH_ARROW_PEER")
    if not peer:
        pytest.fail("MESH_ARROW_PEER is not set; run the tests via tests/python/run.sh")
    if not os.access(peer, os.X_OK):
        pytest.fail(f"MESH_ARROW_PEER={peer} is not an executable file")
    return peer


@contextlib.contextmanager
def _running_server(workdir: Path, extra_args):
    """Runs mesh-server on a free loopback port; yields the address it announced.

    Shared by the plain and the TLS fixtures, so both start, announce and
    stop the server the same way.
    """
    binary = _server_binary()
    log_path = workdir / "server.log"
    timeout_s = int(SESSION_TIMEOUT.total_seconds())
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                binary,
                "--listen", "127.0.0.1:0",
                "--data-dir", str(workdir / "data"),
                "--session-timeout", f"{timeout_s}s",
                *extra_args,
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )

    def server_log():
        return log_path.read_text(errors="replace")

    try:
        line = _first_line(process.stdout, STARTUP_TIMEOUT_S)
        prefix = "listening on "
        if line is None:
            pytest.fail(
                f"mesh-server did not announce its address within {STARTUP_TIMEOUT_S}s; "
                f"its log:\n{server_log()}"
            )
        if not line.startswith(prefix):
            # An empty line means the server closed stdout, i.e. it exited.
            pytest.fail(
                f"mesh-server's first line was {line!r}, not {prefix!r}; "
                f"its log:\n{server_log()}"
            )
        yield line[len(prefix):].strip()
    finally:
        # SIGTERM asks for a graceful shutdown; only a server that ignores it
        # is killed, and then the test run fails.
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"mesh-server ignored SIGTERM; its log:\n{server_log()}")
        process.stdout.close()
        if code != 0:
            pytest.fail(f"mesh-server exited with {code}; its log:\n{server_log()}")


@pytest.fixture(scope="session")
def mesh_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("mesh-server")
    with _running_server(workdir, []) as address:
        yield MeshServer(address=address, session_timeout=SESSION_TIMEOUT)


@pytest.fixture(scope="session")
def channel(mesh_server):
    with grpc.insecure_channel(mesh_server.address) as channel:
        # The port is bound before it is announced, so this only waits for
        # the HTTP/2 handshake.
        grpc.channel_ready_future(channel).result(timeout=STARTUP_TIMEOUT_S)
        yield channel


# --- TLS and access tokens -------------------------------------------------
#
# The secure fixtures build their own small PKI and token issuer at test time:
# nothing secret is checked in, nothing expires in the repository, and the
# test shows exactly which files an operator has to hand the server.

ISSUER = "https://issuer.wire-test.invalid/"
AUDIENCE = "mesh-wire-test"
# Certificates are back-dated a little, so that a clock a few seconds
# behind on either side cannot make a fresh certificate "not yet valid".
CERT_BACKDATE = datetime.timedelta(minutes=5)
CERT_LIFETIME = datetime.timedelta(days=1)
# The server checks exp and nbf with no tolerance (--auth-clock-skew 0s),
# so tokens are made valid from a minute ago rather than from "now".
TOKEN_BACKDATE = datetime.timedelta(minutes=1)
TOKEN_LIFETIME = datetime.timedelta(minutes=10)


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _new_ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@dataclass
class CertificateAuthority:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @property
    def pem(self) -> bytes:
        return _pem(self.certificate)


def make_ca(common_name: str) -> CertificateAuthority:
    """A self-signed root that may sign server certificates only."""
    key = _new_ec_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = _utcnow()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CERT_BACKDATE)
        .not_valid_after(now + CERT_LIFETIME)
        # path_length=0: this root signs leaves directly, no intermediates.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False,
                key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertificateAuthority(key=key, certificate=certificate)


def make_server_certificate(ca: CertificateAuthority, host: str):
    """A leaf for `host`, signed by `ca`; returns (certificate, key).

    Clients match the host name against the subjectAltName only (the common
    name has not counted for years), so the SAN is what matters here.
    """
    key = _new_ec_key()
    now = _utcnow()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CERT_BACKDATE)
        .not_valid_after(now + CERT_LIFETIME)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
        .sign(ca.key, hashes.SHA256())
    )
    return certificate, key


def _base64url(data: bytes) -> str:
    # JOSE uses base64url without the '=' padding.
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def ec_p256_jwk(public_key: ec.EllipticCurvePublicKey, kid: str) -> dict:
    """The public half of an ES256 signing key as a JSON Web Key.

    x and y are the curve point's coordinates as fixed-width (32-byte)
    big-endian integers; a coordinate with leading zero bytes must keep them.
    """
    numbers = public_key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _base64url(numbers.x.to_bytes(32, "big")),
        "y": _base64url(numbers.y.to_bytes(32, "big")),
        "kid": kid,
        "alg": "ES256",
        "use": "sig",
    }


@dataclass
class SecureMeshServer:
    # "localhost:PORT": the name the certificate was issued for, not the
    # IP address the server announced.
    target: str
    ca_pem: bytes
    session_timeout: datetime.timedelta
    issuer: str
    audience: str
    signing_key: ec.EllipticCurvePrivateKey
    kid: str

    def token(self, subject: str, *, valid_from=None, valid_until=None,
              signing_key=None, **claims) -> str:
        """An ES256 access token for `subject` that the server accepts
        unless the arguments say otherwise (other dates, another key)."""
        now = _utcnow()
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now - TOKEN_BACKDATE,
            "nbf": valid_from or now - TOKEN_BACKDATE,
            "exp": valid_until or now + TOKEN_LIFETIME,
            **claims,
        }
        return jwt.encode(
            payload,
            signing_key or self.signing_key,
            algorithm="ES256",
            headers={"kid": self.kid},
        )


@pytest.fixture(scope="session")
def secure_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("mesh-server-tls")

    ca = make_ca("mesh wire-test root")
    certificate, certificate_key = make_server_certificate(ca, "localhost")
    cert_path = workdir / "server.crt"
    key_path = workdir / "server.key"
    cert_path.write_bytes(_pem(certificate))
    key_path.write_bytes(
        certificate_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    # The private keys live under pytest's temporary directory; make them
    # owner-only anyway, as an operator would.
    key_path.chmod(0o600)

    signing_key = _new_ec_key()
    kid = f"wire-test-{uuid.uuid4()}"
    jwks_path = workdir / "jwks.json"
    jwks_path.write_text(json.dumps({"keys": [ec_p256_jwk(signing_key.public_key(), kid)]}))

    args = [
        "--tls-cert", str(cert_path),
        "--tls-key", str(key_path),
        "--auth-jwks", str(jwks_path),
        "--auth-issuer", ISSUER,
        "--auth-audience", AUDIENCE,
        "--auth-clock-skew", "0s",
    ]
    with _running_server(workdir, args) as address:
        port = address.rsplit(":", 1)[1]
        yield SecureMeshServer(
            target=f"localhost:{port}",
            ca_pem=ca.pem,
            session_timeout=SESSION_TIMEOUT,
            issuer=ISSUER,
            audience=AUDIENCE,
            signing_key=signing_key,
            kid=kid,
        )


@pytest.fixture(scope="session")
def secure_channel(secure_server):
    """A TLS channel trusting the test CA, carrying no token of its own:
    each test passes the token of the user it plays as call metadata."""
    credentials = grpc.ssl_channel_credentials(root_certificates=secure_server.ca_pem)
    with grpc.secure_channel(secure_server.target, credentials) as channel:
        # Waits for the TLS handshake, which needs no token.
        grpc.channel_ready_future(channel).result(timeout=STARTUP_TIMEOUT_S)
        yield channel


@pytest.fixture
def unrelated_ca_pem():
    """A root that has signed nothing the server presents."""
    return make_ca("an unrelated root").pem

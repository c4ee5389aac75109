"""Starts the real mesh-server binary for the Python wire tests.

run.sh generates the stubs into ./generated and passes the binary's path in
MESH_SERVER_BIN; running pytest directly works the same way once both exist.
"""

import datetime
import os
import queue
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

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


@pytest.fixture(scope="session")
def mesh_server(tmp_path_factory):
    binary = os.environ.get("MESH_SERVER_BIN")
    if not binary:
        pytest.fail("MESH_SERVER_BIN is not set; run the tests via tests/python/run.sh")
    if not GENERATED.is_dir():
        pytest.fail(f"{GENERATED} is missing; run the tests via tests/python/run.sh")

    workdir = tmp_path_factory.mktemp("mesh-server")
    log_path = workdir / "server.log"
    timeout_s = int(SESSION_TIMEOUT.total_seconds())
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                binary,
                "--listen", "127.0.0.1:0",
                "--data-dir", str(workdir / "data"),
                "--session-timeout", f"{timeout_s}s",
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
        yield MeshServer(
            address=line[len(prefix):].strip(),
            session_timeout=SESSION_TIMEOUT,
        )
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
def channel(mesh_server):
    with grpc.insecure_channel(mesh_server.address) as channel:
        # The port is bound before it is announced, so this only waits for
        # the HTTP/2 handshake.
        grpc.channel_ready_future(channel).result(timeout=STARTUP_TIMEOUT_S)
        yield channel

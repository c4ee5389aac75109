#!/usr/bin/env bash
# Cross-language wire test: a Python grpcio client, with stubs generated from
# our own .proto files, talks to the real mesh-server binary. The Arrow test
# also needs the Rust peer program `arrow_peer` (crates/mesh-testkit), which
# this script builds.
#
# Usage: tests/python/run.sh PATH/TO/mesh-server
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 PATH/TO/mesh-server" >&2
    exit 2
fi
if [[ ! -x "$1" ]]; then
    echo "$0: $1 is not an executable file (build it with: cargo build -p mesh-server)" >&2
    exit 2
fi
# Resolve before changing directory, so that a relative path keeps working.
server_bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"

here="tests/python"
venv="target/pyenv"
python="$venv/bin/python"
# The venv remembers which requirements it was built from; a changed pin
# or a broken install rebuilds it rather than testing with stale packages.
stamp="$venv/requirements.installed"

venv_usable() {
    [[ -x "$python" ]] &&
        cmp -s "$here/requirements.txt" "$stamp" &&
        "$python" -c 'import grpc, grpc_tools.protoc, grpc_health.v1.health_pb2, grpc_reflection.v1alpha.reflection_pb2, google.protobuf, pytest, jwt, cryptography.x509, pyarrow.ipc, kerberos' 2>/dev/null
}

if ! venv_usable; then
    echo "creating the Python environment in $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$stamp"
fi

# Stubs are generated on every run from the protos in this checkout, so the
# test always exercises the current wire format. They are git-ignored.
generated="$here/generated"
rm -rf "$generated"
mkdir -p "$generated"
mapfile -t protos < <(find proto -name '*.proto' | sort)
"$python" -m grpc_tools.protoc \
    --proto_path=proto \
    --python_out="$generated" \
    --grpc_python_out="$generated" \
    "${protos[@]}"

# The Rust side of the Arrow test. Its path comes from cargo itself (the
# target directory may be configured elsewhere than ./target).
cargo build --locked --quiet -p mesh-testkit --bin arrow_peer
target_dir="$(cargo metadata --locked --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
arrow_peer="$target_dir/debug/arrow_peer"
if [[ ! -x "$arrow_peer" ]]; then
    echo "$0: cargo built arrow_peer, yet $arrow_peer is not there" >&2
    exit 2
fi

# No cache provider: pytest would otherwise leave .pytest_cache in the tree.
MESH_SERVER_BIN="$server_bin" MESH_ARROW_PEER="$arrow_peer" \
    "$python" -m pytest -p no:cacheprovider -v "$here"

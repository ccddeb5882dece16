#!/usr/bin/env bash
# Generates the Python modules of the sidecar's public gRPC API (proto/exosphere/sidecar/v1) into
# client/python/exosphere_sidecar/v1/ with protoc and grpc_python_plugin (Debian packages
# protobuf-compiler and protobuf-compiler-grpc). The generated files are not committed.
#
#   client/python/generate_protos.sh          generate (idempotent; safe to run concurrently)
#
# protoc writes `from exosphere.sidecar.v1 import ...` for imports between our protos; those are
# rewritten to relative imports so the modules live inside the exosphere_sidecar package.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
proto_dir=$root/proto
out_dir=$here/exosphere_sidecar/v1

plugin=$(command -v grpc_python_plugin || true)
if [[ -z $plugin ]]; then
  echo "generate_protos.sh: grpc_python_plugin not found (install protobuf-compiler-grpc)" >&2
  exit 1
fi
command -v protoc >/dev/null || {
  echo "generate_protos.sh: protoc not found (install protobuf-compiler)" >&2
  exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
protoc -I "$proto_dir" --plugin=protoc-gen-grpc_python="$plugin" \
  --python_out="$work" --grpc_python_out="$work" \
  "$proto_dir"/exosphere/sidecar/v1/*.proto

mkdir -p "$out_dir"
for generated in "$work"/exosphere/sidecar/v1/*.py; do
  name=$(basename "$generated")
  sed -e 's/^from exosphere\.sidecar\.v1 import /from . import /' "$generated" >"$work/$name.tmp"
  # Replaced atomically, so that a test importing the package never sees a half-written file.
  if ! cmp -s "$work/$name.tmp" "$out_dir/$name"; then
    mv -f "$work/$name.tmp" "$out_dir/$name.$$.tmp"
    mv -f "$out_dir/$name.$$.tmp" "$out_dir/$name"
  fi
done

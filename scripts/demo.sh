#!/usr/bin/env bash
# The product's main job, end to end on the embedded default: sets the machine up (idempotent),
# then starts the sidecar with its embedded devserver (--dev), an example C++ worker, and a
# client that upserts an example graph (a chain, a fan-out, a unite, a store value and a node
# using a secret), triggers a run and prints its final states and outputs.
#
#   scripts/demo.sh            set up, build and run the demo
#   scripts/demo.sh --no-setup run the demo on an existing build/
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ ${1:-} == --no-setup ]] || "$root/scripts/setup.sh"
bin=$root/build/bin

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

socket=$work/sidecar.sock
"$bin/exosphere-sidecar" --dev --listen "unix:$socket" --poll-interval-ms 200 \
  >"$work/sidecar.out" 2>"$work/sidecar.log" &
pids+=($!)
# The first stdout line says where the sidecar listens; wait for it (or for the sidecar to die).
for _ in $(seq 1 200); do
  grep -q '^listening on' "$work/sidecar.out" 2>/dev/null && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/sidecar.log" >&2; exit 1; }
  sleep 0.05
done
grep -q '^listening on' "$work/sidecar.out" || { echo "demo: the sidecar did not start" >&2; exit 1; }

export EXOSPHERE_SIDECAR_ADDRESS=unix:$socket
"$bin/exosphere-example-worker" 2>"$work/worker.log" &
pids+=($!)
if ! "$bin/exosphere-demo"; then
  echo "demo failed; sidecar log:" >&2
  tail -n 30 "$work/sidecar.log" >&2
  echo "worker log:" >&2
  tail -n 30 "$work/worker.log" >&2
  exit 1
fi

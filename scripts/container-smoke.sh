#!/usr/bin/env bash
# Builds the container images with podman/buildah (no Docker engine and no image registry needed)
# and runs a smoke test inside them, laid out like the Kubernetes pod of deploy/base.
#
#   scripts/container-smoke.sh             build the images (cached layers are reused), then test
#   scripts/container-smoke.sh --rev REV   ... from the committed tree of REV (e.g. HEAD) instead
#                                          of the working tree
#   scripts/container-smoke.sh --no-build  test the images built before
#
# The build context is a snapshot taken once at the start (git's tracked and untracked, not
# ignored files; the whole directory outside a git checkout), so that all images come from the
# same sources and the build stage is built once even while the tree is being edited.
#
# Images (tag = the project version of CMakeLists.txt):
#   localhost/exosphere-build            the Dockerfile's `build` stage (build + unit tests)
#   localhost/exosphere-sidecar          the Dockerfile: exosphere-sidecar and exosphere-devserver
#   localhost/exosphere-worker-cpp       deploy/images/worker-cpp.Dockerfile (from the build stage)
#   localhost/exosphere-worker-python    deploy/images/worker-python.Dockerfile
# The base image (EXOSPHERE_BASE_IMAGE, default localhost/debian:bookworm) is made when missing
# with debootstrap from Debian's mirror, without the downloaded packages debootstrap leaves in
# /var/cache/apt/archives (they would stay in every image built on it).
#
# The test: `exosphere-sidecar --version`; then, each in its own container and as the images'
# non-root user, exosphere-devserver (sidecar image), exosphere-sidecar against it (sidecar image,
# socket and journal on host directories standing in for the pod's emptyDirs, API key from a
# read-only file standing in for the Secret), the C++ example worker (worker-cpp image, socket
# directory mounted read-only), a run of the demo graph to completion (exosphere-demo, worker-cpp
# image) and one of the Python greeting example (worker-python image), the health endpoints
# (--probe inside the sidecar image, as its HEALTHCHECK does) and the slot gauges of /metrics;
# last, SIGTERM drains and stops worker, sidecar and devserver, each exiting 0.
#
# Containers cannot be started with a real runtime here (no cgroups), so every process runs
# through `buildah run --isolation chroot --network host`: host network, no PID namespace. That
# is enough for all of the above; it does not test cgroup limits or the Kubernetes probes.
# Run it as root: it installs podman, buildah and debootstrap with apt when they are missing, and
# chroot isolation needs root. Environment: EXOSPHERE_BUILD_JOBS=N limits the compile jobs of the
# image build; EXOSPHERE_BASE_IMAGE names another Debian bookworm base image.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=true
rev=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --no-build) build=false; shift ;;
    --rev) [[ $# -ge 2 ]] || { echo "container-smoke.sh: --rev needs a revision" >&2; exit 2; }
      rev=$2; shift 2 ;;
    -h|--help) sed -n '2,37p' "$0"; exit 0 ;;
    *) echo "container-smoke.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
start=$SECONDS
log() { echo "container-smoke: $* ($((SECONDS - start)) s)"; }
fail() { echo "container-smoke: FAILED: $*" >&2; exit 1; }

project_version() { sed -n 's/^project([^ ]* VERSION \([0-9][0-9.]*\).*/\1/p'; }
if [[ -n $rev ]]; then
  version=$(git -C "$root" show "$rev:CMakeLists.txt" | project_version)
else
  version=$(project_version <"$root/CMakeLists.txt")
fi
[[ -n $version ]] || fail "no project version in CMakeLists.txt"
base=${EXOSPHERE_BASE_IMAGE:-localhost/debian:bookworm}
build_image=localhost/exosphere-build:$version
sidecar_image=localhost/exosphere-sidecar:$version
worker_cpp_image=localhost/exosphere-worker-cpp:$version
worker_python_image=localhost/exosphere-worker-python:$version
user=10001

# --- tools ------------------------------------------------------------------------------------
[[ $(id -u) -eq 0 ]] || fail "run it as root (see --help)"
need() {
  command -v "$1" >/dev/null 2>&1 && return
  log "installing $2"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null
}
need podman podman
need buildah buildah
need debootstrap debootstrap
need pgrep procps

# Where containers may not set resource limits, podman's default ulimits make every RUN fail.
conf=$(mktemp)
printf '[containers]\ndefault_ulimits = []\n' >"$conf"
export CONTAINERS_CONF=$conf

work=$(mktemp -d)
containers=()
cleanup() {
  local job target
  # Background jobs of this shell that are still there (a failure happened): buildah does not
  # pass signals on, so stop the processes under it, then it.
  for job in $(jobs -p); do
    for target in $(descendants "$job"); do kill -KILL "$target" 2>/dev/null || true; done
    kill -KILL "$job" 2>/dev/null || true
    wait "$job" 2>/dev/null || true
  done
  for entry in "${containers[@]}"; do buildah rm "$entry" >/dev/null 2>&1 || true; done
  rm -rf "$work" "$conf"
}
trap cleanup EXIT

descendants() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

# The process a background `buildah run` started (the chroot helpers sit in between).
process_of() {
  local run_pid=$1 binary=$2 pid
  for pid in $(descendants "$run_pid"); do
    [[ $(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)") == "$binary" ]] && { echo "$pid"; return 0; }
  done
  return 1
}

# --- images -----------------------------------------------------------------------------------
if $build && ! podman image exists "$base"; then
  log "making $base with debootstrap (downloads about 40 MB from deb.debian.org)"
  rootfs=$work/rootfs
  mkdir "$rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
  # What `apt-get clean` removes, and the package lists: images built on this base would carry
  # them as dead weight in its layer even after deleting them.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - "$base" >/dev/null
  rm -rf "$rootfs"
fi
if $build; then
  # A base made by hand or with another tool may still hold debootstrap's apt caches.
  base_check=$(buildah from "$base")
  containers+=("$base_check")
  cached_bytes=$(buildah run --isolation chroot "$base_check" -- sh -c \
    'du -cb /var/cache/apt/archives/*.deb /var/cache/apt/*.bin /var/lib/apt/lists/*_* 2>/dev/null |
     tail -n 1 | cut -f 1')
  buildah rm "$base_check" >/dev/null
  if [[ ${cached_bytes:-0} -gt 1000000 ]]; then
    echo "container-smoke: WARNING: $base holds $((cached_bytes / 1000000)) MB of apt caches" \
      "(downloaded packages, package lists), which every image built on it carries too; to make" \
      "it again without them: podman rmi $base (or set EXOSPHERE_BASE_IMAGE to a new name) and" \
      "run this again" >&2
  fi
fi

# The build context: one snapshot for all images (see the top of this file).
context=$work/context
mkdir "$context"
if ! $build; then
  context=$root
elif [[ -n $rev ]]; then
  git -C "$root" archive --format=tar "$rev" | tar -C "$context" -x
  log "build context: the committed tree of $rev ($(git -C "$root" rev-parse --short "$rev"))"
elif git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # -z and tar --null: any file name. Deleted but not yet committed files are skipped.
  git -C "$root" ls-files -z --cached --others --exclude-standard |
    tar -C "$root" --null --files-from=- --ignore-failed-read -c 2>/dev/null |
    tar -C "$context" -x
  log "build context: the working tree (with uncommitted changes)"
else
  context=$root
fi

podman_build() {
  podman build --format docker --isolation=chroot --network=host --build-arg BASE="$base" \
    ${EXOSPHERE_BUILD_JOBS:+--build-arg BUILD_JOBS="$EXOSPHERE_BUILD_JOBS"} "$@" "$context"
}
if $build; then
  log "building $build_image (compiles and runs the unit tests; long the first time)"
  podman_build --target build -t "$build_image"
  log "building $sidecar_image"
  podman_build -t "$sidecar_image"
  log "building $worker_cpp_image"
  podman_build -f "$context/deploy/images/worker-cpp.Dockerfile" --build-arg BUILD_IMAGE="$build_image" \
    -t "$worker_cpp_image"
  log "building $worker_python_image"
  podman_build -f "$context/deploy/images/worker-python.Dockerfile" -t "$worker_python_image"
fi
for image in "$sidecar_image" "$worker_cpp_image" "$worker_python_image"; do
  podman image exists "$image" || fail "$image is missing (run without --no-build)"
done

# --- what the images declare ------------------------------------------------------------------
for image in "$sidecar_image" "$worker_cpp_image" "$worker_python_image"; do
  [[ $(podman image inspect --format '{{.Config.User}}' "$image") == "$user:$user" ]] ||
    fail "$image does not run as $user:$user"
done
[[ $(podman image inspect --format '{{json .Config.Entrypoint}}' "$sidecar_image") == '["/usr/local/bin/exosphere-sidecar"]' ]] ||
  fail "the entrypoint of $sidecar_image is not exosphere-sidecar"
healthcheck=$(podman image inspect --format '{{json .Config.Healthcheck}}' "$sidecar_image")
[[ $healthcheck == *'"CMD","/usr/local/bin/exosphere-sidecar","--probe=http://127.0.0.1:9090/livez"'* ]] ||
  fail "$sidecar_image has no HEALTHCHECK with --probe: $healthcheck"
log "images: user $user:$user, sidecar entrypoint, HEALTHCHECK $healthcheck"

new_container() {
  local name=$1 image=$2
  buildah from --name "smoke-$name-$$" "$image" >/dev/null
  containers+=("smoke-$name-$$")
}
new_container dev "$sidecar_image"
new_container sidecar "$sidecar_image"
new_container worker "$worker_cpp_image"
new_container python "$worker_python_image"

# run CONTAINER [buildah run options] -- COMMAND...: in the foreground, as the image's user.
run() {
  local container=$1 options=()
  shift
  while [[ $1 != -- ]]; do options+=("$1"); shift; done
  shift
  buildah run --isolation chroot --network host "${options[@]}" "smoke-$container-$$" -- "$@"
}
# start NAME CONTAINER [options] -- COMMAND...: in the background, output in $work/NAME.out/.err;
# run_pids[NAME] is the pid of its `buildah run`.
declare -A run_pids=()
start() {
  local name=$1; shift
  run "$@" >"$work/$name.out" 2>"$work/$name.err" &
  run_pids[$name]=$!
}
# wait_for NAME PATTERN SECONDS: until the process' stdout has a line matching PATTERN.
wait_for() {
  local name=$1 pattern=$2 seconds=$3 run_pid
  run_pid=${run_pids[$name]}
  for _ in $(seq 1 $((seconds * 10))); do
    grep -q -- "$pattern" "$work/$name.out" 2>/dev/null && return 0
    kill -0 "$run_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "--- $name stdout:" >&2; cat "$work/$name.out" >&2
  echo "--- $name stderr:" >&2; tail -n 40 "$work/$name.err" >&2
  fail "$name did not print '$pattern' within $seconds s"
}
# stop NAME BINARY SECONDS: SIGTERM to the process, which must exit 0 within SECONDS.
stop() {
  local name=$1 binary=$2 seconds=$3 run_pid pid status=0
  run_pid=${run_pids[$name]}
  pid=$(process_of "$run_pid" "$binary") || fail "$name ($binary) is not running"
  kill -TERM "$pid"
  for _ in $(seq 1 $((seconds * 10))); do
    kill -0 "$run_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$run_pid" 2>/dev/null && fail "$name did not stop within $seconds s of SIGTERM"
  wait "$run_pid" || status=$?
  [[ $status -eq 0 ]] || { tail -n 20 "$work/$name.err" >&2; fail "$name exited $status after SIGTERM"; }
}
probe() { run sidecar -- /usr/local/bin/exosphere-sidecar --probe="$1"; }

# --- the smoke test ---------------------------------------------------------------------------
got=$(run sidecar -- /usr/local/bin/exosphere-sidecar --version)
[[ $got == "exosphere-sidecar $version" ]] || fail "--version printed '$got'"
log "--version: $got"
# shellcheck disable=SC2016 # dpkg-query's format, not a shell expansion
dev_packages=$(run sidecar -- dpkg-query -W -f '${Package}\n' |
  grep -E -- '-dev$|^(gcc|g\+\+|cpp|binutils|make|cmake|ninja-build)(-[0-9]+)?$' || true)
[[ -z $dev_packages ]] || fail "the runtime image holds build packages: $dev_packages"
for container in sidecar worker python; do
  apt_leftovers=$(run "$container" -- sh -c 'ls -d /var/cache/apt/*.bin \
    /var/cache/apt/archives/*.deb /var/lib/apt/lists/*_Packages* 2>/dev/null; true')
  [[ -z $apt_leftovers ]] || fail "the $container image keeps apt's caches: $apt_leftovers"
done
megabytes() {
  local bytes
  bytes=$(podman image inspect --format '{{.Size}}' "$1" 2>/dev/null) || { echo "? MB"; return 0; }
  echo "$((bytes / 1000000)) MB"
}
log "no build packages, no apt caches; sizes: sidecar $(megabytes "$sidecar_image")," \
  "worker-cpp $(megabytes "$worker_cpp_image"), worker-python $(megabytes "$worker_python_image")" \
  "(base $(megabytes "$base"))"

# The pod's volumes: the socket and journal emptyDirs (group-writable, like fsGroup does) and the
# API key Secret (read-only, group-readable).
mkdir -p "$work/socket" "$work/journal" "$work/secret"
chown "$user:$user" "$work/socket" "$work/journal"
chmod 0770 "$work/socket" "$work/journal"
api_key=smoke-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
printf '%s' "$api_key" >"$work/secret/api-key"
chown "root:$user" "$work/secret/api-key"
chmod 0440 "$work/secret/api-key"

# (-e shows the key in this host's process list: it is a throwaway key of this test.)
start devserver dev -e STATE_MANAGER_SECRET="$api_key" -- \
  /usr/local/bin/exosphere-devserver --listen=127.0.0.1:0
wait_for devserver '^listening on http://' 30
devserver_url=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$work/devserver.out" | head -n 1)
log "devserver on $devserver_url"

start sidecar sidecar \
  -v "$work/socket:/run/exosphere" -v "$work/journal:/var/lib/exosphere/journal" \
  -v "$work/secret:/etc/exosphere/api-key:ro" -- \
  /usr/local/bin/exosphere-sidecar --state-manager-uri="$devserver_url" \
  --api-key-file=/etc/exosphere/api-key/api-key --listen=unix:/run/exosphere/sidecar.sock \
  --health-listen=127.0.0.1:0 --journal-dir=/var/lib/exosphere/journal \
  --drain-timeout-ms=5000 --poll-interval-ms=200 --log-format=json
wait_for sidecar '^health on http://' 30
health_url=$(sed -n 's/^health on \(http:[^ ]*\).*/\1/p' "$work/sidecar.out" | head -n 1)
log "sidecar health endpoints on $health_url"

probe "$health_url/livez" >/dev/null || fail "/livez did not answer 200"
# (An answer other than 200 makes buildah print "exit status 1": expected here, so not shown.)
if probe "$health_url/readyz" >/dev/null 2>&1; then
  fail "/readyz answered 200 with no worker connected"
fi
sidecar_pid=$(process_of "${run_pids[sidecar]}" exosphere-sidecar) || fail "no sidecar process"
[[ $(awk '/^Uid:/ { print $2 }' "/proc/$sidecar_pid/status") == "$user" ]] ||
  fail "the sidecar does not run as uid $user"
[[ $(stat -c '%u %a %F' "$work/socket/sidecar.sock") == "$user 660 socket" ]] ||
  fail "socket: $(stat -c '%u %a %F' "$work/socket/sidecar.sock") (expected uid $user, mode 660)"
log "/livez 200, /readyz not ready without a worker; sidecar runs as uid $user; socket mode 0660"

start worker worker -v "$work/socket:/run/exosphere:ro" -- \
  /usr/local/bin/exosphere-example-worker --namespace=smoke --register_timeout_s=60
wait_for worker '^worker registered' 60
for _ in $(seq 1 50); do probe "$health_url/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
probe "$health_url/readyz" >/dev/null || fail "/readyz did not answer 200 with a registered worker"
log "C++ worker registered through the read-only socket mount; /readyz 200"

# The C++ client's channel allows a connection attempt only 100 ms (its minimum reconnect
# backoff, which gRPC also takes as the connect timeout) and fails the first call when that is
# exceeded: on a loaded machine it is, before anything reaches the sidecar. That alone is retried
# (the graph upsert is idempotent), visibly; any other failure is not.
for attempt in 1 2 3; do
  demo_status=0
  run worker -v "$work/socket:/run/exosphere:ro" -- \
    /usr/local/bin/exosphere-demo --namespace=smoke --run_timeout_s=60 >"$work/demo.out" 2>&1 ||
    demo_status=$?
  [[ $demo_status -eq 0 ]] && break
  if [[ $attempt -eq 3 ]] || ! grep -q 'failed to connect to all addresses' "$work/demo.out"; then
    break
  fi
  log "demo attempt $attempt could not connect to the sidecar in time, again:" \
    "$(grep -m 1 'failed to connect' "$work/demo.out")"
done
[[ $demo_status -eq 0 ]] ||
  { cat "$work/demo.out" >&2; tail -n 30 "$work/sidecar.err" >&2; fail "the demo run did not succeed"; }
log "demo run succeeded: $(grep -c . "$work/demo.out") lines of final states"

greeting=$(run python -v "$work/socket:/run/exosphere:ro" -- \
  /usr/bin/python3 /opt/exosphere/examples/greeting.py Smoke 2>"$work/python.err") ||
  { cat "$work/python.err" >&2; fail "the Python greeting run did not succeed"; }
[[ $greeting == "Hello, Smoke!" ]] || fail "the Python greeting printed '$greeting'"
log "Python worker image: greeting run printed '$greeting'"

metrics=$(probe "$health_url/metrics") || fail "/metrics did not answer 200"
grep -Eq '^exosphere_sidecar_slots\{[^}]*namespace="smoke"[^}]*\} 4$' <<<"$metrics" ||
  { grep '^exosphere_sidecar_' <<<"$metrics" >&2; fail "/metrics: exosphere_sidecar_slots of namespace smoke is not 4"; }
grep -Eq '^exosphere_sidecar_busy_slots\{[^}]*namespace="smoke"[^}]*\} 0$' <<<"$metrics" ||
  { grep '^exosphere_sidecar_' <<<"$metrics" >&2; fail "/metrics: exosphere_sidecar_busy_slots of namespace smoke is not 0"; }
if grep -q -- "$api_key" "$work/sidecar.out" "$work/sidecar.err" "$work/devserver.err" - <<<"$metrics"; then
  fail "the API key appears in a log or in /metrics"
fi
log "/metrics: 4 slots, 0 busy in namespace smoke after the runs; the API key is in no log"

stop worker exosphere-example-worker 30
stop sidecar exosphere-sidecar 15
stop devserver exosphere-devserver 10
log "worker, sidecar and devserver stopped on SIGTERM with exit 0"
log "passed"

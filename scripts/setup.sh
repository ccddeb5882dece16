#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for this project and builds it. Idempotent: packages already
# present are not reinstalled and the build is incremental.
#
#   scripts/setup.sh                      install packages, configure and build into build/
#   scripts/setup.sh --sanitize address   ... an ASan+UBSan build into build-asan/
#   scripts/setup.sh --sanitize thread    ... a TSan build into build-tsan/
#   scripts/setup.sh --packages-only      only install packages
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sanitize=""
packages_only=false
while [[ $# -gt 0 ]]; do
  case $1 in
    --sanitize) sanitize=$2; shift 2 ;;
    --packages-only) packages_only=true; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

# Everything the build, the tests, the benchmarks and the demos need, from Debian's archive.
packages=(
  build-essential cmake ninja-build pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libcurl4-openssl-dev nlohmann-json3-dev libcpp-httplib-dev libsqlite3-dev
  libgtest-dev libgmock-dev clang-format clang-tidy
  python3 python3-grpcio python3-protobuf python3-pydantic python3-yaml
  curl procps openssl
)
# Node.js may come from elsewhere on the machine; Debian's is used only when there is none.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
# kubectl renders deploy/ in the manifest tests; Debian's (1.20) is enough when none is installed.
command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$package")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
$packages_only && exit 0

case $sanitize in
  "") build_dir=$root/build ;;
  address) build_dir=$root/build-asan ;;
  thread) build_dir=$root/build-tsan ;;
  *) echo "setup.sh: --sanitize must be address or thread" >&2; exit 2 ;;
esac

# The Python client's gRPC stubs are generated from proto/ (idempotent).
"$root/client/python/generate_protos.sh"

cmake -S "$root" -B "$build_dir" -G Ninja -DEXOSPHERE_SANITIZE="$sanitize" >/dev/null
cmake --build "$build_dir"

# The TypeScript client's dependencies come from the npm registry, pinned by the lockfile;
# reinstalled whenever the lockfile is newer than what is installed.
if [[ -f $root/client/typescript/package-lock.json ]]; then
  (
    cd "$root/client/typescript"
    [[ node_modules/.package-lock.json -nt package-lock.json ]] ||
      npm ci --no-audit --no-fund --loglevel=error
    npm run --silent build
  )
fi

#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for this project and builds it. Idempotent: packages already
# present are not reinstalled and the build is incremental (and ccache-backed across clones).
#
#   scripts/setup.sh                      packages, the Python stubs, the TypeScript client, and
#                                         the product into build/ (GCC, C++17, -O2 -g): binaries,
#                                         examples, benchmarks; no C++ tests
#   scripts/setup.sh --sanitize address   ... plus build-asan/: clang, C++20, ASan+UBSan, -O1,
#                                         -Wthread-safety -Werror, every C++ test, no benchmarks
#   scripts/setup.sh --sanitize thread    ... plus build-tsan/: the same with TSan
#   scripts/setup.sh --no-product         skip build/ (with --sanitize: only the sanitizer build)
#   scripts/setup.sh --no-deps            skip the packages, the Python stubs and the TypeScript
#                                         client (only the builds)
#   scripts/setup.sh --packages-only      only install packages
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sanitize=""
packages_only=false
product=true
deps=true
while [[ $# -gt 0 ]]; do
  case $1 in
    --sanitize) sanitize=$2; shift 2 ;;
    --packages-only) packages_only=true; shift ;;
    --no-product) product=false; shift ;;
    --no-deps) deps=false; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case $sanitize in
  ""|address|thread) ;;
  *) echo "setup.sh: --sanitize must be address or thread" >&2; exit 2 ;;
esac

# Everything the build, the tests, the benchmarks and the demos need, from Debian's archive.
# clang builds the sanitizer and fuzz builds (its -Wthread-safety checks the lock annotations);
# ccache keeps compiled objects between builds and clones.
packages=(
  build-essential cmake ninja-build pkg-config git ccache clang libclang-rt-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libcurl4-openssl-dev nlohmann-json3-dev libcpp-httplib-dev libsqlite3-dev
  libssl-dev  # OpenSSL: the devserver encrypts graph secrets with AES-256-GCM
  libgtest-dev libgmock-dev clang-format clang-tidy
  python3 python3-grpcio python3-protobuf python3-pydantic python3-yaml
  curl procps openssl
  libyaml-cpp-dev
  prometheus-cpp-dev  # the sidecar's metrics registry and text format (core library only)
)
# libyaml-cpp-dev: exospherectl reads graph definitions written in YAML (with line and column in
# its syntax errors); the YAML parser is the well-kept library, not hand-written.
# Node.js may come from elsewhere on the machine; Debian's is used only when there is none.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
# kubectl renders deploy/ in the manifest tests; Debian's (1.20) is enough when none is installed.
command -v kubectl >/dev/null 2>&1 || packages+=(kubernetes-client)

install_packages() {
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
}

prepare_clients() {
  # The Python client's gRPC stubs are generated from proto/ (idempotent).
  "$root/client/python/generate_protos.sh"
  # Its tests also run on pydantic 2, which Debian 12 lacks: a venv from an interpreter that has
  # it, with Debian's grpcio (the ctest fixture PythonClient.Pydantic2Env makes it too, and fails
  # with what to install when there is no such interpreter).
  "$root/client/python/make_pydantic2_env.sh" "$root/build/python-pydantic2" >/dev/null ||
    echo "setup: no pydantic 2 environment; the PythonClient.Pydantic2.* tests will fail" >&2
  # The TypeScript client's dependencies come from the npm registry, pinned by the lockfile;
  # reinstalled whenever the lockfile is newer than what is installed.
  (
    cd "$root/client/typescript"
    [[ node_modules/.package-lock.json -nt package-lock.json ]] ||
      npm ci --no-audit --no-fund --loglevel=error
    npm run --silent build
  )
}

if $deps || $packages_only; then install_packages; fi
$packages_only && exit 0
if $deps; then prepare_clients; fi

# ccache: objects are found again from another clone of the same code (paths are rewritten
# relative to the clone), and 5 GB holds the three builds several times over.
export CCACHE_BASEDIR=$root
export CCACHE_NOHASHDIR=1
# The test binaries reuse a precompiled header (tests/support/CMakeLists.txt); ccache caches the
# files that use one only with these.
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
command -v ccache >/dev/null && ccache --max-size=5G >/dev/null

if $product; then
  # The C++ tests run in the sanitizer build; a first configure leaves them out of build/, and
  # `cmake -B build -DEXOSPHERE_CPP_TESTS=ON` brings them back for good.
  product_args=()
  [[ -f $root/build/CMakeCache.txt ]] || product_args=(-DEXOSPHERE_CPP_TESTS=OFF)
  cmake -S "$root" -B "$root/build" -G Ninja "${product_args[@]}" >/dev/null
  cmake --build "$root/build"
fi
if [[ -n $sanitize ]]; then
  build_dir=$root/build-${sanitize/address/asan}
  build_dir=${build_dir/thread/tsan}
  cmake -S "$root" -B "$build_dir" -G Ninja -DEXOSPHERE_SANITIZE="$sanitize" \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_STANDARD=20 \
    -DEXOSPHERE_BUILD_BENCH=OFF -DEXOSPHERE_CPP_TESTS=ON >/dev/null
  cmake --build "$build_dir"
fi

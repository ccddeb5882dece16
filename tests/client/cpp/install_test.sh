#!/usr/bin/env bash
# Installs the exosphere-client component of a build tree into a temporary prefix, then builds
# and runs a small outside project that uses it through find_package(exosphere-client CONFIG).
#
#   install_test.sh BUILD_DIR SOURCE_DIR CONSUMER_DIR CXX_COMPILER [EXTRA_FLAGS]
set -euo pipefail

build_dir=$1
source_dir=$2
consumer_dir=$3
cxx=$4
extra_flags=${5:-}

work=$(mktemp -d "${TMPDIR:-/tmp}/exo-client-install-XXXXXX")
trap 'rm -rf "$work"' EXIT

run() {
  if ! "$@" >"$work/step.log" 2>&1; then
    cat "$work/step.log"
    echo "install_test: failed: $*" >&2
    exit 1
  fi
}

run cmake --install "$build_dir" --prefix "$work/prefix" --component exosphere-client

# A relocatable package names neither the build tree nor the source tree (in its text files;
# the static libraries keep their debug info).
if grep -rlI -e "$build_dir" -e "$source_dir" "$work/prefix" >"$work/leaks.txt"; then
  echo "install_test: installed files refer to the build or source tree:" >&2
  cat "$work/leaks.txt" >&2
  exit 1
fi

run cmake -S "$consumer_dir" -B "$work/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS="$extra_flags" \
  -DCMAKE_EXE_LINKER_FLAGS="$extra_flags"
# One job: the consumer is a single file, and the machine's cores are shared.
run cmake --build "$work/build" -j 1
"$work/build/exosphere_client_consumer"

#!/usr/bin/env bash
# Runs every test once, as CI does, and prints how long each phase took:
#   setup          packages, the Python stubs and the TypeScript client (scripts/setup.sh)
#   format         the clang-format check
#   build-asan     build-asan/: clang, ASan+UBSan, -Wthread-safety -Werror, every C++ test
#   test-asan      the C++ tests (ctest label cpp: unit, end to end, reliability, fuzz replay)
#   build-plain    build/: the product with GCC, as shipped, and the benchmarks
#   test-plain     the Python, TypeScript, manifest and benchmark-smoke tests (the other labels),
#                  which gain nothing from ASan, against the product binaries
#   lint           clang-tidy on the production code, skipping files unchanged since a clean run
#                  (the local cache, or scripts/tidy-clean.txt in a fresh clone);
#                  it starts after build-asan and runs alongside the later phases at low
#                  priority, so its line (lint-rest) is only the time left after them
#
#   scripts/test.sh                        all of the above
#   scripts/test.sh --no-lint              without clang-tidy
#   scripts/test.sh --sanitize thread      only the C++ tests, under TSan (build-tsan/)
# Extra arguments after -- go to ctest, e.g. scripts/test.sh --no-lint -- -R Devserver
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sanitize=address
lint=true
while [[ $# -gt 0 ]]; do
  case $1 in
    --sanitize) sanitize=$2; shift 2 ;;
    --no-lint) lint=false; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case $sanitize in
  address) sanitizer_build=$root/build-asan ;;
  thread) sanitizer_build=$root/build-tsan; lint=false ;;
  *) echo "test.sh: --sanitize must be address or thread" >&2; exit 2 ;;
esac

start=$SECONDS
timings=()
# phase NAME COMMAND...: runs COMMAND and prints how long it took.
phase() {
  local name=$1 began=$SECONDS
  shift
  echo "test.sh: ${name}..."
  "$@"
  timings+=("$(printf '%-12s %5d s' "$name" $((SECONDS - began)))")
  echo "test.sh: ${name} done in $((SECONDS - began)) s"
}

# ccache_totals: "hits misses" of the compiler cache so far ("0 0" without ccache).
ccache_totals() {
  command -v ccache >/dev/null || { echo "0 0"; return; }
  ccache --print-stats | awk '$1 ~ /_cache_hit$/ { h += $2 } $1 == "cache_miss" { m += $2 }
    END { print h + 0, m + 0 }'
}
# build_phase NAME COMMAND...: a phase that compiles; also says how much came from ccache.
build_phase() {
  local before after
  read -ra before < <(ccache_totals)
  phase "$@"
  read -ra after < <(ccache_totals)
  echo "test.sh: ${1}: $((after[0] - before[0])) objects from ccache, $((after[1] - before[1])) compiled"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 suppressions=$root/tests/tsan.supp}
ctest_args=(--output-on-failure -j "$(nproc)" "$@")

phase setup "$root/scripts/setup.sh" --no-product
phase format "$root/scripts/check-format.sh"
build_phase "build-${sanitize/address/asan}" "$root/scripts/setup.sh" --no-deps --no-product \
  --sanitize "$sanitize"
# clang-tidy needs only the sanitizer build's compile commands and dependencies, so it runs from
# here on alongside the other phases, at the lowest CPU priority: the test phases leave about a
# third of the cores idle while they wait on processes and sockets, and it fills that time.
if $lint; then
  lint_log=$(mktemp)
  lint_began=$SECONDS
  nice -n 19 "$root/scripts/tidy.py" --build-dir "$sanitizer_build" >"$lint_log" 2>&1 &
  lint_pid=$!
  trap 'kill "$lint_pid" 2>/dev/null || true; rm -f "$lint_log"' EXIT
fi
phase "test-${sanitize/address/asan}" ctest --test-dir "$sanitizer_build" -L '^cpp$' "${ctest_args[@]}"
if [[ $sanitize == address ]]; then
  build_phase build-plain "$root/scripts/setup.sh" --no-deps
  phase test-plain ctest --test-dir "$root/build" -LE '^cpp$' "${ctest_args[@]}"
fi
if $lint; then
  # wait_for_lint: the rest of the lint, after the phases it ran alongside.
  wait_for_lint() {
    local status=0
    wait "$lint_pid" || status=$?
    cat "$lint_log"
    echo "test.sh: lint took $((SECONDS - lint_began)) s in all, alongside the phases above"
    return "$status"
  }
  phase lint-rest wait_for_lint
fi

echo "test.sh: all green; time per phase:"
printf '  %s\n' "${timings[@]}"
printf '  %-12s %5d s\n' total $((SECONDS - start))

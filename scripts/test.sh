#!/usr/bin/env bash
# Builds (incrementally), checks the C++ formatting, and runs every test: unit, end-to-end and
# the quick reliability suite.
#
#   scripts/test.sh                        the normal build
#   scripts/test.sh --sanitize address     under ASan+UBSan (build-asan/)
#   scripts/test.sh --sanitize thread      under TSan (build-tsan/)
# Extra arguments after -- go to ctest, e.g. scripts/test.sh -- -R Devserver
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
setup_args=()
build_dir=$root/build
while [[ $# -gt 0 ]]; do
  case $1 in
    --sanitize) setup_args=(--sanitize "$2"); build_dir=$root/build-${2/address/asan}; build_dir=${build_dir/thread/tsan}; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

"$root/scripts/setup.sh" "${setup_args[@]}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 suppressions=$root/tests/tsan.supp}
"$root/scripts/check-format.sh"
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" "$@"

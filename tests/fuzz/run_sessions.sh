#!/usr/bin/env bash
# libFuzzer sessions over every fuzz target: builds build-fuzz/ (clang, ASan+UBSan, coverage
# instrumentation on everything the targets link), runs each target for a while over a scratch
# copy of its committed corpus, prints one line of figures per target, and merges the inputs that
# reach new coverage back into tests/fuzz/corpus/<target>/ (review and commit them).
#
#   tests/fuzz/run_sessions.sh                     every target, 60 s each, two at a time
#   tests/fuzz/run_sessions.sh --seconds 300 journal_fuzzer
#   tests/fuzz/run_sessions.sh --no-merge          leave the committed corpora alone
#
# A crash, leak or timeout fails the script and leaves its input in build-fuzz/artifacts/; see
# tests/fuzz/README.md for what to do with it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seconds=60
merge=true
targets=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --no-merge) merge=false; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "run_sessions.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [[ ${#targets[@]} -eq 0 ]]; then
  mapfile -t targets < <(cd "$root/tests/fuzz/corpus" && ls)
fi

build=$root/build-fuzz
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DEXOSPHERE_SANITIZE=address -DEXOSPHERE_FUZZ=ON -DEXOSPHERE_BUILD_BENCH=OFF \
  -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link >/dev/null
cmake --build "$build" --target "${targets[@]}"

# Each session's finds stay in build-fuzz/sessions/<target>/ until the next run, also when one
# fails, so that they can be merged by hand (see tests/fuzz/README.md).
work=$build/sessions
rm -rf "$work"
mkdir -p "$work" "$build/artifacts"
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# session TARGET: one libFuzzer run; its log is $work/TARGET.log.
session() {
  local target=$1
  mkdir -p "$work/$target"
  "$build/bin/$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-" \
    "$work/$target" "$root/tests/fuzz/corpus/$target" >"$work/$target.log" 2>&1
}

failed=()
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  pids=()
  for target in "${targets[@]:i:2}"; do
    session "$target" &
    pids+=("$!:$target")
  done
  for entry in "${pids[@]}"; do
    wait "${entry%%:*}" || failed+=("${entry#*:}")
  done
done

printf '%-26s %12s %10s %8s %8s %8s\n' target executions exec/s cov ft new
for target in "${targets[@]}"; do
  log=$work/$target.log
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  final=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$final")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$final")
  printf '%-26s %12s %10s %8s %8s %8s\n' "$target" "${runs:-?}" "${speed:-?}" "${cov:-?}" \
    "${ft:-?}" "$(ls "$work/$target" | wc -l)"
done
if [[ ${#failed[@]} -gt 0 ]]; then
  for target in "${failed[@]}"; do
    echo "--- $target" >&2
    grep -E -A30 'ERROR|SUMMARY|Test unit written' "$work/$target.log" | head -60 >&2
  done
  echo "run_sessions.sh: ${failed[*]} failed; the inputs are in $build/artifacts/" >&2
  exit 1
fi

if $merge; then
  for target in "${targets[@]}"; do
    before=$(ls "$root/tests/fuzz/corpus/$target" | wc -l)
    "$build/bin/$target" -merge=1 -max_len=8192 "$root/tests/fuzz/corpus/$target" \
      "$work/$target" >"$work/$target.merge.log" 2>&1
    echo "merged $target: $before -> $(ls "$root/tests/fuzz/corpus/$target" | wc -l) inputs"
  done
fi

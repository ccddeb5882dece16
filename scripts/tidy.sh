#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy at the root) on the production C++ code: sidecar, devserver,
# common, the C++ client and its examples. Fails on any finding. Needs a configured build/
# (scripts/setup.sh) for compile_commands.json; CI runs it after the tests.
#
#   scripts/tidy.sh               every file
#   scripts/tidy.sh FILE...       only these
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v clang-tidy >/dev/null || {
  echo "tidy: clang-tidy is not installed (scripts/setup.sh installs it)" >&2
  exit 1
}
[[ -f build/compile_commands.json ]] || {
  echo "tidy: build/compile_commands.json is missing; run scripts/setup.sh first" >&2
  exit 1
}
if [[ $# -gt 0 ]]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files -- 'sidecar/*.cc' 'devserver/*.cc' 'common/*.cc' \
    'client/cpp/*.cc' 'examples/cpp/*.cc')
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# --quiet drops the "N warnings generated" noise; findings go to stdout.
if printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p build --quiet >"$log" 2>/dev/null &&
  ! grep -q ': error: ' "$log"; then
  echo "tidy: ${#files[@]} files clean"
else
  grep -A3 ': error: ' "$log" >&2 || cat "$log" >&2
  echo "tidy: findings above (or clang-tidy failed); fix them or justify a NOLINT" >&2
  exit 1
fi

#!/usr/bin/env bash
# Prints the Debian packages that provide the shared libraries the given binaries load (the whole
# `ldd` closure, each library mapped to its package with `dpkg -S`), one per line, sorted. With
# --expect "pkg pkg ...", instead compares them with that list and fails, naming the difference,
# when they are not the same: the Dockerfiles keep their runtime package lists literal (so the
# runtime layer is cached apart from the sources) and check them with this in their build stage.
#
#   runtime-packages.sh BINARY...
#   runtime-packages.sh --expect "libc6 libstdc++6 ..." BINARY...
set -euo pipefail

expected=""
check=false
if [[ ${1:-} == --expect ]]; then
  check=true
  expected=$2
  shift 2
fi
[[ $# -gt 0 ]] || { echo "runtime-packages.sh: no binary given" >&2; exit 2; }

# Debian 12 has a merged /usr, but dpkg records a library under the path its package ships it at
# (/lib/... or /usr/lib/...), while ldd prints the path the loader found; try both spellings.
owner() {
  local path=$1 found
  for candidate in "$path" "/usr$path" "${path#/usr}"; do
    if found=$(dpkg -S "$candidate" 2>/dev/null); then
      echo "${found%%:*}"
      return 0
    fi
  done
  echo "runtime-packages.sh: no package owns $path" >&2
  return 1
}

libraries=$(
  for binary in "$@"; do
    ldd "$binary" >/dev/null || { echo "runtime-packages.sh: ldd failed on $binary" >&2; exit 1; }
    if ldd "$binary" | grep -q 'not found'; then
      echo "runtime-packages.sh: $binary has unresolved libraries:" >&2
      ldd "$binary" | grep 'not found' >&2
      exit 1
    fi
    ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
  done | sort -u
)
actual=$(for library in $libraries; do owner "$library"; done | sort -u)

if ! $check; then
  echo "$actual"
  exit 0
fi
expected=$(tr -s ' \n' '\n' <<<"$expected" | sed '/^$/d' | sort -u)
if [[ $actual != "$expected" ]]; then
  echo "runtime-packages.sh: the runtime package list is out of date for: $*" >&2
  echo "  missing from the list: $(comm -13 <(echo "$expected") <(echo "$actual") | tr '\n' ' ')" >&2
  echo "  listed but not needed: $(comm -23 <(echo "$expected") <(echo "$actual") | tr '\n' ' ')" >&2
  echo "  the list should be: $(tr '\n' ' ' <<<"$actual")" >&2
  exit 1
fi
echo "runtime packages match: $(tr '\n' ' ' <<<"$actual")"

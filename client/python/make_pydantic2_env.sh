#!/usr/bin/env bash
# Makes (or checks) a Python environment with pydantic 2, grpcio and protobuf for the Python
# client's tests, which run on pydantic v2 (the official SDK's requirement) as well as on
# Debian 12's pydantic 1.10.
#
#   client/python/make_pydantic2_env.sh DIR     create or refresh DIR (a venv); prints its python
#
# Debian 12 ships pydantic 1.10 only, so pydantic 2 comes from an interpreter that has it: the
# one named by EXOSPHERE_PYDANTIC2_PYTHON, else the first of python3.11 on PATH, pyenv's
# interpreters and python3 that imports pydantic >= 2 and has the ABI of Debian's python3
# (Debian's python3-grpcio is a compiled extension for that ABI). The venv sees that
# interpreter's packages (--system-site-packages); grpc and google.protobuf, when the interpreter
# lacks them, are linked from Debian's python3-grpcio and python3-protobuf. Idempotent.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: make_pydantic2_env.sh DIR" >&2
  exit 2
fi
env_dir=$1
debian_python=/usr/bin/python3

# Prints "ok" when $1 is a CPython with pydantic >= 2 and the extension ABI of Debian's python3.
suits() {
  local python=$1 abi
  abi=$("$debian_python" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))') || return 1
  "$python" - "$abi" <<'EOF' 2>/dev/null
import sys, sysconfig
import pydantic
if int(pydantic.VERSION.split(".")[0]) >= 2 and sysconfig.get_config_var("EXT_SUFFIX") == sys.argv[1]:
    print("ok")
EOF
}

# A venv that already works is kept.
works() {
  [[ -x $env_dir/bin/python3 ]] &&
    "$env_dir/bin/python3" -c 'import grpc, google.protobuf, pydantic, sys
sys.exit(0 if int(pydantic.VERSION.split(".")[0]) >= 2 else 1)' 2>/dev/null
}
if works; then
  echo "$env_dir/bin/python3"
  exit 0
fi

candidates=()
if [[ -n ${EXOSPHERE_PYDANTIC2_PYTHON:-} ]]; then
  candidates=("$EXOSPHERE_PYDANTIC2_PYTHON")
else
  command -v python3.11 >/dev/null 2>&1 && candidates+=("$(command -v python3.11)")
  pyenv_root=${PYENV_ROOT:-}
  [[ -z $pyenv_root ]] && command -v pyenv >/dev/null 2>&1 && pyenv_root=$(pyenv root 2>/dev/null || true)
  [[ -z $pyenv_root ]] && pyenv_root=$HOME/.pyenv
  for python in "$pyenv_root"/versions/*/bin/python3; do
    [[ -x $python ]] && candidates+=("$python")
  done
  command -v python3 >/dev/null 2>&1 && candidates+=("$(command -v python3)")
fi

base=""
for python in "${candidates[@]}"; do
  if [[ $(suits "$python" || true) == ok ]]; then
    base=$python
    break
  fi
done
if [[ -z $base ]]; then
  abi=$("$debian_python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  echo "make_pydantic2_env.sh: no Python $abi with pydantic >= 2 found (tried: ${candidates[*]:-none})." >&2
  echo "  Install one (e.g. 'python$abi -m pip install \"pydantic>=2.11\"') and point" >&2
  echo "  EXOSPHERE_PYDANTIC2_PYTHON at it; Debian 12 itself ships pydantic 1.10 only." >&2
  exit 1
fi

rm -rf "$env_dir"
"$base" -m venv --system-site-packages --without-pip "$env_dir"
site=$("$env_dir/bin/python3" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if ! "$env_dir/bin/python3" -c 'import grpc, google.protobuf' 2>/dev/null; then
  for package in python3-grpcio python3-protobuf; do
    while IFS= read -r path; do
      ln -sfn "$path" "$site/$(basename "$path")"
    done < <(dpkg -L "$package" | grep -E '^/usr/lib/python3/dist-packages/[^/]+$')
  done
fi
if ! works; then
  echo "make_pydantic2_env.sh: $env_dir (from $base) cannot import grpc, google.protobuf and pydantic 2" >&2
  exit 1
fi
echo "$env_dir/bin/python3"

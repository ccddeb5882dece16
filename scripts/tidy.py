#!/usr/bin/env python3
"""Runs clang-tidy (.clang-tidy at the root) on the production C++ code and fails on any finding.

    scripts/tidy.py                      every production file, skipping those already clean
    scripts/tidy.py FILE...              only these
    scripts/tidy.py --build-dir DIR      compile_commands.json and ninja's deps from DIR
                                         (default: build-asan if it exists, else build)
    scripts/tidy.py --no-cache           lint everything again
    scripts/tidy.py --write-clean-list   after a run without findings, record every file's key
                                         in scripts/tidy-clean.txt (commit it)

Production code: sidecar, exospherectl (cli), devserver, common, the C++ client and its examples.
The build directory must have been built (scripts/setup.sh), since the dependencies of each file
come from ninja.

A file found clean is remembered in a cache outside the clone ($EXOSPHERE_TIDY_CACHE, default
~/.cache/exosphere-tidy), under a key made of everything its result depends on: clang-tidy's
version, .clang-tidy, the compile command, and the contents of the file and of every project
file it includes (ninja's record of the object's dependencies). A file is linted again only when
one of those changed, so a run after a small change lints only what that change can affect.
Paths are made relative to the clone first, so another clone of the same code hits the cache.

scripts/tidy-clean.txt, committed, lists the keys of a clean run of the whole tree: a fresh
clone (CI on a new machine, whose cache is empty) then lints only the files whose key changed
since, i.e. what later commits can affect. Linting all of the tree costs about 20 CPU-minutes,
more than the rest of a cold CI run can spare. Refresh it with --write-clean-list.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import pathlib
import shlex
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CLEAN_LIST = ROOT / "scripts/tidy-clean.txt"
PRODUCTION = ["sidecar/*.cc", "cli/*.cc", "devserver/*.cc", "common/*.cc", "client/cpp/*.cc",
              "examples/cpp/*.cc"]


def fail(message):
    print(f"tidy: {message}", file=sys.stderr)
    sys.exit(1)


def git_files(patterns):
    out = subprocess.run(["git", "ls-files", "--", *patterns], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def project_dependencies(build_dir, output):
    """The project files (relative paths) ninja recorded as inputs of `output`, or None."""
    result = subprocess.run(["ninja", "-C", str(build_dir), "-t", "deps", output],
                            capture_output=True, text=True)
    header = result.stdout.partition("\n")[0]
    if result.returncode != 0 or "(VALID)" not in header:
        return None  # not built, or built before its last change: lint it, uncached
    deps = set()
    for line in result.stdout.splitlines()[1:]:
        path = line.strip()
        if not path:
            continue
        absolute = pathlib.Path(path) if os.path.isabs(path) else build_dir / path
        try:
            relative = absolute.resolve().relative_to(ROOT)
        except ValueError:
            continue  # a system header: covered by clang-tidy's version and the compile command
        if relative.parts and relative.parts[0].startswith("build"):
            continue  # generated code (protobuf): follows from the .proto files, hashed below
        deps.add(str(relative))
    return deps


def object_file(entry):
    """The object a compile command writes (CMake before 3.27 does not record it separately)."""
    if "output" in entry:
        return entry["output"]
    args = entry.get("arguments") or shlex.split(entry["command"])
    return args[args.index("-o") + 1] if "-o" in args else None


def cache_key(tool_version, config, entry, build_dir, deps):
    digest = hashlib.sha256()
    root = str(ROOT)
    command = entry.get("command") or shlex.join(entry.get("arguments", []))
    for text in (tool_version, config, command.replace(str(build_dir), "<build>").replace(root, "<root>")):
        digest.update(text.encode())
        digest.update(b"\0")
    for path in sorted(deps | set(git_files(["proto/*.proto"]))):
        digest.update(path.encode() + b"\0")
        digest.update((ROOT / path).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--build-dir")
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--write-clean-list", action="store_true")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    if subprocess.run(["which", "clang-tidy"], capture_output=True).returncode != 0:
        fail("clang-tidy is not installed (scripts/setup.sh installs it)")
    if args.build_dir:
        build_dir = pathlib.Path(args.build_dir).resolve()
    else:
        build_dir = ROOT / ("build-asan" if (ROOT / "build-asan/build.ninja").exists() else "build")
    database = build_dir / "compile_commands.json"
    if not database.exists():
        fail(f"{database} is missing; run scripts/setup.sh first")
    entries = {}
    for entry in json.loads(database.read_text()):
        path = pathlib.Path(entry["directory"], entry["file"]).resolve()
        try:
            entries[str(path.relative_to(ROOT))] = entry
        except ValueError:
            pass

    files = args.files or git_files(PRODUCTION)
    tool_version = subprocess.run(["clang-tidy", "--version"], capture_output=True, text=True,
                                  check=True).stdout
    config = (ROOT / ".clang-tidy").read_text()
    cache_dir = pathlib.Path(os.environ.get("EXOSPHERE_TIDY_CACHE",
                                            pathlib.Path.home() / ".cache/exosphere-tidy"))
    cache_dir.mkdir(parents=True, exist_ok=True)

    committed = set()
    if CLEAN_LIST.exists() and not args.no_cache:
        committed = {line.split()[0] for line in CLEAN_LIST.read_text().splitlines()
                     if line.strip() and not line.startswith("#")}

    to_lint = []  # (file, key or None)
    keys = {}  # file -> key, for --write-clean-list
    for file in files:
        file = str((ROOT / file).resolve().relative_to(ROOT))
        entry = entries.get(file)
        if entry is None:
            fail(f"{file} is not in {database}; is it part of the build?")
        output = object_file(entry)
        deps = project_dependencies(build_dir, output) if output else None
        key = None
        if deps is not None and not args.no_cache:
            key = cache_key(tool_version, config, entry, build_dir, deps | {file})
            keys[file] = key
            if (cache_dir / key).exists() or key in committed:
                continue
        to_lint.append((file, key))

    def lint(item):
        file, key = item
        result = subprocess.run(["clang-tidy", "-p", str(build_dir), "--quiet", file], cwd=ROOT,
                                capture_output=True, text=True)
        clean = result.returncode == 0 and ": error: " not in result.stdout
        if clean and key:
            (cache_dir / key).touch()
        return file, clean, result.stdout + result.stderr

    findings = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for file, clean, output in pool.map(lint, to_lint):
            if not clean:
                findings.append((file, output))
    for file, output in findings:
        print(f"--- {file}\n{output}", file=sys.stderr)
    if findings:
        fail(f"findings in {len(findings)} of {len(files)} files above; fix them or justify a NOLINT")
    print(f"tidy: {len(files)} files clean ({len(to_lint)} linted, "
          f"{len(files) - len(to_lint)} unchanged since a clean run)")
    if args.write_clean_list:
        if args.files or len(keys) != len(files):
            fail("--write-clean-list needs a run over every file, each of them built")
        lines = [f"{key}  {file}" for file, key in sorted(keys.items())]
        CLEAN_LIST.write_text("# Written by scripts/tidy.py --write-clean-list after a clean run; "
                              "see its docstring.\n" + "\n".join(lines) + "\n")
        print(f"tidy: recorded {len(lines)} keys in {CLEAN_LIST.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

"""Renders deploy/base and every overlay with `kubectl kustomize` and checks the invariants of
manifest_checks.py on each. Exit 0 when all hold, 1 on a violation, 2 when it cannot render.

    /usr/bin/python3 tests/deploy/check_manifests.py [--kubectl PATH] [--source-dir DIR]
        [--sidecar build/bin/exosphere-sidecar] [--devserver build/bin/exosphere-devserver]

kubectl: --kubectl, else $EXOSPHERE_KUBECTL, else the one on PATH. Any kubectl from 1.20 on must
do (deploy/ avoids newer kustomize features); pass an old one with --kubectl to check that.
With --sidecar and --devserver, the flags and EXOSPHERE_* variables the manifests give those
programs are also checked against their `--helpfull` (ctest passes the binaries it built).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import manifest_checks  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kubectl", help="kubectl binary (default: $EXOSPHERE_KUBECTL or PATH)")
    parser.add_argument("--source-dir", default=os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "..", ".."), help="repository root")
    parser.add_argument("--sidecar", help="exosphere-sidecar binary to check the flags against")
    parser.add_argument("--devserver", help="exosphere-devserver binary to check the flags against")
    options = parser.parse_args()
    source_dir = os.path.abspath(options.source_dir)

    try:
        interfaces = {}
        for program, binary in (("exosphere-sidecar", options.sidecar),
                                ("exosphere-devserver", options.devserver)):
            if binary:
                interfaces[program] = manifest_checks.program_interface(binary)
        kubectl = manifest_checks.find_kubectl(options.kubectl)
        version = manifest_checks.project_version(os.path.join(source_dir, "CMakeLists.txt"))
        directories = manifest_checks.kustomization_dirs(os.path.join(source_dir, "deploy"))
        if not directories:
            raise manifest_checks.RenderError("no kustomization under " + source_dir + "/deploy")
        rendered = [(d, manifest_checks.render(kubectl, d)) for d in directories]
    except (manifest_checks.RenderError, OSError, ValueError) as error:
        print("check_manifests: " + str(error), file=sys.stderr)
        return 2

    failed = False
    for directory, documents in rendered:
        label = os.path.relpath(directory, source_dir)
        problems = manifest_checks.check(documents, version) + \
            manifest_checks.check_program_flags(documents, interfaces)
        kinds = sorted({d.get("kind") for d in documents})
        if problems:
            failed = True
            print("FAIL {} ({} objects)".format(label, len(documents)))
            for problem in problems:
                print("  - " + problem)
        else:
            print("ok   {} ({} objects: {})".format(label, len(documents), ", ".join(kinds)))
    if interfaces:
        print("flags and EXOSPHERE_* variables checked against the --helpfull of " +
              ", ".join(sorted(interfaces)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Builds the generated gRPC modules first when they are missing (from the repository's protos),
so that `pip install client/python` works from a fresh checkout. Metadata is in pyproject.toml."""

import pathlib
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent
GENERATED = ["graphs_pb2.py", "graphs_pb2_grpc.py", "node_host_pb2.py", "node_host_pb2_grpc.py"]


class BuildPyWithGeneratedModules(build_py):
    def run(self):
        generated = HERE / "exosphere_sidecar" / "v1"
        if not all((generated / name).is_file() for name in GENERATED):
            if not (HERE.parent.parent / "proto" / "exosphere").is_dir():
                raise RuntimeError(
                    "exosphere_sidecar/v1 lacks its generated modules and the repository's "
                    "proto/ directory is not next to this package: build from the repository")
            subprocess.run(["bash", str(HERE / "generate_protos.sh")], check=True)
        super().run()


setup(cmdclass={"build_py": BuildPyWithGeneratedModules})

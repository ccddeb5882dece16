# Example worker image, Python: the Python client (client/python) on Debian's python3 with
# python3-grpcio, python3-protobuf and python3-pydantic, and the examples of examples/python.
# The entrypoint serves examples/python/sample_node.py (SampleNode in namespace MyProject);
# greeting.py, a worker and client in one program that does one run, is next to it. Runs as the
# non-root user 10001:10001 like the sidecar image. Build context: the repository root.
#   podman build --format docker -f deploy/images/worker-python.Dockerfile \
#     -t exosphere-worker-python:0.1.0 .
# (with podman on this project's machines also --isolation=chroot --network=host and
# --build-arg BASE=localhost/debian:bookworm; scripts/container-smoke.sh does all of it).
ARG BASE=debian:bookworm

# The gRPC modules are generated from proto/ (they are not committed) with Debian's protoc and
# grpc_python_plugin, whose versions match Debian's python3-protobuf and python3-grpcio.
# libprotobuf-dev has the well-known types' .proto files (google/protobuf/struct.proto...) that
# our protos import; protoc finds them in /usr/include.
FROM ${BASE} AS protos
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      protobuf-compiler protobuf-compiler-grpc libprotobuf-dev \
 && rm -rf /var/lib/apt/lists/*
COPY proto /src/proto
COPY client/python /src/client/python
RUN /src/client/python/generate_protos.sh

FROM ${BASE}
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      python3 python3-grpcio python3-protobuf python3-pydantic \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb \
      /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log
RUN groupadd --system --gid 10001 exosphere \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin exosphere \
 && install -d -m 0755 /run/exosphere
COPY --from=protos /src/client/python/exosphere_sidecar /opt/exosphere/python/exosphere_sidecar
COPY examples/python /opt/exosphere/examples
# Compiled now, so that nothing is written at run time (the root filesystem is read-only in
# Kubernetes), and imported once so that a broken package fails the build, not the pod.
RUN python3 -m compileall -q /opt/exosphere \
 && PYTHONPATH=/opt/exosphere/python python3 -c "import exosphere_sidecar"

USER 10001:10001
ENV PYTHONPATH=/opt/exosphere/python \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    EXOSPHERE_SIDECAR_ADDRESS=unix:/run/exosphere/sidecar.sock
ENTRYPOINT ["/usr/bin/python3", "/opt/exosphere/examples/sample_node.py"]

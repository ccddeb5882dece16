# Example worker image, C++: exosphere-example-worker (examples/cpp, the example nodes) and
# exosphere-demo (a client that upserts the demo graph through the sidecar, triggers a run and
# waits for it), running as the non-root user 10001:10001 like the sidecar image.
#
# Its binaries come from the `build` stage of the root Dockerfile, which has compiled and unit
# tested them already; build that stage first and name it with BUILD_IMAGE (build context: the
# repository root):
#   podman build --format docker --target build -t exosphere-build:0.1.0 .
#   podman build --format docker -f deploy/images/worker-cpp.Dockerfile \
#     --build-arg BUILD_IMAGE=exosphere-build:0.1.0 -t exosphere-worker-cpp:0.1.0 .
# (with podman on this project's machines also --isolation=chroot --network=host and
# --build-arg BASE=localhost/debian:bookworm; scripts/container-smoke.sh does all of it).
ARG BASE=debian:bookworm
ARG BUILD_IMAGE=exosphere-build:0.1.0
# The packages of the examples' shared libraries (see RUNTIME_PACKAGES in the root Dockerfile);
# checked against the binaries below.
ARG RUNTIME_PACKAGES="libabsl20220623 libc-ares2 libc6 libgcc-s1 libgrpc++1.51 libgrpc29 \
libprotobuf32 libre2-9 libssl3 libstdc++6 zlib1g"

FROM ${BUILD_IMAGE} AS build
ARG RUNTIME_PACKAGES
RUN runtime-packages.sh --expect "$RUNTIME_PACKAGES" \
      /out/examples/exosphere-example-worker /out/examples/exosphere-demo

FROM ${BASE}
ARG RUNTIME_PACKAGES
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $RUNTIME_PACKAGES \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb \
      /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log
RUN groupadd --system --gid 10001 exosphere \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin exosphere \
 && install -d -m 0755 /run/exosphere
COPY --from=build /out/examples/ /usr/local/bin/
RUN ["/usr/local/bin/exosphere-example-worker", "--version"]

USER 10001:10001
# The socket of the sidecar in the same pod (a shared emptyDir mounted at /run/exosphere).
ENV EXOSPHERE_SIDECAR_ADDRESS=unix:/run/exosphere/sidecar.sock
ENTRYPOINT ["/usr/local/bin/exosphere-example-worker"]

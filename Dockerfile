# The exosphere-sidecar image: exosphere-sidecar (the entrypoint) and exosphere-devserver on
# Debian bookworm, running as the non-root user 10001:10001.
#
#   docker build -t exosphere-sidecar:0.1.0 .
#   podman build --format docker --isolation=chroot --network=host \
#     --build-arg BASE=localhost/debian:bookworm -t exosphere-sidecar:0.1.0 .
#
# scripts/container-smoke.sh builds it (and the example worker images of deploy/images/) with
# podman and runs a smoke test inside it. Stages:
#   build    build dependencies, the CMake/Ninja build, the unit tests; installs into /out:
#            /out/bin (sidecar, devserver) and /out/examples (C++ example worker and demo client,
#            used by deploy/images/worker-cpp.Dockerfile, which starts FROM this stage)
#   runtime  (the last stage, the default target) the two binaries and their runtime libraries
#
# BASE is an argument because there may be no registry to pull debian:bookworm from: pass a
# local image built with debootstrap (--build-arg BASE=localhost/debian:bookworm).
ARG BASE=debian:bookworm

# The Debian packages that provide every shared library exosphere-sidecar and exosphere-devserver
# load: the whole `ldd` closure of both binaries, each library mapped to its package with
# `dpkg -S` (deploy/images/runtime-packages.sh prints it). Why packages and not copied .so files:
# apt resolves the closure consistently, the image keeps dpkg's records so that scanners and
# `apt-get upgrade` see the exact library versions (grpc, curl, openssl security updates), and
# configuration the libraries read at run time (openssl, krb5, the CA store) comes with them.
# The list is literal so that the runtime layer is cached apart from the sources; the build stage
# recomputes it from the binaries it just built and fails, printing the new list, when it is stale.
ARG RUNTIME_PACKAGES="libabsl20220623 libbrotli1 libc-ares2 libc6 libcom-err2 libcpp-httplib0.11 \
libcurl4 libffi8 libgcc-s1 libgmp10 libgnutls30 libgrpc++1.51 libgrpc29 libgssapi-krb5-2 \
libhogweed6 libidn2-0 libk5crypto3 libkeyutils1 libkrb5-3 libkrb5support0 libldap-2.5-0 \
libnettle8 libnghttp2-14 libp11-kit0 libprometheus-cpp-core1.0 libprotobuf32 libpsl5 libre2-9 librtmp1 libsasl2-2 \
libsqlite3-0 libssh2-1 libssl3 libstdc++6 libtasn1-6 libunistring2 libzstd1 zlib1g"

FROM ${BASE} AS build
ARG RUNTIME_PACKAGES
# Compile jobs (empty: ninja's default, the number of cores plus two).
ARG BUILD_JOBS=

# Dependencies first: this layer changes only when this list does.
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      build-essential ccache cmake ninja-build pkg-config \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev \
      libcurl4-openssl-dev nlohmann-json3-dev libcpp-httplib-dev libsqlite3-dev \
      libgtest-dev libgmock-dev libyaml-cpp-dev prometheus-cpp-dev \
 && rm -rf /var/lib/apt/lists/*

# Only what the CMake build reads, so that editing docs, deploy/ or scripts/ does not rebuild.
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY proto proto
COPY common common
COPY sidecar sidecar
COPY cli cli
COPY devserver devserver
COPY client client
COPY examples examples
COPY harness harness
COPY tests tests

# ccache in a cache mount (BuildKit and buildah both have them) turns a rebuild after a small
# change into a mostly cached one; the image holds none of it. The flags are the project's
# default RelWithDebInfo optimisation (-O2, so the same warnings as every other build under
# -Werror) without -g: the installed binaries are stripped anyway. Benchmarks are not built.
ENV CCACHE_DIR=/ccache
RUN --mount=type=cache,target=/ccache,id=exosphere-ccache \
    cmake -S . -B /build -G Ninja \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" \
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DEXOSPHERE_BUILD_BENCH=OFF \
 && cmake --build /build ${BUILD_JOBS:+-j "$BUILD_JOBS"}

# The unit tests of the C++ code this image ships. The unit tests of the Python and TypeScript
# clients and the manifest checks (tests/deploy) need Python packages, Node.js and kubectl, none
# of which is part of this image; scripts/test.sh runs them.
RUN ctest --test-dir /build -L unit -E '^(PythonClient|TypeScriptClient|Deploy)\.' \
      --output-on-failure -j "$(nproc)"

# exospherectl (cli/) is built here but not shipped: it is the operator's tool, run from a
# workstation or a CI job against the state manager, and the sidecar's image stays the two
# binaries whose library closure RUNTIME_PACKAGES pins.
COPY deploy/images/runtime-packages.sh /usr/local/bin/runtime-packages.sh
RUN install -D -s -m 0755 -t /out/bin /build/bin/exosphere-sidecar /build/bin/exosphere-devserver \
 && install -D -s -m 0755 -t /out/examples /build/bin/exosphere-example-worker /build/bin/exosphere-demo \
 && runtime-packages.sh --expect "$RUNTIME_PACKAGES" /out/bin/exosphere-sidecar /out/bin/exosphere-devserver

FROM ${BASE} AS runtime
ARG RUNTIME_PACKAGES
# ca-certificates: the system CAs for an https state manager (--ca-file replaces them).
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      ca-certificates $RUNTIME_PACKAGES \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb \
      /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log
# A fixed UID/GID so that Kubernetes' runAsUser/fsGroup and file ownership on volumes agree with
# the image. The directories are where deploy/base mounts its volumes (the worker socket, the
# journal, the API key Secret); they also serve when nothing is mounted there.
RUN groupadd --system --gid 10001 exosphere \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin exosphere \
 && install -d -o 10001 -g 10001 -m 0750 /run/exosphere /var/lib/exosphere \
      /var/lib/exosphere/journal \
 && install -d -m 0755 /etc/exosphere /etc/exosphere/api-key
COPY --from=build /out/bin/ /usr/local/bin/
# Fails the build if a library is missing from the runtime stage.
RUN ["/usr/local/bin/exosphere-sidecar", "--version"]
RUN ["/usr/local/bin/exosphere-devserver", "--version"]

USER 10001:10001
# Defaults for a container; flags given on the command line override them. The health endpoints
# (/livez, /readyz, /metrics) are on, on every interface, so that the port can be published.
ENV EXOSPHERE_SIDECAR_LISTEN=unix:/run/exosphere/sidecar.sock \
    EXOSPHERE_HEALTH_LISTEN=0.0.0.0:9090
EXPOSE 9090
# Exec form everywhere: nothing at run time needs a shell. --probe does one HTTP GET and exits 0
# on a 200, so the image needs no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/exosphere-sidecar", "--probe=http://127.0.0.1:9090/livez"]
ENTRYPOINT ["/usr/local/bin/exosphere-sidecar"]

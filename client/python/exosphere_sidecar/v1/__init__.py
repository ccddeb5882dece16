"""Generated protobuf and gRPC modules of the sidecar's public API (proto/exosphere/sidecar/v1).

They are produced by client/python/generate_protos.sh (scripts/setup.sh runs it), not committed.
"""

try:
    from . import graphs_pb2, graphs_pb2_grpc, node_host_pb2, node_host_pb2_grpc  # noqa: F401
except ImportError as error:  # pragma: no cover - only without generated modules
    raise ImportError(
        "exosphere_sidecar.v1: the generated gRPC modules are missing or broken "
        f"({error}); run client/python/generate_protos.sh"
    ) from error

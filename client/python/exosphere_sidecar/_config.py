"""Where the sidecar is, how to open a channel to it, logging defaults and the warning for the
official SDK's REST-only parameters."""

import logging
import os
import threading
import warnings
from typing import Optional, Sequence, Tuple

import grpc

DEFAULT_SIDECAR_ADDRESS = "unix:/tmp/exosphere-sidecar.sock"
WORKER_TOKEN_METADATA = "x-exosphere-worker-token"

logger = logging.getLogger("exosphere_sidecar")

_CHANNEL_OPTIONS = (
    # A fresh connection per channel: a restarted sidecar is reached at once.
    ("grpc.use_local_subchannel_pool", 1),
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
    # Tasks and run states can be large; the sidecar bounds what it sends.
    ("grpc.max_receive_message_length", -1),
)


def resolve_sidecar_address(configured: Optional[str]) -> str:
    """The parameter, else EXOSPHERE_SIDECAR_ADDRESS, else the default unix socket. A bare
    absolute path means a unix socket."""
    address = configured or os.environ.get("EXOSPHERE_SIDECAR_ADDRESS") or DEFAULT_SIDECAR_ADDRESS
    if address.startswith("/"):
        address = "unix:" + address
    return address


def resolve_worker_token(configured: Optional[str]) -> str:
    """The parameter, else EXOSPHERE_WORKER_TOKEN, else none."""
    return configured or os.environ.get("EXOSPHERE_WORKER_TOKEN") or ""


def call_metadata(worker_token: str) -> Tuple[Tuple[str, str], ...]:
    return ((WORKER_TOKEN_METADATA, worker_token),) if worker_token else ()


def open_channel(address: str) -> grpc.aio.Channel:
    """A new insecure grpc.aio channel; call it inside the event loop that will use it."""
    return grpc.aio.insecure_channel(address, options=_CHANNEL_OPTIONS)


_warned = set()
_warned_lock = threading.Lock()


def warn_ignored(owner: str, names: Sequence[str]) -> None:
    """Warns once per process and parameter that a REST-only SDK parameter has no effect."""
    for name in names:
        key = (owner, name)
        with _warned_lock:
            if key in _warned:
                continue
            _warned.add(key)
        warnings.warn(
            f"{owner}: '{name}' is ignored: the sidecar talks to the state manager "
            "(configure the sidecar instead)",
            UserWarning,
            stacklevel=3,
        )


def setup_default_logging() -> None:
    """Like the official SDK: a basic configuration of the root logger unless the application
    configured logging already or EXOSPHERE_DISABLE_DEFAULT_LOGGING is set; the level comes
    from EXOSPHERE_LOG_LEVEL (default INFO)."""
    root = logging.getLogger()
    if root.handlers or os.environ.get("EXOSPHERE_DISABLE_DEFAULT_LOGGING"):
        return
    level_name = os.environ.get("EXOSPHERE_LOG_LEVEL", "INFO").upper()
    level = getattr(logging, level_name, logging.INFO)
    if not isinstance(level, int):
        level = logging.INFO
    logging.basicConfig(
        level=level,
        format="%(asctime)s | %(levelname)s | %(name)s | %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
    )

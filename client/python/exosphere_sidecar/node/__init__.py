"""Node base class (also importable as `exosphere_sidecar.node.BaseNode.BaseNode`) and, as in
the official SDK, the state status constants of `exosphere_sidecar.node.status`."""

from .BaseNode import BaseNode
from .status import (  # noqa: F401 - re-exported like the SDK's `from .status import *`
    CANCELLED,
    CREATED,
    ERRORED,
    EXECUTED,
    NEXT_CREATED,
    QUEUED,
    RETRY_CREATED,
    SUCCESS,
    TIMEDOUT,
)

__all__ = ["BaseNode"]

"""ExosphereHost workers and graph clients through the Exosphere sidecar.

The official ExosphereHost Python SDK's API (BaseNode, Runtime, PruneSignal, ReQueueAfterSignal,
StateManager and the graph models), served over one gRPC stream to the local sidecar instead of
REST calls to the state manager. Moving a node over means changing the import:

    from exosphere_sidecar import BaseNode, Runtime
"""

from ._version import version as __version__
from .errors import HelloRejectedError, SidecarError
from .models import (
    CronTrigger,
    GraphNodeModel,
    RetryPolicyModel,
    RetryStrategyEnum,
    StoreConfigModel,
    TriggerState,
    UnitesModel,
    UnitesStrategyEnum,
)
from .node.BaseNode import BaseNode
from .runtime import Runtime
from .signals import PruneSignal, ReQueueAfterSignal
from .statemanager import StateManager

VERSION = __version__

__all__ = [
    "BaseNode",
    "CronTrigger",
    "GraphNodeModel",
    "HelloRejectedError",
    "PruneSignal",
    "ReQueueAfterSignal",
    "RetryPolicyModel",
    "RetryStrategyEnum",
    "Runtime",
    "SidecarError",
    "StateManager",
    "StoreConfigModel",
    "TriggerState",
    "UnitesModel",
    "UnitesStrategyEnum",
    "VERSION",
]

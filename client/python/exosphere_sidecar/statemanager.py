"""StateManager: graphs and runs through the sidecar's Graphs API (the official SDK's class)."""

import math
from typing import Any, Dict, List, Optional

import grpc

from . import _config
from ._graph_conversion import (
    graph_to_dict,
    run_states_to_dict,
    runs_to_dict,
    string_map,
    upsert_request,
)
from .errors import SidecarError
from .models import CronTrigger, GraphNodeModel, RetryPolicyModel, StoreConfigModel, TriggerState
from .v1 import graphs_pb2 as pb
from .v1 import graphs_pb2_grpc as pb_grpc

_VALIDATION_TIMED_OUT = "Graph validation check timed out after "


class StateManager:
    """Creates graphs, starts runs and watches them, like the official SDK's StateManager, but
    through the local sidecar (which holds the state manager's address and API key).

    The constructor has the SDK's signature and defaults; `state_manager_uri`, `key` and
    `state_manager_version` are accepted for compatibility and ignored, with a one-time
    warning when one is given (the version: a value other than "v0"). Every method is a coroutine and returns JSON-shaped dicts like the SDK's.

    Args:
        namespace: namespace of the graphs and runs.
        sidecar_address: as for Runtime (default EXOSPHERE_SIDECAR_ADDRESS, else
            `unix:/tmp/exosphere-sidecar.sock`).
        worker_token: as for Runtime (default EXOSPHERE_WORKER_TOKEN).
        rpc_timeout: seconds one call may take, on top of the waits upsert_graph and
            wait_for_run ask the sidecar for.

    Failures raise SidecarError (an Exception) with the SDK's wording where it has one, e.g.
    "Failed to trigger state: FAILED_PRECONDITION <the sidecar's message>"; `code` and
    `details` hold the gRPC status.
    """

    def __init__(
        self,
        namespace: str,
        state_manager_uri: Optional[str] = None,
        key: Optional[str] = None,
        state_manager_version: str = "v0",
        *,
        sidecar_address: Optional[str] = None,
        worker_token: Optional[str] = None,
        rpc_timeout: float = 30.0,
    ):
        ignored = {"state_manager_uri": state_manager_uri is not None, "key": key is not None,
                   "state_manager_version": state_manager_version != "v0"}
        _config.warn_ignored("StateManager", [name for name, given in ignored.items() if given])
        self._namespace = namespace
        self._address = _config.resolve_sidecar_address(sidecar_address)
        self._metadata = _config.call_metadata(_config.resolve_worker_token(worker_token))
        self._rpc_timeout = rpc_timeout

    @property
    def namespace(self) -> str:
        return self._namespace

    @property
    def sidecar_address(self) -> str:
        return self._address

    async def trigger(self, graph_name: str, inputs: Optional[Dict[str, str]] = None,
                      store: Optional[Dict[str, str]] = None, start_delay: int = 0
                      ) -> Dict[str, Any]:
        """Starts a run of a VALID graph; returns {"status": "CREATED", "run_id": ...}.

        `inputs` replace the root node's template inputs of the same name; `store` is the run's
        store (strings only); `start_delay` is in milliseconds."""
        if start_delay < 0:
            raise ValueError("start_delay must be a non-negative number of milliseconds")
        request = pb.TriggerRunRequest(
            namespace=self._namespace, graph_name=graph_name,
            inputs=string_map(inputs, "inputs"), store=string_map(store, "store"),
            start_delay_ms=int(start_delay))
        response = await self._call("TriggerRun", request, 0.0, "Failed to trigger state")
        return {"status": "CREATED", "run_id": response.run_id}

    async def get_graph(self, graph_name: str) -> Dict[str, Any]:
        """The graph template: nodes, secrets (names only), validation status and errors, and
        the stored retry policy, store config and triggers."""
        request = pb.GetGraphRequest(namespace=self._namespace, graph_name=graph_name)
        return graph_to_dict(await self._call("GetGraph", request, 0.0, "Failed to get graph"))

    async def upsert_graph(self, graph_name: str, graph_nodes: List[Any],
                           secrets: Dict[str, str], retry_policy: Any = None,
                           store_config: Any = None, triggers: Optional[List[Any]] = None,
                           validation_timeout: float = 60, polling_interval: float = 1
                           ) -> Dict[str, Any]:
        """Creates or replaces the graph and waits up to `validation_timeout` seconds until the
        state manager has verified it; returns the graph when VALID.

        `graph_nodes`, `retry_policy`, `store_config` and `triggers` take the SDK's models
        (GraphNodeModel, RetryPolicyModel, StoreConfigModel, CronTrigger) or dicts of the same
        shape. `polling_interval` is accepted for compatibility; the sidecar does the polling.

        Raises:
            SidecarError: "Graph validation failed: <status> and errors: [...]";
                "Graph validation check timed out after N seconds"; "Failed to upsert graph:
                INVALID_ARGUMENT ..." for a structure the state manager refused outright.
            ValueError, TypeError: a model or dict that does not validate.
        """
        del polling_interval  # the sidecar polls the state manager itself
        if validation_timeout <= 0:
            raise ValueError("validation_timeout must be positive")
        timeout_ms = max(1, math.ceil(validation_timeout * 1000))
        request = upsert_request(self._namespace, graph_name, graph_nodes, secrets, retry_policy,
                                 store_config, triggers, timeout_ms)
        try:
            response = await self._call("UpsertGraph", request, float(validation_timeout),
                                        "Failed to upsert graph")
        except SidecarError as error:
            if (error.code == grpc.StatusCode.DEADLINE_EXCEEDED
                    and error.details.startswith(_VALIDATION_TIMED_OUT)):
                raise SidecarError(error.details, error.code, error.details) from None
            raise
        graph = graph_to_dict(response)
        status = graph["validation_status"]
        if status == "VALID":
            return graph
        if status == "PENDING":
            message = f"{_VALIDATION_TIMED_OUT}{validation_timeout} seconds"
            raise SidecarError(message, grpc.StatusCode.DEADLINE_EXCEEDED, message)
        raise SidecarError(
            f"Graph validation failed: {status} and errors: {graph['validation_errors']}",
            None, "")

    async def wait_for_run(self, run_id: str, timeout: float = 60) -> Dict[str, Any]:
        """Waits until no state of the run is CREATED, QUEUED or EXECUTED any more, then returns
        the run with its states, inputs and outputs (see get_run_states). Raises SidecarError
        with code DEADLINE_EXCEEDED when the run is still going after `timeout` seconds."""
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        request = pb.WaitForRunRequest(namespace=self._namespace, run_id=run_id,
                                       timeout_ms=max(1, math.ceil(timeout * 1000)))
        return run_states_to_dict(
            await self._call("WaitForRun", request, float(timeout), "Failed to wait for run"))

    async def get_run_states(self, run_id: str, include_details: bool = False) -> Dict[str, Any]:
        """The run's states as they are now: {"run_id", "graph_name", "status", "states": [
        {"state_id", "node_name", "identifier", "status", "error", "inputs", "outputs",
        "parents", "created_at", "updated_at"}]}; inputs, outputs, parents and timestamps only
        with `include_details`."""
        request = pb.GetRunStatesRequest(namespace=self._namespace, run_id=run_id,
                                         include_details=include_details)
        return run_states_to_dict(
            await self._call("GetRunStates", request, 0.0, "Failed to get run states"))

    async def list_runs(self, page: int = 1, page_size: int = 20) -> Dict[str, Any]:
        """One page (1-based) of the namespace's runs, newest first, in the state manager's
        shape: {"namespace", "total", "page", "size", "runs": [...]}."""
        if page < 1 or page_size < 1:
            raise ValueError("page and page_size must be at least 1")
        request = pb.ListRunsRequest(namespace=self._namespace, page=page, page_size=page_size)
        response = await self._call("ListRuns", request, 0.0, "Failed to list runs")
        return runs_to_dict(self._namespace, page, page_size, response)

    async def _call(self, method: str, request: Any, wait: float, failure: str) -> Any:
        # A channel per call: a grpc.aio channel belongs to one event loop, and the SDK's
        # StateManager may be used from several asyncio.run() calls.
        async with _config.open_channel(self._address) as channel:
            stub = pb_grpc.GraphsStub(channel)
            try:
                return await getattr(stub, method)(
                    request, timeout=wait + self._rpc_timeout, metadata=self._metadata)
            except grpc.aio.AioRpcError as error:
                details = error.details() or ""
                raise SidecarError(f"{failure}: {error.code().name} {details}", error.code(),
                                   details) from None


__all__ = [
    "StateManager",
    "GraphNodeModel",
    "RetryPolicyModel",
    "StoreConfigModel",
    "CronTrigger",
    "TriggerState",
]

"""Conversions between the SDK's graph models (or dicts) and the Graphs API messages, and from
the API's answers to the JSON-shaped dicts the official SDK returns."""

from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Sequence

from . import _compat
from .models import (
    CronTrigger,
    GraphNodeModel,
    RetryPolicyModel,
    RetryStrategyEnum,
    StoreConfigModel,
    UnitesStrategyEnum,
)
from .v1 import graphs_pb2 as pb

_RETRY_DEFAULTS = RetryPolicyModel()


def as_model(model: type, value: Any, what: str) -> Any:
    """`value` as an instance of `model`: the instance itself, or a dict (or another pydantic
    model, e.g. the official SDK's) validated through `model`."""
    if isinstance(value, model):
        return value
    if isinstance(value, Mapping):
        return _compat.validate(model, value)
    if isinstance(value, _compat.BaseModel):
        return _compat.validate(model, _compat.dump(value))
    raise TypeError(f"{what} must be a {model.__name__} or a dict, got {type(value).__name__}")


def string_map(value: Optional[Mapping], what: str) -> Dict[str, str]:
    """A copy of `value` after checking that keys and values are strings (v1 is strings only)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} must be a dict of str to str, got {type(value).__name__}")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise TypeError(f"{what} must map str to str; {key!r}: {item!r} is not")
    return dict(value)


def node_to_proto(node: GraphNodeModel) -> pb.GraphNode:
    message = pb.GraphNode(
        node_name=node.node_name,
        namespace=node.namespace,
        identifier=node.identifier,
        inputs=string_map(node.inputs, f"inputs of graph node '{node.identifier}'"),
        next_nodes=list(node.next_nodes or []),
    )
    if node.unites is not None:
        message.unites.identifier = node.unites.identifier
        message.unites.strategy = pb.UnitesStrategy.Value(
            "UNITES_STRATEGY_" + UnitesStrategyEnum(node.unites.strategy).value)
    return message


def retry_policy_to_proto(policy: RetryPolicyModel) -> pb.RetryPolicy:
    message = pb.RetryPolicy(
        max_retries=policy.max_retries,
        strategy=pb.RetryStrategy.Value(
            "RETRY_STRATEGY_" + RetryStrategyEnum(policy.strategy).value),
        backoff_factor_ms=policy.backoff_factor,
        exponent=policy.exponent,
    )
    if policy.max_delay is not None:
        message.max_delay_ms = policy.max_delay
    return message


def store_config_to_proto(config: StoreConfigModel) -> pb.StoreConfig:
    return pb.StoreConfig(required_keys=list(config.required_keys),
                          default_values=dict(config.default_values))


def trigger_expression(trigger: Any) -> str:
    """A CronTrigger, a dict {"expression": ...} (or the REST form {"type": "CRON", "value":
    {"expression": ...}}), or any object with an `expression` attribute."""
    if isinstance(trigger, Mapping):
        if "value" in trigger and isinstance(trigger["value"], Mapping):
            trigger = trigger["value"]
        trigger = as_model(CronTrigger, trigger, "a trigger")
    expression = getattr(trigger, "expression", None)
    if not isinstance(expression, str):
        raise TypeError(f"a trigger must be a CronTrigger, got {type(trigger).__name__}")
    return expression


def upsert_request(namespace: str, graph_name: str, graph_nodes: Sequence[Any],
                   secrets: Optional[Mapping], retry_policy: Any, store_config: Any,
                   triggers: Optional[Sequence[Any]], validation_timeout_ms: int
                   ) -> pb.UpsertGraphRequest:
    request = pb.UpsertGraphRequest(
        namespace=namespace,
        graph_name=graph_name,
        nodes=[node_to_proto(as_model(GraphNodeModel, node, "a graph node"))
               for node in graph_nodes],
        secrets=string_map(secrets, "secrets"),
        validation_timeout_ms=validation_timeout_ms,
    )
    if retry_policy is not None:
        request.retry_policy.CopyFrom(
            retry_policy_to_proto(as_model(RetryPolicyModel, retry_policy, "retry_policy")))
    if store_config is not None:
        request.store_config.CopyFrom(
            store_config_to_proto(as_model(StoreConfigModel, store_config, "store_config")))
    for trigger in triggers or []:
        request.triggers.add(expression=trigger_expression(trigger))
    return request


def _enum_suffix(enum_type: Any, value: int, prefix: str) -> str:
    return enum_type.Name(value)[len(prefix):]


def graph_to_dict(graph: pb.Graph) -> Dict[str, Any]:
    """The graph in the state manager's JSON shape (as the SDK's upsert_graph/get_graph
    return it), with the stored retry policy, store config and triggers."""
    nodes = []
    for node in graph.nodes:
        unites = None
        if node.HasField("unites"):
            strategy = node.unites.strategy or pb.UNITES_STRATEGY_ALL_SUCCESS
            unites = {"identifier": node.unites.identifier,
                      "strategy": _enum_suffix(pb.UnitesStrategy, strategy, "UNITES_STRATEGY_")}
        nodes.append({
            "node_name": node.node_name,
            "namespace": node.namespace or graph.namespace,
            "identifier": node.identifier,
            "inputs": dict(node.inputs),
            "next_nodes": list(node.next_nodes),
            "unites": unites,
        })
    policy = graph.retry_policy
    strategy = policy.strategy or pb.RETRY_STRATEGY_EXPONENTIAL
    return {
        "name": graph.graph_name,
        "namespace": graph.namespace,
        "nodes": nodes,
        "secrets": {name: True for name in graph.secret_names},
        "retry_policy": {
            "max_retries": policy.max_retries if policy.HasField("max_retries")
            else _RETRY_DEFAULTS.max_retries,
            "strategy": _enum_suffix(pb.RetryStrategy, strategy, "RETRY_STRATEGY_"),
            "backoff_factor": policy.backoff_factor_ms if policy.HasField("backoff_factor_ms")
            else _RETRY_DEFAULTS.backoff_factor,
            "exponent": policy.exponent if policy.HasField("exponent")
            else _RETRY_DEFAULTS.exponent,
            "max_delay": policy.max_delay_ms if policy.HasField("max_delay_ms") else None,
        },
        "store_config": {
            "required_keys": list(graph.store_config.required_keys),
            "default_values": dict(graph.store_config.default_values),
        },
        "triggers": [{"type": "CRON", "value": {"expression": trigger.expression}}
                     for trigger in graph.triggers],
        "validation_status": _enum_suffix(pb.ValidationStatus, graph.validation_status,
                                          "VALIDATION_STATUS_"),
        "validation_errors": list(graph.validation_errors),
        "created_at": graph.created_at,
        "updated_at": graph.updated_at,
    }


def run_states_to_dict(states: pb.RunStates) -> Dict[str, Any]:
    """A run and its states; `parents` maps identifier -> state id, oldest ancestor first."""
    return {
        "run_id": states.run_id,
        "graph_name": states.graph_name,
        "status": _enum_suffix(pb.RunStatus, states.status, "RUN_STATUS_"),
        "states": [
            {
                "state_id": state.state_id,
                "node_name": state.node_name,
                "identifier": state.identifier,
                "status": _enum_suffix(pb.StateStatus, state.status, "STATE_STATUS_"),
                "error": state.error or None,
                "inputs": dict(state.inputs),
                "outputs": dict(state.outputs),
                "parents": {parent.identifier: parent.state_id for parent in state.parents},
                "created_at": state.created_at,
                "updated_at": state.updated_at,
            }
            for state in states.states
        ],
    }


def runs_to_dict(namespace: str, page: int, page_size: int,
                 response: pb.ListRunsResponse) -> Dict[str, Any]:
    """One page of runs in the state manager's JSON shape (GET /runs/{page}/{size})."""
    runs: List[Dict[str, Any]] = [
        {
            "run_id": run.run_id,
            "graph_name": run.graph_name,
            "success_count": run.success_count,
            "pending_count": run.pending_count,
            "errored_count": run.errored_count,
            "retried_count": run.retried_count,
            "total_count": run.total_count,
            "status": _enum_suffix(pb.RunStatus, run.status, "RUN_STATUS_"),
            "created_at": run.created_at,
        }
        for run in response.runs
    ]
    return {"namespace": namespace, "total": response.total, "page": page, "size": page_size,
            "runs": runs}

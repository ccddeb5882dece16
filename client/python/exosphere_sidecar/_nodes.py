"""Node classes on the wire: their validation (the official SDK's rules and texts), the Hello
that declares them, and running one Task into exactly one TaskResult."""

import inspect
import json
from collections.abc import Mapping
from typing import Any, Dict, List, Sequence

from google.protobuf import struct_pb2

from . import _compat
from .node.BaseNode import BaseNode
from .signals import PruneSignal, ReQueueAfterSignal
from .v1 import node_host_pb2 as pb

_MODEL_KINDS = ("Inputs", "Outputs", "Secrets")


def node_name(node: Any) -> str:
    return getattr(node, "__name__", repr(node))


def validate_nodes(nodes: Sequence[Any]) -> None:
    """Checks node classes like the official SDK's Runtime and raises one ValueError
    "Following errors while validating nodes: " + the newline-joined problems."""
    errors: List[str] = []
    for node in nodes:
        name = node_name(node)
        if not (inspect.isclass(node) and issubclass(node, BaseNode)):
            errors.append(f"{name} does not inherit from exosphere_sidecar.BaseNode")
        # The official SDK's checks, in its order.
        has = {kind: hasattr(node, kind) for kind in _MODEL_KINDS}
        is_model = {
            kind: has[kind] and inspect.isclass(getattr(node, kind))
            and issubclass(getattr(node, kind), _compat.BaseModel)
            for kind in _MODEL_KINDS
        }
        for kind in ("Inputs", "Outputs"):
            if not has[kind]:
                errors.append(f"{name} does not have an {kind} class")
        for kind in ("Inputs", "Outputs"):
            if not is_model[kind]:
                errors.append(
                    f"{name} does not have an {kind} class that inherits from pydantic.BaseModel"
                )
        if not has["Secrets"]:
            errors.append(f"{name} does not have an Secrets class")
        if not is_model["Secrets"]:
            errors.append(
                f"{name} does not have an Secrets class that inherits from pydantic.BaseModel"
            )
        for kind in _MODEL_KINDS:
            if not is_model[kind]:
                continue
            for field, annotation in _compat.field_annotations(getattr(node, kind)).items():
                if annotation is not str:
                    errors.append(
                        f"{name}.{kind} field '{field}' must be of type str, got {annotation}"
                    )
    names = [node_name(node) for node in nodes]
    duplicates = [name for name in set(names) if names.count(name) > 1]
    if duplicates:
        errors.append(f"Duplicate node class names found: {duplicates}")
    if errors:
        raise ValueError("Following errors while validating nodes: " + "\n".join(errors))


def string_schema(model: type) -> Dict[str, Any]:
    """The model's JSON schema reduced to what the sidecar accepts: an object whose properties
    are exactly the model's field names, each `"type": "string"` (pydantic's titles,
    descriptions and string defaults are kept; formats, constraints and aliases are not)."""
    rendered = _compat.json_schema(model)
    rendered_properties = rendered.get("properties", {})
    properties = {}
    for field, alias in _compat.field_aliases(model).items():
        source = rendered_properties.get(alias) or rendered_properties.get(field) or {}
        prop = {key: source[key] for key in ("title", "description") if isinstance(source.get(key), str)}
        if isinstance(source.get("default"), str):
            prop["default"] = source["default"]
        prop["type"] = "string"
        properties[field] = prop
    schema: Dict[str, Any] = {
        "title": rendered.get("title", model.__name__),
        "type": "object",
        "properties": properties,
    }
    required = _compat.required_fields(model)
    if required:
        schema["required"] = required
    return schema


def node_definition(node: type) -> pb.NodeDefinition:
    return pb.NodeDefinition(
        name=node.__name__,
        input_fields=list(_compat.field_annotations(node.Inputs)),
        output_fields=list(_compat.field_annotations(node.Outputs)),
        secret_fields=list(_compat.field_annotations(node.Secrets)),
        inputs_schema_json=json.dumps(string_schema(node.Inputs)),
        outputs_schema_json=json.dumps(string_schema(node.Outputs)),
    )


def build_hello(namespace: str, runtime_name: str, nodes: Sequence[type], slots: int,
                label: str) -> pb.Hello:
    return pb.Hello(
        namespace=namespace,
        runtime_name=runtime_name,
        nodes=[node_definition(node) for node in nodes],
        slots=slots,
        worker_label=label,
        # Tasks may then come several to a message (TaskBatch); the session serves each alone.
        accepts_task_batches=True,
    )


def _output_fields(node: type, item: Any) -> Dict[str, str]:
    """One returned output, validated against the node's Outputs model, as a string map."""
    if isinstance(item, _compat.BaseModel):
        data = _compat.dump(item)
    elif isinstance(item, Mapping):
        data = dict(item)
    else:
        raise TypeError(
            f"{node.__name__}.execute returned {type(item).__name__}; expected "
            f"{node.__name__}.Outputs, a list of them or None"
        )
    fields = _compat.dump(_compat.validate(node.Outputs, data))
    for key, value in fields.items():
        if not isinstance(value, str):
            raise TypeError(
                f"{node.__name__} output field '{key}' must be a str, got {type(value).__name__}"
            )
    return fields


def normalize_outputs(node: type, returned: Any) -> List[Dict[str, str]]:
    """None -> no output; a list -> a fan-out; anything else -> one output."""
    if returned is None:
        return []
    items = returned if isinstance(returned, list) else [returned]
    return [_output_fields(node, item) for item in items]


def errored(state_id: str, message: str) -> pb.TaskResult:
    return pb.TaskResult(state_id=state_id, errored=pb.Errored(message=message))


def _prune(state_id: str, data: Any) -> pb.TaskResult:
    if not isinstance(data, Mapping):
        return errored(state_id, f"PruneSignal data must be a dict, got {type(data).__name__}")
    struct = struct_pb2.Struct()
    # Values that are not JSON (dates, objects) are stored as their str().
    struct.update(json.loads(json.dumps(dict(data), default=str)))
    return pb.TaskResult(state_id=state_id, prune=pb.Prune(data=struct))


async def execute_task(node: type, task: pb.Task) -> pb.TaskResult:
    """Runs `task` on a new instance of `node` and maps the outcome to one TaskResult.

    Never raises, except asyncio.CancelledError (and other BaseExceptions) from the node."""
    state_id = task.state_id
    try:
        inputs = _compat.validate(node.Inputs, task.inputs)
        secrets = _compat.validate(node.Secrets, task.secrets)
        returned = await node()._execute(inputs, secrets)
        outputs = normalize_outputs(node, returned)
    except PruneSignal as signal:
        return _prune(state_id, signal.data)
    except ReQueueAfterSignal as signal:
        return pb.TaskResult(
            state_id=state_id, requeue_after=pb.RequeueAfter(delay_ms=signal.delay_ms)
        )
    except Exception as error:  # noqa: BLE001 - any failure of the node is its errored report
        return errored(state_id, str(error) or type(error).__name__)
    return pb.TaskResult(
        state_id=state_id,
        executed=pb.Executed(outputs=[pb.Output(fields=fields) for fields in outputs]),
    )

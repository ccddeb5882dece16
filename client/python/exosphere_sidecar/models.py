"""Graph models of the official SDK, with the same fields, defaults, validators and messages.

They work with pydantic v2 (as in the SDK) and v1.10: on v1 they also have v2's method names
(`model_dump`, `model_validate`, `model_fields`, ...) and refuse what v2 refuses (a number for a
string, 1.5 for an integer). `StateManager.upsert_graph` accepts these models or plain dicts of
the same shape (a dict is validated through the model).
"""

from enum import Enum
from typing import Any, Dict, List, Optional

from pydantic import Field

from ._compat import PYDANTIC_V2, SDKModel, Str, field_validator, v1_integers_like_v2


class UnitesStrategyEnum(str, Enum):
    ALL_SUCCESS = "ALL_SUCCESS"
    ALL_DONE = "ALL_DONE"


class UnitesModel(SDKModel):
    identifier: Str = Field(..., description="Identifier of the node")
    strategy: UnitesStrategyEnum = Field(
        default=UnitesStrategyEnum.ALL_SUCCESS, description="Strategy of the unites"
    )


class GraphNodeModel(SDKModel):
    node_name: Str = Field(..., description="Name of the node")
    namespace: Str = Field(..., description="Namespace of the node")
    identifier: Str = Field(..., description="Identifier of the node")
    inputs: Dict[Str, Any] = Field(default_factory=dict, description="Inputs of the node")
    next_nodes: Optional[List[Str]] = Field(default=None, description="Next nodes to execute")
    unites: Optional[UnitesModel] = Field(default=None, description="Unites of the node")

    @field_validator("node_name")
    def validate_node_name(cls, value: str) -> str:
        trimmed = value.strip()
        if trimmed == "":
            raise ValueError("Node name cannot be empty")
        return trimmed

    @field_validator("identifier")
    def validate_identifier(cls, value: str) -> str:
        trimmed = value.strip()
        if trimmed == "":
            raise ValueError("Node identifier cannot be empty")
        if trimmed == "store":
            raise ValueError("Node identifier cannot be reserved word 'store'")
        return trimmed

    @field_validator("next_nodes")
    def validate_next_nodes(cls, value: Optional[List[str]]) -> List[str]:
        # As in the SDK, an explicit None becomes [] (the default, None, is not validated).
        identifiers = set()
        errors = []
        trimmed_list = []
        for identifier in value or []:
            trimmed = identifier.strip()
            if trimmed == "":
                errors.append("Next node identifier cannot be empty")
                continue
            if trimmed in identifiers:
                errors.append(f"Next node identifier {trimmed} is not unique")
                continue
            identifiers.add(trimmed)
            trimmed_list.append(trimmed)
        if errors:
            raise ValueError("\n".join(errors))
        return trimmed_list

    @field_validator("unites")
    def validate_unites(cls, value: Optional[UnitesModel]) -> Optional[UnitesModel]:
        if value is None:
            return value
        trimmed = UnitesModel(identifier=value.identifier.strip(), strategy=value.strategy)
        if trimmed.identifier == "":
            raise ValueError("Unites identifier cannot be empty")
        return trimmed


class RetryStrategyEnum(str, Enum):
    EXPONENTIAL = "EXPONENTIAL"
    EXPONENTIAL_FULL_JITTER = "EXPONENTIAL_FULL_JITTER"
    EXPONENTIAL_EQUAL_JITTER = "EXPONENTIAL_EQUAL_JITTER"

    LINEAR = "LINEAR"
    LINEAR_FULL_JITTER = "LINEAR_FULL_JITTER"
    LINEAR_EQUAL_JITTER = "LINEAR_EQUAL_JITTER"

    FIXED = "FIXED"
    FIXED_FULL_JITTER = "FIXED_FULL_JITTER"
    FIXED_EQUAL_JITTER = "FIXED_EQUAL_JITTER"


class RetryPolicyModel(SDKModel):
    max_retries: int = Field(default=3, description="The maximum number of retries", ge=0)
    strategy: RetryStrategyEnum = Field(
        default=RetryStrategyEnum.EXPONENTIAL, description="The method of retry"
    )
    backoff_factor: int = Field(
        default=2000,
        description="The backoff factor in milliseconds (default: 2000 = 2 seconds)",
        gt=0,
    )
    exponent: int = Field(
        default=2, description="The exponent for the exponential retry strategy", gt=0
    )
    max_delay: Optional[int] = Field(
        default=None,
        description="The maximum delay in milliseconds (no default limit when None)",
        gt=0,
    )

    if not PYDANTIC_V2:
        # pydantic v1 would truncate 1.5 to 1; v2 (and so the SDK) refuses it.
        integers_like_v2 = v1_integers_like_v2("max_retries", "backoff_factor", "exponent",
                                               "max_delay")


def _check_store_keys(keys: List[Any]) -> List[str]:
    errors = []
    seen = set()
    trimmed_keys = []
    for key in keys:
        trimmed = key.strip() if key is not None else ""
        if trimmed == "":
            errors.append("Key cannot be empty or contain only whitespace")
            continue
        if "." in trimmed:
            errors.append(f"Key '{trimmed}' cannot contain '.' character")
            continue
        if trimmed in seen:
            errors.append(f"Key '{trimmed}' is duplicated")
            continue
        seen.add(trimmed)
        trimmed_keys.append(trimmed)
    if errors:
        raise ValueError("\n".join(errors))
    return trimmed_keys


class StoreConfigModel(SDKModel):
    required_keys: List[Str] = Field(default_factory=list, description="Required keys of the store")
    default_values: Dict[Str, Str] = Field(
        default_factory=dict, description="Default values of the store"
    )

    @field_validator("required_keys")
    def validate_required_keys(cls, value: List[str]) -> List[str]:
        return _check_store_keys(value)

    @field_validator("default_values")
    def validate_default_values(cls, value: Dict[str, str]) -> Dict[str, str]:
        keys = _check_store_keys(list(value.keys()))
        return {trimmed: str(value[key]) for key, trimmed in zip(value.keys(), keys)}


class CronTrigger(SDKModel):
    """A five-field cron expression, e.g. "0 9 * * 1-5", evaluated by the state manager."""

    expression: Str = Field(..., description="Cron expression")


class TriggerState(SDKModel):
    """Identifier and inputs of a trigger, as in earlier releases of the official SDK (kept for
    import compatibility; `StateManager.trigger` takes the inputs directly)."""

    identifier: Str = Field(..., description="Identifier of the trigger")
    inputs: Dict[Str, Str] = Field(default_factory=dict, description="Inputs of the trigger")

"""The few pydantic calls the package needs, for pydantic v1 (1.10) and v2.

Everything that differs between the two major versions goes through this module, so that the
rest of the package is written once. The v2 branch uses only pydantic v2's documented API
(`model_fields`, `FieldInfo.annotation`/`alias`/`is_required()`, `model_json_schema`,
`model_validate`, `model_dump`, `field_validator`).
"""

from typing import Any, Callable, Dict, Mapping

import pydantic
from pydantic import BaseModel, ValidationError

PYDANTIC_V2 = int(pydantic.VERSION.split(".", 1)[0]) >= 2

__all__ = [
    "PYDANTIC_V2",
    "BaseModel",
    "ValidationError",
    "field_annotations",
    "field_aliases",
    "required_fields",
    "json_schema",
    "validate",
    "dump",
    "field_validator",
]


def field_annotations(model: type) -> Dict[str, Any]:
    """Field name -> declared annotation (e.g. `str`, `int`, `typing.Optional[str]`)."""
    if PYDANTIC_V2:
        return {name: info.annotation for name, info in model.model_fields.items()}
    return {name: field.annotation for name, field in model.__fields__.items()}


def field_aliases(model: type) -> Dict[str, str]:
    """Field name -> the key pydantic uses for it in JSON schemas (its alias, or the name)."""
    if PYDANTIC_V2:
        return {name: info.alias or name for name, info in model.model_fields.items()}
    return {name: field.alias for name, field in model.__fields__.items()}


def required_fields(model: type) -> list:
    """Names of the fields that have no default."""
    if PYDANTIC_V2:
        return [name for name, info in model.model_fields.items() if info.is_required()]
    return [name for name, field in model.__fields__.items() if field.required]


def json_schema(model: type) -> Dict[str, Any]:
    """The model's JSON schema as pydantic renders it."""
    if PYDANTIC_V2:
        return model.model_json_schema()
    return model.schema()


def validate(model: type, data: Mapping[str, Any]) -> Any:
    """Builds and validates an instance of `model` from a mapping (raises ValidationError)."""
    if PYDANTIC_V2:
        return model.model_validate(dict(data))
    return model.parse_obj(dict(data))


def dump(instance: Any) -> Dict[str, Any]:
    """The instance's fields as a plain dict, keyed by field name."""
    if PYDANTIC_V2:
        return instance.model_dump()
    return instance.dict()


def field_validator(*fields: str) -> Callable[[Callable], Any]:
    """Decorates `def check(cls, value)` as an after-validator of `fields` in either version."""

    def decorate(function: Callable) -> Any:
        method = classmethod(function)
        if PYDANTIC_V2:
            return pydantic.field_validator(*fields)(method)
        return pydantic.validator(*fields, allow_reuse=True)(method)

    return decorate

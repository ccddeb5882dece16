"""The few pydantic calls the package needs, for pydantic v2 (the primary target) and v1.10.

Everything that differs between the two major versions goes through this module, so that the
rest of the package is written once. The v2 branch uses only pydantic v2's documented API
(`model_fields`, `FieldInfo.annotation`/`alias`/`is_required()`, `model_json_schema`,
`model_validate`, `model_dump`, `field_validator`).

On v1 the package's own models (`SDKModel`) also get v2's method names (`model_dump`,
`model_validate`, `model_fields`, ...) and v2's rules for the types they use: a `str` field
refuses numbers instead of converting them, and an `int` field refuses a float with a fractional
part. Code written for the official SDK, which requires pydantic v2, then behaves the same on
either version.
"""

import json
from enum import Enum
from typing import Any, Callable, Dict, Mapping, Optional

import pydantic
from pydantic import BaseModel, ValidationError

PYDANTIC_V2 = int(pydantic.VERSION.split(".", 1)[0]) >= 2

__all__ = [
    "PYDANTIC_V2",
    "BaseModel",
    "SDKModel",
    "Str",
    "ValidationError",
    "field_annotations",
    "field_aliases",
    "field_defaults",
    "required_fields",
    "json_schema",
    "validate",
    "dump",
    "field_validator",
    "v1_integers_like_v2",
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


_REQUIRED = object()


def field_defaults(model: type) -> Dict[str, Any]:
    """Field name -> its default (a default factory is called), or `REQUIRED` for a required
    field. Used to compare models with the official SDK's."""
    defaults = {}
    if PYDANTIC_V2:
        for name, info in model.model_fields.items():
            if info.is_required():
                defaults[name] = _REQUIRED
            elif info.default_factory is not None:
                defaults[name] = info.default_factory()
            else:
                defaults[name] = info.default
        return defaults
    for name, field in model.__fields__.items():
        if field.required:
            defaults[name] = _REQUIRED
        elif field.default_factory is not None:
            defaults[name] = field.default_factory()
        else:
            defaults[name] = field.default
    return defaults


REQUIRED = _REQUIRED


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


def field_validator(*fields: str, mode: str = "after") -> Callable[[Callable], Any]:
    """Decorates `def check(cls, value)` as a validator of `fields` in either version; `mode` is
    "after" (the value has its declared type) or "before" (the raw input)."""
    if mode not in ("after", "before"):
        raise ValueError(f"mode must be 'after' or 'before', got {mode!r}")

    def decorate(function: Callable) -> Any:
        method = classmethod(function)
        if PYDANTIC_V2:
            return pydantic.field_validator(*fields, mode=mode)(method)
        return pydantic.validator(*fields, pre=(mode == "before"), allow_reuse=True)(method)

    return decorate


if PYDANTIC_V2:
    SDKModel = BaseModel
    Str = str

    def v1_integers_like_v2(*fields: str) -> Any:
        """Only for pydantic v1: on v2 an `int` field already refuses 1.5."""
        raise RuntimeError(f"v1_integers_like_v2{fields} is for pydantic v1 only")

else:

    class Str(str):
        """A `str` field with pydantic v2's rules on v1: str and bytes (decoded as UTF-8) are
        accepted; numbers, None and other objects are refused instead of converted."""

        @classmethod
        def __get_validators__(cls):
            yield cls._validate

        @classmethod
        def __modify_schema__(cls, field_schema: Dict[str, Any]) -> None:
            field_schema.update(type="string")

        @classmethod
        def _validate(cls, value: Any) -> str:
            if isinstance(value, Enum):
                value = value.value
            if isinstance(value, str):
                return value
            if isinstance(value, (bytes, bytearray)):
                try:
                    return bytes(value).decode("utf-8")
                except UnicodeDecodeError:
                    raise ValueError("Input should be a valid string, unable to parse raw data "
                                     "as a unicode string") from None
            raise TypeError("Input should be a valid string")

    def _integer_like_v2(cls: type, value: Any) -> Any:
        del cls
        if isinstance(value, float) and not value.is_integer():
            raise ValueError("Input should be a valid integer, got a number with a fractional part")
        if isinstance(value, str):
            text = value.strip()
            try:
                return int(text)
            except ValueError:
                try:
                    number = float(text)
                except ValueError:
                    raise ValueError(
                        "Input should be a valid integer, unable to parse string as an integer"
                    ) from None
                if not number.is_integer():
                    raise ValueError("Input should be a valid integer, unable to parse string as "
                                     "an integer") from None
                return int(number)
        return value

    def v1_integers_like_v2(*fields: str) -> Any:
        """A before-validator for the `int` fields of a model that refuses what v2 refuses
        (1.5, "1.5") where v1 would truncate."""
        return pydantic.validator(*fields, pre=True, allow_reuse=True)(
            classmethod(_integer_like_v2))

    class SDKModel(BaseModel):
        """pydantic v1 BaseModel with the v2 method names the official SDK's users call."""

        def __init_subclass__(cls, **kwargs: Any) -> None:
            super().__init_subclass__(**kwargs)
            # A plain class attribute, as in v2 (a descriptor would become a v1 field).
            type.__setattr__(cls, "model_fields", dict(cls.__fields__))

        def model_dump(self, *, mode: str = "python", include: Any = None, exclude: Any = None,
                       by_alias: bool = False, exclude_unset: bool = False,
                       exclude_defaults: bool = False, exclude_none: bool = False
                       ) -> Dict[str, Any]:
            options = dict(include=include, exclude=exclude, by_alias=by_alias,
                           exclude_unset=exclude_unset, exclude_defaults=exclude_defaults,
                           exclude_none=exclude_none)
            if mode == "json":
                return json.loads(self.json(**options))
            if mode != "python":
                raise ValueError(f"mode must be 'python' or 'json', got {mode!r}")
            return self.dict(**options)

        def model_dump_json(self, *, indent: Optional[int] = None, include: Any = None,
                            exclude: Any = None, by_alias: bool = False,
                            exclude_unset: bool = False, exclude_defaults: bool = False,
                            exclude_none: bool = False) -> str:
            return self.json(indent=indent, include=include, exclude=exclude, by_alias=by_alias,
                             exclude_unset=exclude_unset, exclude_defaults=exclude_defaults,
                             exclude_none=exclude_none)

        @classmethod
        def model_validate(cls, obj: Any) -> Any:
            return cls.parse_obj(obj)

        @classmethod
        def model_validate_json(cls, json_data: Any) -> Any:
            return cls.parse_raw(json_data)

        @classmethod
        def model_json_schema(cls) -> Dict[str, Any]:
            return cls.schema()

        @classmethod
        def model_construct(cls, **values: Any) -> Any:
            return cls.construct(**values)

        def model_copy(self, *, update: Optional[Dict[str, Any]] = None, deep: bool = False
                       ) -> Any:
            return self.copy(update=update, deep=deep)

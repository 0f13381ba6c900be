"""Field checks for request models: each names the field it rejects.

A model lists its checks in field metadata (`checked(...)`); `validate(model)` runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ._enums import CallStatus, CallType, LenientIntEnum, Origin
from ._errors import ValidationError

Check = Callable[[str, Any], None]


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def int_(low: int | None = None, high: int | None = None, *, optional: bool = False) -> Check:
    def check(name: str, value: Any) -> None:
        if value is None and optional:
            return
        if not is_int(value):
            raise ValidationError(name, f"expected an int, got {type(value).__name__}")
        if low is not None and value < low:
            raise ValidationError(name, f"must be >= {low}, got {value}")
        if high is not None and value > high:
            raise ValidationError(name, f"must be <= {high}, got {value}")

    return check


def str_(*, non_empty: bool = False, optional: bool = False) -> Check:
    def check(name: str, value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str):
            raise ValidationError(name, f"expected a str, got {type(value).__name__}")
        if non_empty and not value.strip():
            raise ValidationError(name, "must not be empty")

    return check


def bool_(*, optional: bool = False) -> Check:
    def check(name: str, value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, bool):
            raise ValidationError(name, f"expected a bool, got {type(value).__name__}")

    return check


def enum(kind: type[LenientIntEnum], *, optional: bool = False) -> Check:
    def check(name: str, value: Any) -> None:
        if value is None and optional:
            return
        if not kind.is_documented(value):
            allowed = ", ".join(f"{m.value} ({m.name})" for m in kind)
            raise ValidationError(name, f"must be one of {allowed}, got {value!r}")

    return check


def mapping(name: str, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValidationError(name, "expected a mapping with str keys")


def items(kind: type, *, what: str) -> Check:
    def check(name: str, value: Any) -> None:
        if not isinstance(value, tuple) or not all(isinstance(v, kind) for v in value):
            raise ValidationError(name, f"expected a sequence of {what}")

    return check


def member(kind: type[LenientIntEnum], value: Any) -> Any:
    """Plain documented integers become members (`Origin(1)`); anything else is left for
    the check to refuse with the field's name."""
    return kind(value) if type(value) is int and kind.is_documented(value) else value


def as_origin(value: Any) -> Any:
    return member(Origin, value)


def as_call_status(value: Any) -> Any:
    return member(CallStatus, value)


def as_call_type(value: Any) -> Any:
    return member(CallType, value)


def as_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def checked(by: Check, **more: Any) -> dict[str, Any]:
    """Field metadata naming the field's check (run by `validate`)."""
    return {"check": by, **more}


def validate(model: Any) -> None:
    for field in attrs.fields(type(model)):
        field_check = field.metadata.get("check")
        if field_check is not None:
            field_check(field.name, getattr(model, field.name))


def server_id() -> Any:
    return attrs.field(default=None, metadata=checked(int_(0, optional=True)))


def meta() -> Any:
    return attrs.field(default=None, metadata=checked(mapping))


def delete_after() -> Any:
    return attrs.field(default=None, metadata=checked(int_(1, optional=True)))


def frozen(_instance: Any, attribute: attrs.Attribute[Any], _value: Any) -> Any:
    """`on_setattr` for immutable models: as `attrs.frozen` answers an assignment.

    (`attrs.frozen` itself makes `__init__` set every field through `object.__setattr__`,
    which costs twice as much on the ingestion hot path.)
    """
    raise attrs.exceptions.FrozenInstanceError()

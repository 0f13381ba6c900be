"""Typed request models: what callers hand to the client.

Python names are snake_case; the wire names (camelCase) are generated once by the codec.
Every model validates at construction, so bad input fails at the call site before
anything is queued. Each model is a `Request[Result]`: the type parameter is what its
endpoint answers, and it is what `SonoranClient.submit()` derives its typing from.

Models are immutable (`on_setattr=frozen`): cheaper to build than `attrs.frozen`, which
matters for ingestion jobs that build hundreds of thousands of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import attrs

from ._enums import CallStatus, CallType, LenientIntEnum, Origin
from ._errors import ValidationError
from ._replies import CallNote, CallsSnapshot

ResultT = TypeVar("ResultT", covariant=True)


class Request(Generic[ResultT]):
    """Base of every request model; `ResultT` is what its endpoint answers."""

    __slots__ = ()


# --- checks: each names the field it rejects ----------------------------------------------

_Check = Callable[[str, Any], None]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(low: int | None = None, high: int | None = None, *, optional: bool = False) -> _Check:
    def check(name: str, value: Any) -> None:
        if value is None and optional:
            return
        if not _is_int(value):
            raise ValidationError(name, f"expected an int, got {type(value).__name__}")
        if low is not None and value < low:
            raise ValidationError(name, f"must be >= {low}, got {value}")
        if high is not None and value > high:
            raise ValidationError(name, f"must be <= {high}, got {value}")

    return check


def _str(*, non_empty: bool = False, optional: bool = False) -> _Check:
    def check(name: str, value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str):
            raise ValidationError(name, f"expected a str, got {type(value).__name__}")
        if non_empty and not value.strip():
            raise ValidationError(name, "must not be empty")

    return check


def _bool(*, optional: bool = False) -> _Check:
    def check(name: str, value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, bool):
            raise ValidationError(name, f"expected a bool, got {type(value).__name__}")

    return check


def _enum(kind: type[LenientIntEnum], *, optional: bool = False) -> _Check:
    def check(name: str, value: Any) -> None:
        if value is None and optional:
            return
        if not kind.is_documented(value):
            allowed = ", ".join(f"{m.value} ({m.name})" for m in kind)
            raise ValidationError(name, f"must be one of {allowed}, got {value!r}")

    return check


def _mapping(name: str, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValidationError(name, "expected a mapping with str keys")


def _items(kind: type, *, what: str) -> _Check:
    def check(name: str, value: Any) -> None:
        if not isinstance(value, tuple) or not all(isinstance(v, kind) for v in value):
            raise ValidationError(name, f"expected a sequence of {what}")

    return check


def _member(kind: type[LenientIntEnum], value: Any) -> Any:
    """Plain documented integers become members (`Origin(1)`); anything else is left for
    the check to refuse with the field's name."""
    return kind(value) if type(value) is int and kind.is_documented(value) else value


def _as_origin(value: Any) -> Any:
    return _member(Origin, value)


def _as_call_status(value: Any) -> Any:
    return _member(CallStatus, value)


def _as_call_type(value: Any) -> Any:
    return _member(CallType, value)


def _as_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _check(check: _Check, **more: Any) -> dict[str, Any]:
    """Field metadata naming the field's check (run by `_validate`)."""
    return {"check": check, **more}


def _validate(model: Any) -> None:
    for field in attrs.fields(type(model)):
        check = field.metadata.get("check")
        if check is not None:
            check(field.name, getattr(model, field.name))


def _server_id() -> Any:
    return attrs.field(default=None, metadata=_check(_int(0, optional=True)))


def _meta() -> Any:
    return attrs.field(default=None, metadata=_check(_mapping))


def _delete_after() -> Any:
    return attrs.field(default=None, metadata=_check(_int(1, optional=True)))


# --- request models ------------------------------------------------------------------------


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class Call911(Request[int]):
    """A CALL_911 object: a 911 call from in game, shown to dispatchers. Answers its id."""

    caller: str = attrs.field(metadata=_check(_str(non_empty=True)))
    location: str = attrs.field(metadata=_check(_str(non_empty=True)))
    description: str = attrs.field(default="", metadata=_check(_str()))
    is_emergency: bool = attrs.field(default=True, metadata=_check(_bool()))
    meta_data: Mapping[str, Any] | None = _meta()
    delete_after_minutes: int | None = _delete_after()
    server_id: int | None = _server_id()

    def __attrs_post_init__(self) -> None:
        # The hot path of ingestion: one cheap test for the common shape, the named
        # checks only when it fails (or for the optional fields, when set).
        meta = self.meta_data
        if (
            type(self.caller) is str
            and type(self.location) is str
            and type(self.description) is str
            and type(self.is_emergency) is bool
            and self.caller.strip()
            and self.location.strip()
            and (meta is None or type(meta) is dict)
            and self.delete_after_minutes is None
            and self.server_id is None
        ):
            if meta is None:
                return
            for key in meta:  # a plain loop: several times cheaper than all(...)
                if type(key) is not str:
                    break
            else:
                return
        _validate(self)


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class NewDispatch(Request[int]):
    """A NEW_DISPATCH object: a dispatch call created directly. Answers its id."""

    title: str = attrs.field(metadata=_check(_str(non_empty=True)))
    origin: Origin = attrs.field(
        default=Origin.CALLER, converter=_as_origin, metadata=_check(_enum(Origin))
    )
    status: CallStatus = attrs.field(
        default=CallStatus.PENDING,
        converter=_as_call_status,
        metadata=_check(_enum(CallStatus)),
    )
    priority: int = attrs.field(default=1, metadata=_check(_int(1, 3)))
    block: str = attrs.field(default="", metadata=_check(_str()))
    address: str = attrs.field(default="", metadata=_check(_str()))
    postal: str = attrs.field(default="", metadata=_check(_str()))
    code: str = attrs.field(default="", metadata=_check(_str()))
    description: str = attrs.field(default="", metadata=_check(_str()))
    primary: int | None = attrs.field(default=None, metadata=_check(_int(0, optional=True)))
    track_primary: bool | None = attrs.field(default=None, metadata=_check(_bool(optional=True)))
    notes: tuple[CallNote, ...] = attrs.field(
        default=(), converter=_as_tuple, metadata=_check(_items(CallNote, what="CallNote"))
    )
    units: tuple[str, ...] = attrs.field(
        default=(), converter=_as_tuple, metadata=_check(_items(str, what="API ID strings"))
    )
    meta_data: Mapping[str, Any] | None = _meta()
    delete_after_minutes: int | None = _delete_after()
    server_id: int | None = _server_id()

    def __attrs_post_init__(self) -> None:
        _validate(self)


_EDITABLE = (
    "origin",
    "status",
    "priority",
    "block",
    "address",
    "postal",
    "title",
    "code",
    "primary",
    "track_primary",
    "description",
    "meta_data",
)


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class DispatchEdit(Request[None]):
    """An EDIT_DISPATCH object. Only the fields set here are sent, and only they change."""

    call_id: int = attrs.field(metadata=_check(_int(0)))
    origin: Origin | None = attrs.field(
        default=None, converter=_as_origin, metadata=_check(_enum(Origin, optional=True))
    )
    status: CallStatus | None = attrs.field(
        default=None,
        converter=_as_call_status,
        metadata=_check(_enum(CallStatus, optional=True)),
    )
    priority: int | None = attrs.field(default=None, metadata=_check(_int(1, 3, optional=True)))
    block: str | None = attrs.field(default=None, metadata=_check(_str(optional=True)))
    address: str | None = attrs.field(default=None, metadata=_check(_str(optional=True)))
    postal: str | None = attrs.field(default=None, metadata=_check(_str(optional=True)))
    title: str | None = attrs.field(default=None, metadata=_check(_str(optional=True)))
    code: str | None = attrs.field(default=None, metadata=_check(_str(optional=True)))
    primary: int | None = attrs.field(default=None, metadata=_check(_int(0, optional=True)))
    track_primary: bool | None = attrs.field(default=None, metadata=_check(_bool(optional=True)))
    description: str | None = attrs.field(default=None, metadata=_check(_str(optional=True)))
    meta_data: Mapping[str, Any] | None = _meta()
    server_id: int | None = _server_id()

    def __attrs_post_init__(self) -> None:
        _validate(self)
        if all(getattr(self, name) is None for name in _EDITABLE):
            raise ValidationError(
                "DispatchEdit", f"set at least one editable field ({', '.join(_EDITABLE)})"
            )


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class Remove911(Request[None]):
    """A REMOVE_911 object."""

    call_id: int = attrs.field(metadata=_check(_int(0)))
    server_id: int | None = _server_id()

    def __attrs_post_init__(self) -> None:
        _validate(self)


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class CloseCall(Request[None]):
    """A CLOSE_CALL object (closes a dispatch call)."""

    call_id: int = attrs.field(metadata=_check(_int(0)))
    server_id: int | None = _server_id()

    def __attrs_post_init__(self) -> None:
        _validate(self)


@attrs.define(kw_only=True, on_setattr=attrs.setters.frozen)
class CallsQuery(Request[CallsSnapshot]):
    """A GET_CALLS object: which calls to fetch."""

    closed_limit: int = attrs.field(default=10, metadata=_check(_int(1, 100)))
    closed_offset: int = attrs.field(default=0, metadata=_check(_int(0)))
    call_type: CallType = attrs.field(
        default=CallType.ALL,
        converter=_as_call_type,
        metadata=_check(_enum(CallType), wire="type"),
    )
    server_id: int | None = _server_id()

    def __attrs_post_init__(self) -> None:
        _validate(self)

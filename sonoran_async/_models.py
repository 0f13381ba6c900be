"""Typed request and reply models.

Python names are snake_case; the wire names (camelCase) are generated once by the codec.
Request models validate at construction so bad input fails at the call site, before
anything is queued. Reply models do not validate: the server is the authority on what
it stores, and replies must survive fields and values added to the API later.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ._errors import ValidationError


class _LenientIntEnum(enum.IntEnum):
    """An IntEnum that keeps unknown integers from replies instead of failing.

    Communities customise unit statuses and the API grows new values; a GET_CALLS
    snapshot must not fail because one call carries a value this version does not know.
    Request validation still accepts only the documented members.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            member = int.__new__(cls, value)
            member._name_ = f"UNKNOWN_{value}"
            member._value_ = value
            return member
        return None

    @classmethod
    def is_documented(cls, value: int) -> bool:
        return value in cls._value2member_map_


class Origin(_LenientIntEnum):
    CALLER = 0
    RADIO_DISPATCH = 1
    OBSERVED = 2
    WALK_UP = 3


class CallStatus(_LenientIntEnum):
    PENDING = 0
    ACTIVE = 1
    CLOSED = 2


class UnitStatus(_LenientIntEnum):
    UNAVAILABLE = 0
    BUSY = 1
    AVAILABLE = 2
    ENROUTE = 3
    ON_SCENE = 4


class CallType(_LenientIntEnum):
    DISPATCH = 0
    EMERGENCY = 1
    ALL = 100


# --- validators: each names the field it rejects -------------------------------------

_Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(low: int | None = None, high: int | None = None, *, optional: bool = False) -> _Validator:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not _is_int(value):
            raise ValidationError(attribute.name, f"expected an int, got {type(value).__name__}")
        if low is not None and value < low:
            raise ValidationError(attribute.name, f"must be >= {low}, got {value}")
        if high is not None and value > high:
            raise ValidationError(attribute.name, f"must be <= {high}, got {value}")

    return check


def _str(*, non_empty: bool = False, optional: bool = False) -> _Validator:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str):
            raise ValidationError(attribute.name, f"expected a str, got {type(value).__name__}")
        if non_empty and not value.strip():
            raise ValidationError(attribute.name, "must not be empty")

    return check


def _bool(*, optional: bool = False) -> _Validator:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, bool):
            raise ValidationError(attribute.name, f"expected a bool, got {type(value).__name__}")

    return check


def _enum(kind: type[_LenientIntEnum], *, optional: bool = False) -> _Validator:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not _is_int(value) or not kind.is_documented(value):
            allowed = ", ".join(f"{m.value} ({m.name})" for m in kind)
            raise ValidationError(attribute.name, f"must be one of {allowed}, got {value!r}")

    return check


def _mapping(*, optional: bool = True) -> _Validator:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            raise ValidationError(attribute.name, "expected a mapping with str keys")

    return check


def _items(kind: type, *, what: str) -> _Validator:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, tuple | list) or not all(isinstance(v, kind) for v in value):
            raise ValidationError(attribute.name, f"expected a sequence of {what}")

    return check


_server_id = attrs.field(default=None, validator=_int(0, optional=True))
_call_id = attrs.field(validator=_int(0))
_priority = _int(1, 3)
_delete_after = attrs.field(default=None, validator=_int(1, optional=True))
_meta = attrs.field(default=None, validator=_mapping())


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


# --- request models ----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class CallNote:
    """A note on a dispatch call (sent with NEW_DISPATCH, returned by GET_CALLS)."""

    time: str = ""
    label: str = ""
    type: str = "text"
    content: str = ""


@attrs.frozen(kw_only=True)
class Call911:
    """A CALL_911 object: a 911 call from in game, shown to dispatchers."""

    caller: str = attrs.field(validator=_str(non_empty=True))
    location: str = attrs.field(validator=_str(non_empty=True))
    description: str = attrs.field(default="", validator=_str())
    is_emergency: bool = attrs.field(default=True, validator=_bool())
    meta_data: Mapping[str, Any] | None = _meta
    delete_after_minutes: int | None = _delete_after
    server_id: int | None = _server_id


@attrs.frozen(kw_only=True)
class NewDispatch:
    """A NEW_DISPATCH object: a dispatch call created directly."""

    title: str = attrs.field(validator=_str(non_empty=True))
    origin: Origin = attrs.field(default=Origin.CALLER, validator=_enum(Origin))
    status: CallStatus = attrs.field(default=CallStatus.PENDING, validator=_enum(CallStatus))
    priority: int = attrs.field(default=1, validator=_priority)
    block: str = attrs.field(default="", validator=_str())
    address: str = attrs.field(default="", validator=_str())
    postal: str = attrs.field(default="", validator=_str())
    code: str = attrs.field(default="", validator=_str())
    description: str = attrs.field(default="", validator=_str())
    primary: int | None = attrs.field(default=None, validator=_int(0, optional=True))
    track_primary: bool | None = attrs.field(default=None, validator=_bool(optional=True))
    notes: tuple[CallNote, ...] = attrs.field(
        default=(), converter=_tuple, validator=_items(CallNote, what="CallNote")
    )
    units: tuple[str, ...] = attrs.field(
        default=(), converter=_tuple, validator=_items(str, what="API ID strings")
    )
    meta_data: Mapping[str, Any] | None = _meta
    delete_after_minutes: int | None = _delete_after
    server_id: int | None = _server_id


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


@attrs.frozen(kw_only=True)
class DispatchEdit:
    """An EDIT_DISPATCH object. Only the fields set here are sent, and only they change."""

    call_id: int = _call_id
    origin: Origin | None = attrs.field(default=None, validator=_enum(Origin, optional=True))
    status: CallStatus | None = attrs.field(
        default=None, validator=_enum(CallStatus, optional=True)
    )
    priority: int | None = attrs.field(default=None, validator=_int(1, 3, optional=True))
    block: str | None = attrs.field(default=None, validator=_str(optional=True))
    address: str | None = attrs.field(default=None, validator=_str(optional=True))
    postal: str | None = attrs.field(default=None, validator=_str(optional=True))
    title: str | None = attrs.field(default=None, validator=_str(optional=True))
    code: str | None = attrs.field(default=None, validator=_str(optional=True))
    primary: int | None = attrs.field(default=None, validator=_int(0, optional=True))
    track_primary: bool | None = attrs.field(default=None, validator=_bool(optional=True))
    description: str | None = attrs.field(default=None, validator=_str(optional=True))
    meta_data: Mapping[str, Any] | None = _meta
    server_id: int | None = _server_id

    def __attrs_post_init__(self) -> None:
        if all(getattr(self, name) is None for name in _EDITABLE):
            raise ValidationError(
                "DispatchEdit", f"set at least one editable field ({', '.join(_EDITABLE)})"
            )


@attrs.frozen(kw_only=True)
class Remove911:
    """A REMOVE_911 object."""

    call_id: int = _call_id
    server_id: int | None = _server_id


@attrs.frozen(kw_only=True)
class CloseCall:
    """A CLOSE_CALL object (closes a dispatch call)."""

    call_id: int = _call_id
    server_id: int | None = _server_id


@attrs.frozen(kw_only=True)
class CallsQuery:
    """A GET_CALLS object: which calls to fetch."""

    closed_limit: int = attrs.field(default=10, validator=_int(1, 100))
    closed_offset: int = attrs.field(default=0, validator=_int(0))
    call_type: CallType = attrs.field(
        default=CallType.ALL, validator=_enum(CallType), metadata={"wire": "type"}
    )
    server_id: int | None = _server_id


#: Everything that can be sent through `SonoranClient.submit`.
Request = Call911 | NewDispatch | DispatchEdit | Remove911 | CloseCall | CallsQuery


# --- reply models ------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class DispatchCall:
    """A dispatch call as GET_CALLS returns it (active or closed)."""

    call_id: int
    origin: Origin = Origin.CALLER
    status: CallStatus = CallStatus.PENDING
    priority: int = 1
    block: str = ""
    address: str = ""
    postal: str = ""
    title: str = ""
    code: str = ""
    description: str = ""
    notes: tuple[CallNote, ...] = ()
    idents: tuple[int, ...] = ()
    primary: int | None = None
    track_primary: bool | None = None
    meta_data: dict[str, Any] | None = None
    updated: str | None = None


@attrs.frozen(kw_only=True)
class EmergencyCall:
    """An active 911 call as GET_CALLS returns it."""

    call_id: int
    is_emergency: bool = True
    caller: str = ""
    location: str = ""
    description: str = ""
    meta_data: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class CallsSnapshot:
    """The GET_CALLS reply."""

    active_calls: tuple[DispatchCall, ...] = ()
    emergency_calls: tuple[EmergencyCall, ...] = ()
    closed_calls: tuple[DispatchCall, ...] = ()

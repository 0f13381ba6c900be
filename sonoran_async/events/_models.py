"""The base of the push-event models and the lenient reader they share.

Push events are read the way replies are (`_replies.py`): the CAD is the authority on what
it sends, so a field whose value does not fit its type becomes None and the event is kept;
every model keeps the object it was read from in `.raw`, unknown keys included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import attrs

from .._checks import frozen
from .._codec import converter, structure_leniently, wire_name

Reader = Callable[[Any], Any]


def raw_field() -> Any:
    return attrs.field(factory=dict, eq=False, repr=False)


def wire(*keys: str, read: Reader | None = None) -> dict[str, Any]:
    """A field's metadata: read from the first of `keys` present (none: its camelCase
    name), with `read` instead of the converter."""
    return {"keys": keys, "read": read}


@attrs.define(kw_only=True, on_setattr=frozen)
class PushEvent:
    """One event Sonoran CAD pushed: one object of a push's `data`."""

    #: The push `type` this model reads ("EVENT_911", ...); "" for `UnknownEvent`.
    TYPE: ClassVar[str] = ""
    #: The `data` object as it was received (unknown keys and unfitting values included).
    raw: Mapping[str, Any] = raw_field()


@attrs.define(kw_only=True, on_setattr=frozen)
class UnknownEvent(PushEvent):
    """A push whose `type` this version does not model (or whose `data` is no object)."""

    #: The push `type` as received.
    type: str = ""
    #: The `data` element as received, any JSON value.
    data: Any = None


def read(cls: type[Any], document: Mapping[str, Any]) -> Any:
    """`cls` from a wire object; a field that is absent, null or does not fit is left at
    its default (None)."""
    values: dict[str, Any] = {}
    for field in attrs.fields(cls):
        if field.name == "raw":
            values["raw"] = document
            continue
        keys = field.metadata.get("keys") or (wire_name(field),)
        value = next((document[k] for k in keys if document.get(k) is not None), None)
        if value is None:
            continue
        reader = field.metadata.get("read")
        try:
            values[field.name] = reader(value) if reader else converter.structure(value, field.type)
        except Exception:  # the converter's and the readers' errors alike: the field is None
            continue
    return cls(**values)


# --- readers for the shapes the converter would misread ----------------------------------------


def ints(value: Any) -> tuple[int, ...]:
    """A list of ids, or one id where the docs print a scalar (`"identIds": 1`)."""
    items = value if type(value) is list else [value]
    return tuple(converter.structure(item, int) for item in items)


def strs(value: Any) -> tuple[str, ...]:
    """A list of strings (a lone string is one item, never its characters)."""
    items = value if type(value) is list else [value]
    return tuple(converter.structure(item, str) for item in items)


def nested(cls: type[Any]) -> Reader:
    """A nested object read leniently with `read`."""

    def read_one(value: Any) -> Any:
        if type(value) is not dict:
            raise ValueError(f"expected an object, got {type(value).__name__}")
        return read(cls, value)

    return read_one


def reply_call(cls: type[Any]) -> Reader:
    """A call (`EmergencyCall`, `DispatchCall`) read as GET_CALLS replies are; one without
    a usable callId is no call (ProtocolError there, None here)."""

    def read_call(value: Any) -> Any:
        if type(value) is not dict:
            raise ValueError(f"expected an object, got {type(value).__name__}")
        return structure_leniently(value, cls)

    return read_call


def nested_list(cls: type[Any]) -> Reader:
    """A list of nested objects; items that are no object are skipped."""
    one = nested(cls)

    def read_all(value: Any) -> tuple[Any, ...]:
        if type(value) is not list:
            raise ValueError("expected an array")
        return tuple(one(item) for item in value if type(item) is dict)

    return read_all

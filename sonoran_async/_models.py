"""Typed request models: what callers hand to the client.

Python names are snake_case; the wire names (camelCase) are generated once by the codec.
Every model validates at construction, so bad input fails at the call site before
anything is queued. Each model is a `Request[Result]`: the type parameter is what its
endpoint answers, and it is what `SonoranClient.submit()` derives its typing from.

Models are immutable (`on_setattr=frozen`): cheaper to build than `attrs.frozen`, which
matters for ingestion jobs that build hundreds of thousands of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import attrs

from ._checks import (
    as_call_status,
    as_call_type,
    as_origin,
    as_tuple,
    bool_,
    checked,
    delete_after,
    enum,
    frozen,
    int_,
    items,
    meta,
    server_id,
    str_,
    validate,
)
from ._enums import CallStatus, CallType, Origin
from ._errors import ValidationError
from ._replies import CallNote, CallsSnapshot

ResultT = TypeVar("ResultT", covariant=True)


class Request(Generic[ResultT]):
    """Base of every request model; `ResultT` is what its endpoint answers."""

    __slots__ = ()


# --- request models ------------------------------------------------------------------------


@attrs.define(kw_only=True, on_setattr=frozen)
class Call911(Request[int]):
    """A CALL_911 object: a 911 call from in game, shown to dispatchers. Answers its id."""

    caller: str = attrs.field(metadata=checked(str_(non_empty=True)))
    location: str = attrs.field(metadata=checked(str_(non_empty=True)))
    description: str = attrs.field(default="", metadata=checked(str_()))
    is_emergency: bool = attrs.field(default=True, metadata=checked(bool_()))
    meta_data: Mapping[str, Any] | None = meta()
    delete_after_minutes: int | None = delete_after()
    server_id: int | None = server_id()

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
        validate(self)


@attrs.define(kw_only=True, on_setattr=frozen)
class NewDispatch(Request[int]):
    """A NEW_DISPATCH object: a dispatch call created directly. Answers its id."""

    title: str = attrs.field(metadata=checked(str_(non_empty=True)))
    origin: Origin = attrs.field(
        default=Origin.CALLER, converter=as_origin, metadata=checked(enum(Origin))
    )
    status: CallStatus = attrs.field(
        default=CallStatus.PENDING,
        converter=as_call_status,
        metadata=checked(enum(CallStatus)),
    )
    priority: int = attrs.field(default=1, metadata=checked(int_(1, 3)))
    block: str = attrs.field(default="", metadata=checked(str_()))
    address: str = attrs.field(default="", metadata=checked(str_()))
    postal: str = attrs.field(default="", metadata=checked(str_()))
    code: str = attrs.field(default="", metadata=checked(str_()))
    description: str = attrs.field(default="", metadata=checked(str_()))
    primary: int | None = attrs.field(default=None, metadata=checked(int_(0, optional=True)))
    track_primary: bool | None = attrs.field(default=None, metadata=checked(bool_(optional=True)))
    notes: tuple[CallNote, ...] = attrs.field(
        default=(), converter=as_tuple, metadata=checked(items(CallNote, what="CallNote"))
    )
    units: tuple[str, ...] = attrs.field(
        default=(), converter=as_tuple, metadata=checked(items(str, what="API ID strings"))
    )
    meta_data: Mapping[str, Any] | None = meta()
    delete_after_minutes: int | None = delete_after()
    server_id: int | None = server_id()

    def __attrs_post_init__(self) -> None:
        validate(self)


#: The fields an EDIT_DISPATCH may change (the mirror applies the same ones).
EDITABLE_FIELDS = (
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


@attrs.define(kw_only=True, on_setattr=frozen)
class DispatchEdit(Request[None]):
    """An EDIT_DISPATCH object. Only the fields set here are sent, and only they change."""

    call_id: int = attrs.field(metadata=checked(int_(0)))
    origin: Origin | None = attrs.field(
        default=None, converter=as_origin, metadata=checked(enum(Origin, optional=True))
    )
    status: CallStatus | None = attrs.field(
        default=None,
        converter=as_call_status,
        metadata=checked(enum(CallStatus, optional=True)),
    )
    priority: int | None = attrs.field(default=None, metadata=checked(int_(1, 3, optional=True)))
    block: str | None = attrs.field(default=None, metadata=checked(str_(optional=True)))
    address: str | None = attrs.field(default=None, metadata=checked(str_(optional=True)))
    postal: str | None = attrs.field(default=None, metadata=checked(str_(optional=True)))
    title: str | None = attrs.field(default=None, metadata=checked(str_(optional=True)))
    code: str | None = attrs.field(default=None, metadata=checked(str_(optional=True)))
    primary: int | None = attrs.field(default=None, metadata=checked(int_(0, optional=True)))
    track_primary: bool | None = attrs.field(default=None, metadata=checked(bool_(optional=True)))
    description: str | None = attrs.field(default=None, metadata=checked(str_(optional=True)))
    meta_data: Mapping[str, Any] | None = meta()
    server_id: int | None = server_id()

    def __attrs_post_init__(self) -> None:
        validate(self)
        if all(getattr(self, name) is None for name in EDITABLE_FIELDS):
            raise ValidationError(
                "DispatchEdit", f"set at least one editable field ({', '.join(EDITABLE_FIELDS)})"
            )


@attrs.define(kw_only=True, on_setattr=frozen)
class Remove911(Request[None]):
    """A REMOVE_911 object."""

    call_id: int = attrs.field(metadata=checked(int_(0)))
    server_id: int | None = server_id()

    def __attrs_post_init__(self) -> None:
        validate(self)


@attrs.define(kw_only=True, on_setattr=frozen)
class CloseCall(Request[None]):
    """A CLOSE_CALL object (closes a dispatch call)."""

    call_id: int = attrs.field(metadata=checked(int_(0)))
    server_id: int | None = server_id()

    def __attrs_post_init__(self) -> None:
        validate(self)


@attrs.define(kw_only=True, on_setattr=frozen)
class CallsQuery(Request[CallsSnapshot]):
    """A GET_CALLS object: which calls to fetch."""

    closed_limit: int = attrs.field(default=10, metadata=checked(int_(1, 100)))
    closed_offset: int = attrs.field(default=0, metadata=checked(int_(0)))
    call_type: CallType = attrs.field(
        default=CallType.ALL,
        converter=as_call_type,
        metadata=checked(enum(CallType), wire="type"),
    )
    server_id: int | None = server_id()

    def __attrs_post_init__(self) -> None:
        validate(self)

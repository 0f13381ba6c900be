"""Reply models: what GET_CALLS answers, structured leniently.

Replies do not validate: the server is the authority on what it stores, and replies must
survive fields and values added later. A field whose value does not fit its type becomes
None and the call is kept; every call keeps the object it was read from in `.raw`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ._checks import frozen
from ._enums import CallStatus, Origin


@attrs.define(kw_only=True, on_setattr=frozen)
class CallNote:
    """A note on a dispatch call (sent with NEW_DISPATCH, returned by GET_CALLS)."""

    time: str = ""
    label: str = ""
    type: str = "text"
    content: str = ""


def _raw() -> Any:
    return attrs.field(factory=dict, eq=False, repr=False)


@attrs.define(kw_only=True, on_setattr=frozen)
class DispatchCall:
    """A dispatch call as GET_CALLS returns it (active or closed)."""

    call_id: int
    origin: Origin | None = Origin.CALLER
    status: CallStatus | None = CallStatus.PENDING
    priority: int | None = 1
    block: str | None = ""
    address: str | None = ""
    postal: str | None = ""
    title: str | None = ""
    code: str | None = ""
    description: str | None = ""
    notes: tuple[CallNote, ...] | None = ()
    idents: tuple[int, ...] | None = ()
    primary: int | str | None = None
    track_primary: bool | None = None
    meta_data: dict[str, Any] | None = None
    updated: str | None = None
    #: The object as the server sent it (unknown keys and unfitting values included).
    raw: Mapping[str, Any] = _raw()


@attrs.define(kw_only=True, on_setattr=frozen)
class EmergencyCall:
    """An active 911 call as GET_CALLS returns it."""

    call_id: int
    is_emergency: bool | None = True
    caller: str | None = ""
    location: str | None = ""
    description: str | None = ""
    meta_data: dict[str, Any] | None = None
    #: The object as the server sent it (unknown keys and unfitting values included).
    raw: Mapping[str, Any] = _raw()


@attrs.define(kw_only=True, on_setattr=frozen)
class CallsSnapshot:
    """The GET_CALLS reply."""

    active_calls: tuple[DispatchCall, ...] = ()
    emergency_calls: tuple[EmergencyCall, ...] = ()
    closed_calls: tuple[DispatchCall, ...] = ()
    #: How many closed calls there are in all (v2's `ClosedCallCount`; None from v1).
    closed_call_count: int | None = None

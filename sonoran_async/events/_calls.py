"""Push events about 911 and dispatch calls (`reference/v1/push-events/`).

The dispatch events are documented as not sent for changes made through the API ("API
triggers should be listened to locally"); EVENT_911 is sent for calls placed either way.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from .._checks import frozen
from .._replies import CallNote, DispatchCall, EmergencyCall
from ._models import PushEvent, ints, nested, reply_call, strs, wire


@attrs.define(kw_only=True, on_setattr=frozen)
class Event911(PushEvent):
    """EVENT_911: a 911 call was placed (in the CAD or through the API)."""

    TYPE: ClassVar[str] = "EVENT_911"
    call: EmergencyCall | None = attrs.field(
        default=None, metadata=wire(read=reply_call(EmergencyCall))
    )
    #: The caller's API ids: only for calls placed in the CAD, not through the API.
    api_ids: tuple[str, ...] | None = attrs.field(default=None, metadata=wire(read=strs))
    #: The originating CAD account's linked in-game identifier, when it has one.
    community_user_id: str | None = None
    meta_data: dict[str, Any] | None = None


@attrs.define(kw_only=True, on_setattr=frozen)
class EventRemove911(PushEvent):
    """EVENT_REMOVE_911: 911 calls were removed."""

    TYPE: ClassVar[str] = "EVENT_REMOVE_911"
    call_ids: tuple[int, ...] | None = attrs.field(default=None, metadata=wire(read=ints))


@attrs.define(kw_only=True, on_setattr=frozen)
class EventDispatchNew(PushEvent):
    """EVENT_DISPATCH_NEW: a dispatch call was created in the CAD."""

    TYPE: ClassVar[str] = "EVENT_DISPATCH_NEW"
    #: The identifier (unit) that caused the event.
    event_origin_ident: int | None = None
    dispatch: DispatchCall | None = attrs.field(
        default=None, metadata=wire(read=reply_call(DispatchCall))
    )


@attrs.define(kw_only=True, on_setattr=frozen)
class EventDispatchEdit(PushEvent):
    """EVENT_DISPATCH_EDIT: a dispatch call was changed in the CAD (the whole call)."""

    TYPE: ClassVar[str] = "EVENT_DISPATCH_EDIT"
    event_origin_ident: int | None = None
    dispatch: DispatchCall | None = attrs.field(
        default=None, metadata=wire(read=reply_call(DispatchCall))
    )


@attrs.define(kw_only=True, on_setattr=frozen)
class EventDispatchClosed(PushEvent):
    """EVENT_DISPATCH_CLOSED: dispatch calls were closed."""

    TYPE: ClassVar[str] = "EVENT_DISPATCH_CLOSED"
    event_origin_ident: int | None = None
    call_ids: tuple[int, ...] | None = attrs.field(default=None, metadata=wire(read=ints))


@attrs.define(kw_only=True, on_setattr=frozen)
class EventDispatchNote(PushEvent):
    """EVENT_DISPATCH_NOTE: a note was added to a dispatch call."""

    TYPE: ClassVar[str] = "EVENT_DISPATCH_NOTE"
    call_id: int | None = None
    note: CallNote | None = attrs.field(default=None, metadata=wire(read=nested(CallNote)))


@attrs.define(kw_only=True, on_setattr=frozen)
class EventDispatchUnitAttach(PushEvent):
    """EVENT_DISPATCH_UNIT_ATTACH: units were attached to a dispatch call."""

    TYPE: ClassVar[str] = "EVENT_DISPATCH_UNIT_ATTACH"
    event_origin_ident: int | None = None
    call_id: int | None = None
    #: `idents`, or the single `ident` the page also allows.
    idents: tuple[int, ...] | None = attrs.field(
        default=None, metadata=wire("idents", "ident", read=ints)
    )


@attrs.define(kw_only=True, on_setattr=frozen)
class EventDispatchUnitDetach(PushEvent):
    """EVENT_DISPATCH_UNIT_DETACH: units were detached from a dispatch call."""

    TYPE: ClassVar[str] = "EVENT_DISPATCH_UNIT_DETACH"
    event_origin_ident: int | None = None
    call_id: int | None = None
    idents: tuple[int, ...] | None = attrs.field(
        default=None, metadata=wire("idents", "ident", read=ints)
    )


@attrs.define(kw_only=True, on_setattr=frozen)
class EventDispatchToggleBodycam(PushEvent):
    """EVENT_DISPATCH_TOGGLE_BODYCAM: a unit's bodycam was switched on or off."""

    TYPE: ClassVar[str] = "EVENT_DISPATCH_TOGGLE_BODYCAM"
    ident: int | None = None
    state: bool | None = None


CALL_EVENTS: tuple[type[PushEvent], ...] = (
    Event911,
    EventRemove911,
    EventDispatchNew,
    EventDispatchEdit,
    EventDispatchClosed,
    EventDispatchNote,
    EventDispatchUnitAttach,
    EventDispatchUnitDetach,
    EventDispatchToggleBodycam,
)

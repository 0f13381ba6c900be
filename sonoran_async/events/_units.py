"""Push events about units (`reference/v1/push-events/unit-events/`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from .._checks import frozen
from .._enums import LenientIntEnum, UnitStatus
from ._models import PushEvent, ints, nested, nested_list, raw_field, strs, wire


class UnitPage(LenientIntEnum):
    """The CAD page a unit is viewing (EVENT_UNIT_LOGIN's `unit.data.page`)."""

    POLICE = 0
    FIRE = 1
    EMS = 2
    DISPATCH = 3


@attrs.define(kw_only=True, on_setattr=frozen)
class UnitData:
    """A unit's profile: `unit.data` of EVENT_UNIT_LOGIN."""

    api_ids: tuple[str, ...] | None = attrs.field(default=None, metadata=wire(read=strs))
    #: GET_ACTIVE_UNITS' two API ids (typically Steam hex).
    api_id1: str | None = attrs.field(default=None, metadata=wire("apiId1"))
    api_id2: str | None = attrs.field(default=None, metadata=wire("apiId2"))
    #: The linked in-game user identifier (v2's target for unit commands).
    community_user_id: str | None = None
    unit_num: str | None = None
    name: str | None = None
    district: str | None = None
    department: str | None = None
    subdivision: str | None = None
    rank: str | None = None
    #: The name of the unit's group.
    group: str | None = None
    page: UnitPage | None = None
    raw: Mapping[str, Any] = raw_field()


@attrs.define(kw_only=True, on_setattr=frozen)
class Unit:
    """A unit (identifier) as EVENT_UNIT_LOGIN, EVENT_UNIT_UPDATE, GET_ACTIVE_UNITS and
    GET_IDENTIFIERS send it."""

    #: The identifier's id (the wire's `id`; `identId` in the other unit events).
    ident_id: int | None = attrs.field(default=None, metadata=wire("id"))
    #: The account's UUID.
    acc_id: str | None = None
    status: UnitStatus | None = None
    is_panic: bool | None = None
    location: str | None = None
    aop: str | None = None
    is_dispatch: bool | None = None
    data: UnitData | None = attrs.field(default=None, metadata=wire(read=nested(UnitData)))
    raw: Mapping[str, Any] = raw_field()

    def names(self, who: str) -> bool:
        """Whether `who` is one of this unit's API ids, its account or its linked user."""
        data = self.data
        ids = {self.acc_id}
        if data is not None:
            ids |= {data.api_id1, data.api_id2, data.community_user_id, *(data.api_ids or ())}
        return who in ids


@attrs.define(kw_only=True, on_setattr=frozen)
class EventUnitStatus(PushEvent):
    """EVENT_UNIT_STATUS: units' status changed."""

    TYPE: ClassVar[str] = "EVENT_UNIT_STATUS"
    #: A list, or the single id the page prints.
    ident_ids: tuple[int, ...] | None = attrs.field(default=None, metadata=wire(read=ints))
    status: UnitStatus | None = None


@attrs.define(kw_only=True, on_setattr=frozen)
class EventUnitPanic(PushEvent):
    """EVENT_UNIT_PANIC: units toggled their panic button."""

    TYPE: ClassVar[str] = "EVENT_UNIT_PANIC"
    #: `identIds`, or the legacy single `identId`.
    ident_ids: tuple[int, ...] | None = attrs.field(
        default=None, metadata=wire("identIds", "identId", read=ints)
    )
    is_panic: bool | None = None


@attrs.define(kw_only=True, on_setattr=frozen)
class EventUnitLogin(PushEvent):
    """EVENT_UNIT_LOGIN: a unit logged into the CAD."""

    TYPE: ClassVar[str] = "EVENT_UNIT_LOGIN"
    unit: Unit | None = attrs.field(default=None, metadata=wire(read=nested(Unit)))
    is_dispatch: bool | None = None
    self_dispatch: bool | None = None


@attrs.define(kw_only=True, on_setattr=frozen)
class EventUnitLogout(PushEvent):
    """EVENT_UNIT_LOGOUT: a unit logged out."""

    TYPE: ClassVar[str] = "EVENT_UNIT_LOGOUT"
    ident_id: int | None = None


@attrs.define(kw_only=True, on_setattr=frozen)
class EventUnitGroupAdd(PushEvent):
    """EVENT_UNIT_GROUP_ADD: a unit joined a unit group."""

    TYPE: ClassVar[str] = "EVENT_UNIT_GROUP_ADD"
    ident_id: int | None = None
    #: Only sent when the group's name is being updated.
    ident_ids: tuple[int, ...] | None = attrs.field(default=None, metadata=wire(read=ints))
    group_name: str | None = None


@attrs.define(kw_only=True, on_setattr=frozen)
class EventUnitGroupRemove(PushEvent):
    """EVENT_UNIT_GROUP_REMOVE: a unit left a unit group."""

    TYPE: ClassVar[str] = "EVENT_UNIT_GROUP_REMOVE"
    ident_id: int | None = None
    group_name: str | None = None


@attrs.define(kw_only=True, on_setattr=frozen)
class EventUnitGroupChangeName(PushEvent):
    """EVENT_UNIT_GROUP_CHANGE_NAME: a unit group was renamed."""

    TYPE: ClassVar[str] = "EVENT_UNIT_GROUP_CHANGE_NAME"
    ident_ids: tuple[int, ...] | None = attrs.field(default=None, metadata=wire(read=ints))
    old_name: str | None = None
    new_name: str | None = None


@attrs.define(kw_only=True, on_setattr=frozen)
class EventUnitUpdate(PushEvent):
    """EVENT_UNIT_UPDATE: units changed; each is sent whole (`data.units[]`). Handled by
    Sonoran's FiveM resource since 2026-07, though no page documents it."""

    TYPE: ClassVar[str] = "EVENT_UNIT_UPDATE"
    units: tuple[Unit, ...] | None = attrs.field(
        default=None, metadata=wire(read=nested_list(Unit))
    )


UNIT_EVENTS: tuple[type[PushEvent], ...] = (
    EventUnitStatus,
    EventUnitPanic,
    EventUnitLogin,
    EventUnitLogout,
    EventUnitGroupAdd,
    EventUnitGroupRemove,
    EventUnitGroupChangeName,
    EventUnitUpdate,
)

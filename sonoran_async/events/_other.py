"""The other documented push events: records, civilians, links, ERS, pagers, signs,
station alerts and tones (`reference/v1/push-events/`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from .._checks import frozen
from .._enums import LenientIntEnum
from ._models import PushEvent, ints, nested, nested_list, raw_field, strs, wire


@attrs.define(kw_only=True, on_setattr=frozen)
class EventRecordAdd(PushEvent):
    """EVENT_RECORD_ADD: a record was added in the CAD (not sent for API changes)."""

    TYPE: ClassVar[str] = "EVENT_RECORD_ADD"
    #: The custom record object, free-form.
    record: dict[str, Any] | None = None


@attrs.define(kw_only=True, on_setattr=frozen)
class EventRecordEdit(PushEvent):
    """EVENT_RECORD_EDIT: a record was changed in the CAD."""

    TYPE: ClassVar[str] = "EVENT_RECORD_EDIT"
    record: dict[str, Any] | None = None


@attrs.define(kw_only=True, on_setattr=frozen)
class EventRecordRemove(PushEvent):
    """EVENT_RECORD_REMOVE: a record was removed in the CAD."""

    TYPE: ClassVar[str] = "EVENT_RECORD_REMOVE"
    record: dict[str, Any] | None = None


@attrs.define(kw_only=True, on_setattr=frozen)
class EventCharSelected(PushEvent):
    """EVENT_CHAR_SELECTED: a user selected a character on the civilian page."""

    TYPE: ClassVar[str] = "EVENT_CHAR_SELECTED"
    #: The user account's SSO GUID.
    acc_id: str | None = None
    #: A numeric record id, or a database sync key (steam hex, license, ...).
    character_id: int | str | None = attrs.field(default=None, metadata=wire("id"))


@attrs.define(kw_only=True, on_setattr=frozen)
class EventCommunityLinkVerified(PushEvent):
    """EVENT_COMMUNITY_LINK_VERIFIED: a player completed the CAD link flow."""

    TYPE: ClassVar[str] = "EVENT_COMMUNITY_LINK_VERIFIED"
    community_user_id: str | None = None
    account_uuid: str | None = None


@attrs.define(kw_only=True, on_setattr=frozen)
class EventNewCallout(PushEvent):
    """EVENT_NEW_CALLOUT: an ERS callout was requested on the live map."""

    TYPE: ClassVar[str] = "EVENT_NEW_CALLOUT"
    #: The callout object (locations, ped behaviour), free-form.
    callout: dict[str, Any] | None = None


@attrs.define(kw_only=True, on_setattr=frozen)
class EventPagerReborn(PushEvent):
    """EVENT_PAGER_REBORN: an Inferno page was sent."""

    TYPE: ClassVar[str] = "EVENT_PAGER_REBORN"
    addresses: tuple[str, ...] | None = attrs.field(default=None, metadata=wire(read=strs))
    ident_ids: tuple[int, ...] | None = attrs.field(default=None, metadata=wire(read=ints))
    #: "Emergency", "NonEmergency" or "Administrative".
    nature: str | None = None
    body: str | None = None


@attrs.define(kw_only=True, on_setattr=frozen)
class SignData:
    """EVENT_STREETSIGN_UPDATED's `signData`."""

    ids: tuple[int, ...] | None = attrs.field(default=None, metadata=wire(read=ints))
    text1: str | None = None
    text2: str | None = None
    text3: str | None = None
    raw: Mapping[str, Any] = raw_field()


@attrs.define(kw_only=True, on_setattr=frozen)
class EventStreetsignUpdated(PushEvent):
    """EVENT_STREETSIGN_UPDATED: street signs were changed from the CAD."""

    TYPE: ClassVar[str] = "EVENT_STREETSIGN_UPDATED"
    sign_data: SignData | None = attrs.field(default=None, metadata=wire(read=nested(SignData)))


@attrs.define(kw_only=True, on_setattr=frozen)
class StationLocation:
    """A station of EVENT_STATION_ALERT and the doors to open and close."""

    name: str | None = None
    open: tuple[str, ...] | None = attrs.field(default=None, metadata=wire(read=strs))
    close: tuple[str, ...] | None = attrs.field(default=None, metadata=wire(read=strs))
    raw: Mapping[str, Any] = raw_field()


@attrs.define(kw_only=True, on_setattr=frozen)
class EventStationAlert(PushEvent):
    """EVENT_STATION_ALERT: a station alert was sent."""

    TYPE: ClassVar[str] = "EVENT_STATION_ALERT"
    locations: tuple[StationLocation, ...] | None = attrs.field(
        default=None, metadata=wire(read=nested_list(StationLocation))
    )
    #: A text to speak, or base64 audio.
    message: str | None = None
    colors: tuple[str, ...] | None = attrs.field(default=None, metadata=wire(read=strs))
    #: A tone name, or the URL of hosted tone audio.
    tone: str | None = None


class ToneTargetType(LenientIntEnum):
    """Who a tone was played to (EVENT_TONE's `playTonesTo[].type`)."""

    ALL_ACTIVE_UNITS = 0
    DISPATCH_CALL = 1
    AGENCY = 2
    DEPARTMENT = 3
    SUBDIVISION = 4
    UNIT_IDENTIFIER = 5
    UNIT_GROUP = 6


@attrs.define(kw_only=True, on_setattr=frozen)
class ToneTarget:
    """One target of a played tone: a call id, a department's name, ..."""

    kind: ToneTargetType | None = attrs.field(default=None, metadata=wire("type"))
    value: int | str | None = None
    label: str | None = None
    raw: Mapping[str, Any] = raw_field()


@attrs.define(kw_only=True, on_setattr=frozen)
class EventTone(PushEvent):
    """EVENT_TONE: a tone was played in the CAD."""

    TYPE: ClassVar[str] = "EVENT_TONE"
    url: str | None = None
    play_tones_to: tuple[ToneTarget, ...] | None = attrs.field(
        default=None, metadata=wire(read=nested_list(ToneTarget))
    )


OTHER_EVENTS: tuple[type[PushEvent], ...] = (
    EventRecordAdd,
    EventRecordEdit,
    EventRecordRemove,
    EventCharSelected,
    EventCommunityLinkVerified,
    EventNewCallout,
    EventPagerReborn,
    EventStreetsignUpdated,
    EventStationAlert,
    EventTone,
)

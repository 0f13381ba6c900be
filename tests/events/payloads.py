"""The `data` of every push event Sonoran documents (`reference/v1/push-events/`), as the
pages print it (the two dispatch pages' `data` is an array with keys inside, not JSON: it is
read here as the one object they mean), each with what its model must read from it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sonoran_async import CallStatus, Origin, UnitStatus
from sonoran_async.events import (
    Event911,
    EventCharSelected,
    EventCommunityLinkVerified,
    EventDispatchClosed,
    EventDispatchEdit,
    EventDispatchNew,
    EventDispatchNote,
    EventDispatchToggleBodycam,
    EventDispatchUnitAttach,
    EventDispatchUnitDetach,
    EventNewCallout,
    EventPagerReborn,
    EventRecordAdd,
    EventRecordEdit,
    EventRecordRemove,
    EventRemove911,
    EventStationAlert,
    EventStreetsignUpdated,
    EventTone,
    EventUnitGroupAdd,
    EventUnitGroupChangeName,
    EventUnitGroupRemove,
    EventUnitLogin,
    EventUnitLogout,
    EventUnitPanic,
    EventUnitStatus,
    EventUnitUpdate,
    PushEvent,
    ToneTargetType,
    UnitPage,
)

_DISPATCH = {
    "eventOriginIdent": 123,
    "dispatch": {
        "callId": -1,
        "origin": 0,
        "status": 0,
        "priority": 1,
        "block": "123",
        "address": "4234 E. Example Ave",
        "postal": "456",
        "title": "Traffic Stop",
        "code": "10-39 - Traffic Stop",
        "description": "Traffic Stop - Blue Sedan - XP123BS",
        "notes": "",
        "idents": [987, 123, 456],
        "metaData": {"origin911": 1},
    },
}


def _dispatch(e: Any) -> bool:
    d = e.dispatch
    return bool(
        e.event_origin_ident == 123
        and (d.call_id, d.origin, d.status, d.priority)
        == (-1, Origin.CALLER, CallStatus.PENDING, 1)
        and (d.title, d.postal, d.idents, d.meta_data)
        == ("Traffic Stop", "456", (987, 123, 456), {"origin911": 1})
    )


#: type -> (model, data as printed, what the model must hold)
DOCUMENTED: dict[str, tuple[type[PushEvent], Any, Callable[[Any], bool]]] = {
    "EVENT_911": (
        Event911,
        [
            {
                "call": {
                    "callId": 1234,
                    "isEmergency": True,
                    "caller": "John Doe",
                    "location": "1234 E Hawick Ave",
                    "description": "This is a 911 call!",
                },
                "apiIds": ["Steam:1234", "11112222"],
                "communityUserId": "license:abc123",
                "metaData": {"someKey": "someValue"},
            }
        ],
        lambda e: (
            e.call.call_id == 1234
            and e.call.is_emergency is True
            and e.call.caller == "John Doe"
            and e.api_ids == ("Steam:1234", "11112222")
            and e.community_user_id == "license:abc123"
            and e.meta_data == {"someKey": "someValue"}
        ),
    ),
    "EVENT_REMOVE_911": (
        EventRemove911,
        [{"callIds": [1234, 5678]}],
        lambda e: e.call_ids == (1234, 5678),
    ),
    "EVENT_DISPATCH_NEW": (EventDispatchNew, [_DISPATCH], _dispatch),
    "EVENT_DISPATCH_EDIT": (EventDispatchEdit, [_DISPATCH], _dispatch),
    "EVENT_DISPATCH_CLOSED": (
        EventDispatchClosed,
        {"eventOriginIdent": 123, "callIds": [1234, 5678]},
        lambda e: (e.event_origin_ident, e.call_ids) == (123, (1234, 5678)),
    ),
    "EVENT_DISPATCH_NOTE": (
        EventDispatchNote,
        {
            "callId": -1,
            "note": {
                "time": "12:00:00",
                "label": "A-10",
                "type": "text",
                "content": "Some message here!",
            },
        },
        lambda e: (
            e.call_id == -1 and (e.note.label, e.note.content) == ("A-10", "Some message here!")
        ),
    ),
    "EVENT_DISPATCH_UNIT_ATTACH": (
        EventDispatchUnitAttach,
        {"eventOriginIdent": 123, "ident": 1, "idents": [123, 456], "callId": 111},
        lambda e: (e.event_origin_ident, e.call_id, e.idents) == (123, 111, (123, 456)),
    ),
    "EVENT_DISPATCH_UNIT_DETACH": (
        EventDispatchUnitDetach,
        {"eventOriginIdent": 123, "ident": 1, "callId": 123},
        lambda e: (e.call_id, e.idents) == (123, (1,)),
    ),
    "EVENT_DISPATCH_TOGGLE_BODYCAM": (
        EventDispatchToggleBodycam,
        {"ident": "1", "state": True},
        lambda e: (e.ident, e.state) == (1, True),
    ),
    "EVENT_UNIT_STATUS": (
        EventUnitStatus,
        [{"identIds": 1, "status": 0}],
        lambda e: (e.ident_ids, e.status) == ((1,), UnitStatus.UNAVAILABLE),
    ),
    "EVENT_UNIT_PANIC": (
        EventUnitPanic,
        [{"identIds": [1, 2, 3], "isPanic": True}],
        lambda e: (e.ident_ids, e.is_panic) == ((1, 2, 3), True),
    ),
    "EVENT_UNIT_LOGIN": (
        EventUnitLogin,
        [
            {
                "unit": {
                    "id": -1,
                    "accId": "123-456-7890",
                    "status": 0,
                    "isPanic": False,
                    "location": "1234 E. Test Ave",
                    "aop": "South District",
                    "data": {
                        "apiIds": ["STEAM:1234"],
                        "unitNum": "A-10",
                        "name": "Brian Sosnowski",
                        "district": "Maricopa County",
                        "department": "MCSO",
                        "subdivision": "Speed Enforcement",
                        "rank": "CPT",
                        "group": "CAR 51",
                        "page": 0,
                    },
                },
                "isDispatch": False,
                "selfDispatch": False,
            }
        ],
        lambda e: (
            (e.unit.ident_id, e.unit.acc_id, e.unit.status)
            == (-1, "123-456-7890", UnitStatus.UNAVAILABLE)
            and (e.unit.data.unit_num, e.unit.data.page) == ("A-10", UnitPage.POLICE)
            and e.unit.data.api_ids == ("STEAM:1234",)
            and (e.is_dispatch, e.self_dispatch) == (False, False)
        ),
    ),
    "EVENT_UNIT_LOGOUT": (EventUnitLogout, [{"identId": 1}], lambda e: e.ident_id == 1),
    # Undocumented; the shape Sonoran's FiveM resource reads (`data.units[]`, whole units).
    "EVENT_UNIT_UPDATE": (
        EventUnitUpdate,
        {"units": [{"id": 4, "status": 3, "isDispatch": False, "data": {"unitNum": "A-4"}}]},
        lambda e: (
            e.units[0].ident_id == 4
            and e.units[0].status == UnitStatus.ENROUTE
            and e.units[0].data.unit_num == "A-4"
        ),
    ),
    "EVENT_UNIT_GROUP_ADD": (
        EventUnitGroupAdd,
        {"identId": 1, "identIds": [1, 2, 3], "groupName": "Ladder 61"},
        lambda e: (e.ident_id, e.ident_ids, e.group_name) == (1, (1, 2, 3), "Ladder 61"),
    ),
    "EVENT_UNIT_GROUP_REMOVE": (
        EventUnitGroupRemove,
        {"identId": 1, "groupName": "Ladder 61"},
        lambda e: (e.ident_id, e.group_name) == (1, "Ladder 61"),
    ),
    "EVENT_UNIT_GROUP_CHANGE_NAME": (
        EventUnitGroupChangeName,
        {"identIds": [1, 2, 3], "oldName": "Some Old Group", "newName": "My New Group Name"},
        lambda e: (
            (e.ident_ids, e.old_name, e.new_name)
            == ((1, 2, 3), "Some Old Group", "My New Group Name")
        ),
    ),
    "EVENT_CHAR_SELECTED": (
        EventCharSelected,
        {"accId": "000-000-000", "id": 1},
        lambda e: (e.acc_id, e.character_id) == ("000-000-000", 1),
    ),
    "EVENT_COMMUNITY_LINK_VERIFIED": (
        EventCommunityLinkVerified,
        {
            "communityUserId": "license:abc123",
            "accountUuid": "00000000-0000-0000-0000-000000000000",
        },
        lambda e: (
            (e.community_user_id, e.account_uuid)
            == ("license:abc123", "00000000-0000-0000-0000-000000000000")
        ),
    ),
    "EVENT_NEW_CALLOUT": (
        EventNewCallout,
        {
            "callout": {
                "calloutLocations": [{"x": 1234, "y": 5678, "z": 0}],
                "pedWeaponData": ["weapon_unarmed"],
                "pedActionOnNoActionFound": "none",
                "pedChanceToFleeFromPlayer": 0,
            }
        },
        lambda e: e.callout["calloutLocations"] == [{"x": 1234, "y": 5678, "z": 0}],
    ),
    "EVENT_PAGER_REBORN": (
        EventPagerReborn,
        {
            "addresses": ["FIRE-1", "BATTALION-1"],
            "identIds": [12, 34],
            "nature": "Administrative",
            "body": "Respond to briefing room.",
        },
        lambda e: (
            (e.addresses, e.ident_ids, e.nature, e.body)
            == (("FIRE-1", "BATTALION-1"), (12, 34), "Administrative", "Respond to briefing room.")
        ),
    ),
    "EVENT_RECORD_ADD": (EventRecordAdd, {"record": {"id": 5}}, lambda e: e.record == {"id": 5}),
    "EVENT_RECORD_EDIT": (EventRecordEdit, {"record": {"id": 5}}, lambda e: e.record == {"id": 5}),
    "EVENT_RECORD_REMOVE": (EventRecordRemove, {"record": {}}, lambda e: e.record == {}),
    "EVENT_STREETSIGN_UPDATED": (
        EventStreetsignUpdated,
        {"signData": {"ids": [1, 2], "text1": "", "text2": "", "text3": ""}},
        lambda e: (e.sign_data.ids, e.sign_data.text1) == ((1, 2), ""),
    ),
    "EVENT_STATION_ALERT": (
        EventStationAlert,
        {
            "locations": [
                {"name": "Fire Station One", "open": ["Door 1", "Door 2"], "close": ["Door 3"]}
            ],
            "message": "Some TTS message here!",
            "colors": ["blue"],
            "tone": "tone1",
        },
        lambda e: (
            (e.locations[0].name, e.locations[0].open, e.locations[0].close)
            == ("Fire Station One", ("Door 1", "Door 2"), ("Door 3",))
            and (e.message, e.colors, e.tone) == ("Some TTS message here!", ("blue",), "tone1")
        ),
    ),
    "EVENT_TONE": (
        EventTone,
        {
            "url": "https://s3.sonoransoftware.com/someTone.mp3",
            "playTonesTo": [
                {"type": 1, "value": 123, "label": "Dispatch Call 123"},
                {"type": 3, "value": "Prescott PD", "label": "Prescott PD"},
            ],
        },
        lambda e: (
            e.url == "https://s3.sonoransoftware.com/someTone.mp3"
            and [(t.kind, t.value) for t in e.play_tones_to]
            == [(ToneTargetType.DISPATCH_CALL, 123), (ToneTargetType.DEPARTMENT, "Prescott PD")]
        ),
    ),
}

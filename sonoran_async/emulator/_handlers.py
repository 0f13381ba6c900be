"""One handler per endpoint, in a table that mirrors the client's route table.

A handler checks one `data` object, applies it to the state and returns its reply (a
text line, or a JSON-able value for the JSON endpoints); a bad object raises
`ObjectError`. `ROUTES` maps (category, path name) to the request type, `HANDLERS` the
request type to its handler and minimum plan.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Protocol

import attrs

from ._fields import (
    CALL_TYPES,
    ORIGINS,
    STATUSES,
    NotFound,
    ObjectError,
    WireObject,
    bad,
    int_id,
    int_list,
    opt_bool,
    opt_enum,
    opt_meta,
    opt_minutes,
    opt_notes,
    opt_primary,
    opt_priority,
    opt_str,
    req_str,
    str_list,
)
from ._live import live_of
from ._live_handlers import LIVE_JSON_TYPES, LIVE_ROUTES
from ._state import CadState

MISSING_EDIT_FIELDS: Final = (
    "ERROR: Missing editable dispatch fields. Provide at least one field to update."
)
_STATUS_CLOSED: Final = 2
_EDIT_STR_FIELDS: Final = ("block", "address", "postal", "title", "code", "description")


class Community(Protocol):
    """What a handler may see of the emulated community."""

    state: CadState
    server_ids: frozenset[int]
    plan_number: int

    def now(self) -> float: ...


Handler = Callable[[Community, WireObject], Any]


@attrs.frozen
class Route:
    handler: Handler
    plan: str  # the minimum plan
    #: Takes an empty `data` array (GET_VERSION, GET_SERVERS).
    empty_data: bool = False
    #: Takes its objects wrapped in one more array, as Sonoran.js sends UNIT_LOCATION.
    nested_data: bool = False
    #: Documented to apply every object and answer one line, whatever the `multi` mode.
    one_line: bool = False


def _server(c: Community, o: WireObject, default: int | None = None) -> int:
    sid = int_id(o, "serverId", default)
    if sid not in c.server_ids:
        raise NotFound(f"Server not found with ID: {sid}")
    return sid


def call_911(c: Community, o: WireObject) -> str:
    return f"EMERGENCY CALL ADDED ID: {add_911(c, o)}"


def add_911(c: Community, o: WireObject) -> int:
    """Check and file a new emergency call; its id."""
    # The hot path (benchmarks push 100k+ objects/s): the common shape is checked inline,
    # the field readers only run to name a problem.
    get = o.get
    sid = get("serverId")
    if type(sid) is not int or sid not in c.server_ids:
        sid = _server(c, o)
    caller, location, description = get("caller"), get("location"), get("description")
    if type(caller) is not str or type(location) is not str or type(description) is not str:
        caller, location = req_str(o, "caller"), req_str(o, "location")
        description = req_str(o, "description")
    is_emergency = get("isEmergency", False)
    if type(is_emergency) is not bool:
        if is_emergency is not None:
            raise bad("isEmergency", "a boolean")
        is_emergency = False
    meta = opt_meta(o) if "metaData" in o else None
    minutes = opt_minutes(o) if "deleteAfterMinutes" in o else None
    record: WireObject = {
        "callId": 0,
        "isEmergency": is_emergency,
        "caller": caller,
        "location": location,
        "description": description,
    }
    if meta is not None:
        record["metaData"] = meta
    state = c.state
    call_id = state.add_call(state.emergency_calls, record, sid, minutes, c.now())
    state.record("CALL_911", call_id, o)
    return call_id


#: Sonoran.js sends CALL_911 as type 911_CALL with a positional object (see the reference).
_POSITIONAL_911: Final = (
    "serverId",
    "isEmergency",
    "caller",
    "location",
    "description",
    "metaData",
)


def call_911_positional(c: Community, o: WireObject) -> str:
    named = {name: o[str(i)] for i, name in enumerate(_POSITIONAL_911) if str(i) in o}
    return call_911(c, {**o, **named} if named else o)


def remove_911(c: Community, o: WireObject) -> str:
    sid = _server(c, o)
    call_id = int_id(o, "callId")
    c.state.remove_emergency(call_id, sid)
    c.state.record("REMOVE_911", call_id, o)
    return "API ID(s) set!"


def close_call(c: Community, o: WireObject) -> str:
    sid = _server(c, o, 1)
    call_id = int_id(o, "callId")
    c.state.close_dispatch(call_id, sid, _STATUS_CLOSED)
    c.state.record("CLOSE_CALL", call_id, o)
    return "UNITS ATTACHED"


def _dispatch_fields(o: WireObject) -> dict[str, Any]:
    """The dispatch fields present in `o` (null counts as absent), checked."""
    fields: dict[str, Any] = {}
    for name, value in (
        ("origin", opt_enum(o, "origin", ORIGINS, "0, 1, 2 or 3")),
        ("status", opt_enum(o, "status", STATUSES, "0, 1 or 2")),
        ("priority", opt_priority(o)),
        *((name, opt_str(o, name)) for name in _EDIT_STR_FIELDS),
        ("primary", opt_primary(o)),
        ("trackPrimary", opt_bool(o, "trackPrimary")),
        ("metaData", opt_meta(o)),
    ):
        if value is not None:
            fields[name] = value
    return fields


def new_dispatch(c: Community, o: WireObject) -> str:
    return f"NEW DISPATCH CREATED - ID: {add_dispatch(c, o)}"


def add_dispatch(c: Community, o: WireObject) -> int:
    """Check and file a new dispatch call; its id."""
    sid = _server(c, o)
    fields = _dispatch_fields(o)
    notes = opt_notes(o)
    units = str_list(o, "units")
    minutes = opt_minutes(o)
    record: WireObject = {
        "callId": 0,
        "origin": fields.pop("origin", 0),
        "status": fields.pop("status", 0),
        "priority": fields.pop("priority", 1),
        **{name: fields.pop(name, "") for name in _EDIT_STR_FIELDS},
        "notes": list(notes or ()),
        "idents": [],
        "units": list(units or ()),
        **fields,  # primary, trackPrimary, metaData when sent
    }
    state = c.state
    call_id = state.add_call(state.dispatch_calls, record, sid, minutes, c.now())
    state.record("NEW_DISPATCH", call_id, o)
    return call_id


def edit_dispatch(c: Community, o: WireObject) -> str:
    sid = _server(c, o)
    call_id = int_id(o, "callId")
    fields = _dispatch_fields(o)
    if not fields:
        raise ObjectError(MISSING_EDIT_FIELDS)
    c.state.find(c.state.dispatch_calls, call_id, sid).update(fields)
    c.state.record("EDIT_DISPATCH", call_id, o)
    return f"DISPATCH CALL {call_id} UPDATED"


def get_calls(c: Community, o: WireObject) -> dict[str, list[WireObject]]:
    sid = _server(c, o, 1)
    limit = o.get("closedLimit", 10) if o.get("closedLimit") is not None else 10
    if type(limit) is not int or not 1 <= limit <= 100:
        raise bad("closedLimit", "an integer from 1 to 100")
    offset = o.get("closedOffset") if o.get("closedOffset") is not None else 0
    if type(offset) is not int or offset < 0:
        raise bad("closedOffset", "a non-negative integer")
    call_type = o.get("type") if o.get("type") is not None else 100
    if type(call_type) is not int or call_type not in CALL_TYPES:
        raise bad("type", "0, 1 or 100")
    return c.state.snapshot(
        sid,
        every_server=len(c.server_ids) == 1,
        call_type=call_type,
        limit=limit,
        offset=offset,
        now=c.now(),
    )


# --- the bridge endpoints -------------------------------------------------------------------


def unit_location(c: Community, o: WireObject) -> str:
    api_id = req_str(o, "apiId")
    location = opt_str(o, "location") or ""
    coordinates = o.get("coordinates")
    c.state.set_unit(api_id, {"apiId": api_id, "location": location, "coordinates": coordinates})
    live_of(c).set_location(api_id, location)  # the unit identifiers' location too
    return "UNIT LOCATION UPDATED"


def _units(o: WireObject, *, idents: bool) -> tuple[list[str], str | None, list[int]]:
    units = str_list(o, "units") or []
    account = opt_str(o, "account")
    ident_ids = (int_list(o, "identIds") or []) if idents else []
    if not units and account is None and not ident_ids:
        raise ObjectError("ERROR: Missing required field: units, account or identIds")
    return units, account, ident_ids


def attach_unit(c: Community, o: WireObject) -> str:
    sid = _server(c, o)
    call_id = int_id(o, "callId")
    units, account, ident_ids = _units(o, idents=True)
    record = c.state.find(c.state.dispatch_calls, call_id, sid)
    record["units"] = list(
        dict.fromkeys([*record.get("units", []), *units, *([account] if account else [])])
    )
    record["idents"] = list(dict.fromkeys([*record["idents"], *ident_ids]))
    c.state.record("ATTACH_UNIT", call_id, o)
    return "UNITS ATTACHED"


def detach_unit(c: Community, o: WireObject) -> str:
    _server(c, o)
    units, account, _ = _units(o, idents=False)
    leaving = {*units, *([account] if account else [])}
    for record in c.state.dispatch_calls.values():
        if leaving & set(record.get("units", ())):
            record["units"] = [u for u in record["units"] if u not in leaving]
            c.state.record("DETACH_UNIT", record["callId"], o)
    return "UNITS DETACHED"


def add_call_note(c: Community, o: WireObject) -> str:
    sid = _server(c, o)
    call_id = int_id(o, "callId")
    note = req_str(o, "note")
    label = opt_str(o, "label") or ""
    record = c.state.find(c.state.dispatch_calls, call_id, sid)
    record["notes"].append({"time": "00:00:00", "label": label, "type": "text", "content": note})
    c.state.record("ADD_CALL_NOTE", call_id, o)
    return f"NOTE '{note}' added to call #{call_id}"


def set_call_postal(c: Community, o: WireObject) -> str:
    sid = _server(c, o)
    call_id = int_id(o, "callId")
    postal = o.get("postal")
    if type(postal) not in (str, int):
        raise bad("postal", "a string")
    c.state.find(c.state.dispatch_calls, call_id, sid)["postal"] = str(postal)
    c.state.record("SET_CALL_POSTAL", call_id, o)
    return f"CALL {call_id} POSTAL SET TO {postal}"


def set_call_primary(c: Community, o: WireObject) -> str:
    sid = _server(c, o)
    call_id = int_id(o, "callId")
    primary = int_id(o, "primary")
    track = opt_bool(o, "trackPrimary")
    record = c.state.find(c.state.dispatch_calls, call_id, sid)
    record["primary"] = primary
    if track is not None:
        record["trackPrimary"] = track
    c.state.record("SET_CALL_PRIMARY", call_id, o)
    return f"CALL {call_id} PRIMARY SET TO {primary}"


def get_version(c: Community, o: WireObject) -> str:
    """The plan's number, as Sonoran's integrations read it (the first digit)."""
    return str(c.plan_number)


def get_servers(c: Community, o: WireObject) -> dict[str, list[dict[str, Any]]]:
    return {"servers": [_server_config(sid) for sid in sorted(c.server_ids)]}


def _server_config(sid: int) -> dict[str, Any]:
    return {
        "id": sid,
        "name": f"Server {sid}",
        "description": "Emulated server",
        "signal": None,
        "mapUrl": "",
        "mapIp": "127.0.0.1",
        "mapPort": "30121",
        "differingOutbound": False,
        "outboundIp": "",
        "listenerPort": "3232",
        "enableMap": False,
        "mapType": "NORMAL",
        "isStatic": False,
    }


HANDLERS: Final[dict[str, Route]] = {
    "CALL_911": Route(call_911, "STANDARD"),
    "911_CALL": Route(call_911_positional, "STANDARD"),
    "REMOVE_911": Route(remove_911, "STANDARD"),
    "GET_CALLS": Route(get_calls, "PLUS"),
    "CLOSE_CALL": Route(close_call, "STANDARD"),  # the setting close_call_plan decides
    "EDIT_DISPATCH": Route(edit_dispatch, "PLUS"),
    "NEW_DISPATCH": Route(new_dispatch, "PLUS"),
    "UNIT_LOCATION": Route(unit_location, "STANDARD", nested_data=True, one_line=True),
    "ATTACH_UNIT": Route(attach_unit, "PLUS"),
    "DETACH_UNIT": Route(detach_unit, "PLUS"),
    "ADD_CALL_NOTE": Route(add_call_note, "PLUS"),
    "SET_CALL_POSTAL": Route(set_call_postal, "PLUS"),
    "SET_CALL_PRIMARY": Route(set_call_primary, "PLUS"),
    "GET_VERSION": Route(get_version, "FREE", empty_data=True),
    "GET_SERVERS": Route(get_servers, "STANDARD", empty_data=True),
} | {name: Route(handler, plan) for name, handler, plan, _, _ in LIVE_ROUTES}

#: Request types answered with JSON.
JSON_TYPES: Final = frozenset({"GET_CALLS", "GET_SERVERS"}) | LIVE_JSON_TYPES

_GENERAL: Final = ("GET_VERSION", "GET_SERVERS")
ROUTES: Final[dict[tuple[str, str], str]] = {
    ("general" if t in _GENERAL else "emergency", t.lower()): t
    for t in HANDLERS
    if t not in {name for name, *_ in LIVE_ROUTES}
} | {(category, path): name for name, _, _, category, path in LIVE_ROUTES}

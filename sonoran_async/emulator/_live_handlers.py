"""The v1 handlers of the lookups, unit reads and unit commands (entries of `HANDLERS`)."""

from __future__ import annotations

from typing import Any, Final

from ._fields import ObjectError, WireObject, bad, int_id, int_list, opt_bool, opt_str
from ._live import live_of, search_type


def _server(c: Any, o: WireObject) -> int:
    sid = int_id(o, "serverId", 1)
    if sid not in c.server_ids:
        raise ObjectError(f"Server not found with ID: {sid}")
    return sid


def lookup(c: Any, o: WireObject) -> dict[str, list[WireObject]]:
    found = live_of(c).search(o)
    return {
        "characters": [r for r in found if r.get("type") == 7],
        "records": [r for r in found if r.get("type") != 7],
    }


def lookup_int(c: Any, o: WireObject) -> list[WireObject]:
    kind = search_type(o.get("searchType"))
    value = o.get("value")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ObjectError("INVALID EMPTY SEARCH")
    return live_of(c).by_value(o, kind, value)


def get_characters(c: Any, o: WireObject) -> list[WireObject]:
    live = live_of(c)
    return live.characters(live.account_of(o))


def get_identifiers(c: Any, o: WireObject) -> WireObject:
    live = live_of(c)
    return live.identifiers_of(live.account_of(o))


def _flag(o: WireObject, name: str, default: bool) -> bool:
    value = opt_bool(o, name)
    return default if value is None else value


def get_active_units(c: Any, o: WireObject) -> list[WireObject]:
    sid = _server(c, o)
    limit = o.get("limit", 100) if o.get("limit") is not None else 100
    offset = o.get("offset", 0) if o.get("offset") is not None else 0
    if type(limit) is not int or not 1 <= limit <= 100:
        raise bad("limit", "an integer from 1 to 100")
    if type(offset) is not int or offset < 0:
        raise bad("offset", "a non-negative integer")
    return live_of(c).active_units(
        sid,
        only_units=_flag(o, "onlyUnits", True),
        include_offline=_flag(o, "includeOffline", False),
        limit=limit,
        offset=offset,
    )


def _targets(c: Any, o: WireObject, server_id: int | None) -> list[int]:
    api_id, account = opt_str(o, "apiId"), opt_str(o, "account")
    idents = int_list(o, "identIds") or []
    if api_id is None and account is None and not idents:
        raise ObjectError("ERROR: Missing required field: apiId, account or identIds")
    return live_of(c).matching(
        api_id=api_id, account=account, ident_ids=idents, server_id=server_id
    )


def unit_status(c: Any, o: WireObject) -> str:
    status = o.get("status")
    if type(status) is not int or status < 0:
        raise bad("status", "a unit status (integer)")
    sid = _server(c, o)
    live_of(c).set_status(_targets(c, o, sid), status)
    return "UNIT STATUS UPDATED"


def unit_panic(c: Any, o: WireObject) -> str:
    is_panic = opt_bool(o, "isPanic")
    if is_panic is None:
        raise bad("isPanic", "a boolean")
    sid = _server(c, o) if "serverId" in o else None
    live_of(c).set_panic(_targets(c, o, sid), is_panic, push=False)  # the API's: no push
    return "UNIT PANIC UPDATED"


#: (request type, handler, plan, category, path name)
LIVE_ROUTES: Final = (
    ("LOOKUP", lookup, "PLUS", "general", "lookup"),
    ("LOOKUP_INT", lookup_int, "PLUS", "general", "lookup_value"),
    ("GET_CHARACTERS", get_characters, "PLUS", "civilian", "get_characters"),
    ("GET_IDENTIFIERS", get_identifiers, "PLUS", "emergency", "get_identifiers"),
    ("GET_ACTIVE_UNITS", get_active_units, "PLUS", "emergency", "get_active_units"),
    ("UNIT_STATUS", unit_status, "STANDARD", "emergency", "unit_status"),
    ("UNIT_PANIC", unit_panic, "STANDARD", "emergency", "unit_panic"),
)
LIVE_JSON_TYPES: Final = frozenset(
    {"LOOKUP", "LOOKUP_INT", "GET_CHARACTERS", "GET_IDENTIFIERS", "GET_ACTIVE_UNITS"}
)

"""The v2 builders of the lookups, unit reads and unit commands: the `build` and `group`
of their `V2Route` rows (`_endpoints.py`), for requests that do not map field for field.

| request | v2 |
|---|---|
| LookupQuery | `POST v2/general/lookups` (notify by `notifyCommunityUserId`/`notifyAccountUuid`) |
| LookupIntQuery | `POST v2/general/lookups/by-value` (`searchType` by name, `value` as text) |
| CharactersQuery | `GET v2/civilian/characters?communityUserId=` or `accountUuid=` |
| IdentifiersQuery | `GET v2/emergency/accounts/{account}/identifiers` |
| ActiveUnitsQuery | `GET .../servers/{serverId}/units?includeOffline&onlyUnits&limit&offset` |
| UnitStatusUpdate | `PATCH .../units/status`: one status, many `communityUserIds`/`identIds` |
| UnitPanicUpdate | `PATCH .../units/panic`: likewise, one `isPanic` for many |

v1's `api_id` has no v2 form: a request naming a user by it is refused before sending.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from ._errors import ValidationError
from ._lookups import CharactersQuery, IdentifiersQuery, LookupIntQuery, LookupQuery
from ._units import ActiveUnitsQuery, UnitPanicUpdate, UnitStatusUpdate

#: (method, path relative to the base URL, JSON body or None)
Built = tuple[str, str, bytes | None]


def _no_api_id(request: Any) -> None:
    if getattr(request, "api_id", None) is not None:
        raise ValidationError(
            "api_id", "v2 has no API ids: name the user by community_user_id or account"
        )


def _server(request: Any, default: int) -> int:
    server: int | None = getattr(request, "server_id", None)
    return default if server is None else server


def _notify(request: Any, body: dict[str, Any]) -> dict[str, Any]:
    _no_api_id(request)
    if request.community_user_id is not None:
        body["notifyCommunityUserId"] = request.community_user_id
    if request.account is not None:
        body["notifyAccountUuid"] = request.account
    if request.types is not None:
        body["types"] = [int(t) for t in request.types]
    return body


def _lookup(request: LookupQuery, _: int) -> Built:
    body: dict[str, Any] = {
        "first": request.first,
        "last": request.last,
        "mi": request.mi,
        "plate": request.plate,
    }
    for name in ("partial", "agency", "department", "subdivision"):
        if getattr(request, name) is not None:
            body[name] = getattr(request, name)
    return "POST", "v2/general/lookups", orjson.dumps(_notify(request, body))


def _lookup_int(request: LookupIntQuery, _: int) -> Built:
    body: dict[str, Any] = {"searchType": request.search_type.name, "value": str(request.value)}
    for name in ("limit", "offset"):
        if getattr(request, name) is not None:
            body[name] = getattr(request, name)
    return "POST", "v2/general/lookups/by-value", orjson.dumps(_notify(request, body))


def _characters(request: CharactersQuery, _: int) -> Built:
    _no_api_id(request)
    if request.community_user_id is not None:
        query = {"communityUserId": request.community_user_id}
    else:
        query = {"accountUuid": request.account or ""}
    return "GET", f"v2/civilian/characters?{urlencode(query)}", None


def _identifiers(request: IdentifiersQuery, _: int) -> Built:
    if request.account is None:
        raise ValidationError("account", "v2 reads identifiers by account UUID only")
    return "GET", f"v2/emergency/accounts/{quote(request.account, safe='')}/identifiers", None


def _units(request: ActiveUnitsQuery, default: int) -> Built:
    query = urlencode(
        {
            "includeOffline": str(request.include_offline).lower(),
            "onlyUnits": str(request.only_units).lower(),
            "limit": request.limit,
            "offset": request.offset,
        }
    )
    return "GET", f"v2/emergency/servers/{_server(request, default)}/units?{query}", None


def command_group(request: UnitStatusUpdate | UnitPanicUpdate, default: int) -> Hashable:
    """Commands that can share one request: same server, same value, same way of naming."""
    value = request.status if isinstance(request, UnitStatusUpdate) else request.is_panic
    if request.account is not None:
        way: Hashable = ("account", request.account)
    else:
        way = "identIds" if request.ident_ids else "communityUserIds"
    return (_server(request, default), value, way)


def commands(requests: Sequence[UnitStatusUpdate | UnitPanicUpdate], default: int) -> Built:
    first = requests[0]
    for request in requests:
        _no_api_id(request)
    body: dict[str, Any] = {}
    if first.account is not None:
        body["accountUuid"] = first.account
    elif first.ident_ids:
        body["identIds"] = list(dict.fromkeys(i for r in requests for i in r.ident_ids))
    else:
        body["communityUserIds"] = list(dict.fromkeys(r.community_user_id for r in requests))
    if isinstance(first, UnitStatusUpdate):
        body["status"] = int(first.status)
        what = "status"
    else:
        body["isPanic"] = first.is_panic
        what = "panic"
    path = f"v2/emergency/servers/{_server(first, default)}/units/{what}"
    return "PATCH", path, orjson.dumps(body)


def _one(build: Callable[[Any, int], Built]) -> Callable[[Sequence[Any], int], Built]:
    """A builder of one request per object."""
    return lambda requests, default: build(requests[0], default)


lookup = _one(_lookup)
lookup_int = _one(_lookup_int)
characters = _one(_characters)
identifiers = _one(_identifiers)
units = _one(_units)

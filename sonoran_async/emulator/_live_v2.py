"""The v2 forms of the lookups, unit reads and unit commands, on the same `LiveState` as
v1 (`_live.py`), served through `V2Api`'s checks (key, limits, the OpenAPI document)."""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from ._fields import ObjectError, WireObject
from ._live import live_of, search_type
from ._v2 import Handler, V2Api
from ._v2_store import V2Error

_STATUS_NAMES: Final = {0: "UNAVAILABLE", 1: "BUSY", 2: "AVAILABLE", 3: "ENROUTE", 4: "ON_SCENE",
                        100: "OFFLINE"}  # fmt: skip
_UNPROCESSABLE: Final = "Unprocessable Entity"


class _Ops:
    def __init__(self, core: Any) -> None:
        self.core = core

    def _gate(self, request_type: str) -> Any:
        core = self.core
        if not core.api_enabled:
            raise V2Error(403, "Forbidden", "API is not enabled for this community.")
        if not core.plan_allows(request_type):
            raise V2Error(403, "Forbidden", "API endpoint is not enabled for this community.")
        core.stats.objects += 1
        return live_of(core)

    def _server(self, request: web.Request) -> int:
        sid = int(request.match_info["serverId"])
        if sid not in self.core.server_ids:
            raise V2Error(404, "Not Found", f"Server not found with ID: {sid}")
        return sid

    def units(self, request: web.Request, _: WireObject | None) -> Any:
        live = self._gate("GET_ACTIVE_UNITS")
        query = request.query
        limit, offset = int(query["limit"]), int(query["offset"])
        if not 1 <= limit <= 100 or offset < 0:
            raise V2Error(422, _UNPROCESSABLE, "limit must be 1-100 and offset >= 0.")
        return live.active_units(
            self._server(request),
            only_units=query["onlyUnits"] == "true",
            include_offline=query["includeOffline"] == "true",
            limit=limit,
            offset=offset,
        )

    def _targets(self, request: web.Request, body: WireObject) -> list[int]:
        live = live_of(self.core)
        sid = self._server(request)
        users = body.get("communityUserIds") or []
        if isinstance(body.get("communityUserId"), str):
            users = [*users, body["communityUserId"]]
        idents = body.get("identIds") or []
        account = body.get("accountUuid")
        if not users and not idents and not isinstance(account, str):
            raise V2Error(
                422,
                _UNPROCESSABLE,
                "A target (communityUserIds, accountUuid, identIds) is required.",
            )
        if not all(isinstance(u, str) for u in users) or not all(type(i) is int for i in idents):
            raise V2Error(
                422, _UNPROCESSABLE, "communityUserIds must be strings, identIds integers."
            )
        found = set(live.matching(ident_ids=idents, server_id=sid))
        for user in users:
            found |= set(live.matching(community_user_id=user, server_id=sid))
        if isinstance(account, str):
            found |= set(live.matching(account=account, server_id=sid))
        return sorted(found)

    def status(self, request: web.Request, body: WireObject | None) -> Any:
        live = self._gate("UNIT_STATUS")
        body = body or {}
        status = body.get("status")
        if type(status) is not int or status < 0:
            raise V2Error(422, _UNPROCESSABLE, "status must be a unit status integer.")
        updated = live.set_status(self._targets(request, body), status)
        return {"updated": updated, "status": _STATUS_NAMES.get(status, str(status))}

    def panic(self, request: web.Request, body: WireObject | None) -> Any:
        live = self._gate("UNIT_PANIC")
        body = body or {}
        if type(body.get("isPanic")) is not bool:
            raise V2Error(422, _UNPROCESSABLE, "isPanic must be a boolean.")
        updated = live.set_panic(self._targets(request, body), body["isPanic"], push=False)
        return {"updated": updated, "isPanic": body["isPanic"]}

    def lookup(self, _: web.Request, body: WireObject | None) -> Any:
        live = self._gate("LOOKUP")
        try:
            return live.search(body or {})
        except ObjectError as exc:
            raise V2Error(400, "Bad Request", exc.text) from None

    def by_value(self, _: web.Request, body: WireObject | None) -> Any:
        live = self._gate("LOOKUP_INT")
        body = body or {}
        try:
            return live.by_value(body, search_type(body.get("searchType")), body.get("value"))
        except ObjectError as exc:
            raise V2Error(422, _UNPROCESSABLE, exc.text) from None

    def _account(self, query: Any) -> str:
        live = live_of(self.core)
        account = query.get("accountUuid")
        if account is None and "communityUserId" in query:
            user = query["communityUserId"]
            account = next(
                (u["accId"] for u in live.identifiers.values()
                 if u["data"].get("communityUserId") == user), None,
            )  # fmt: skip
        if account is None:
            raise V2Error(404, "Not Found", "Community user is not linked to an account.")
        return str(account)

    def characters(self, request: web.Request, _: WireObject | None) -> Any:
        live = self._gate("GET_CHARACTERS")
        return live.characters(self._account(request.query))

    def identifiers(self, request: web.Request, _: WireObject | None) -> Any:
        live = self._gate("GET_IDENTIFIERS")
        found = live.identifiers_of(request.match_info["accountUuid"])
        return {"SelectedIdent": found["selectedIdent"], "Identifiers": found["identifiers"]}


def live_v2_routes(api: V2Api, core: Any) -> list[web.RouteDef]:
    """The routes, each through `api`'s checks; `core`'s `LiveState` answers them."""
    ops = _Ops(core)
    base = "/v2/emergency/servers/{serverId:[^/]+}"
    table: list[tuple[str, str, str, Handler]] = [
        ("GET", f"{base}/units", "getActiveUnits", ops.units),
        ("PATCH", f"{base}/units/status", "setUnitStatus", ops.status),
        ("PATCH", f"{base}/units/panic", "setUnitPanic", ops.panic),
        ("POST", "/v2/general/lookups", "lookupNameOrPlate", ops.lookup),
        ("POST", "/v2/general/lookups/by-value", "lookupByValue", ops.by_value),
        ("GET", "/v2/civilian/characters", "getCharacters", ops.characters),
        ("GET", "/v2/emergency/accounts/{accountUuid}/identifiers", "getIdentifiers",
         ops.identifiers),
    ]  # fmt: skip
    return [web.route(m, path, api._endpoint(op, handler, 200)) for m, path, op, handler in table]

"""The emulator's lookups, unit reads and unit commands refuse bad requests as the API does:
v1 with its documented error texts (400), v2 with problem details (403/404/422)."""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson
import pytest

from .conftest import Seeded

_V1_PATHS = {
    "GET_ACTIVE_UNITS": "/emergency/get_active_units",
    "LOOKUP_INT": "/general/lookup_value",
    "UNIT_STATUS": "/emergency/unit_status",
    "UNIT_PANIC": "/emergency/unit_panic",
}
_UNITS = "/v2/emergency/servers/{}/units"
_STATUS, _PANIC = _UNITS.format(1) + "/status", _UNITS.format(1) + "/panic"
_PAGE = {"onlyUnits": "true", "includeOffline": "false", "limit": "100", "offset": "0"}


async def _v1(seeded: Seeded, kind: str, data: dict[str, Any]) -> tuple[int, str]:
    body = {"id": "demo", "key": "demo-key", "type": kind, "data": [data]}
    async with (
        aiohttp.ClientSession() as http,
        http.post(seeded.url + _V1_PATHS[kind], json=body) as reply,
    ):
        return reply.status, await reply.text()


async def _v2(seeded: Seeded, method: str, path: str, **kw: Any) -> tuple[int, Any]:
    headers = {"Authorization": "Bearer demo-key"}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, seeded.url + path, headers=headers, **kw) as reply,
    ):
        return reply.status, await reply.json()


@pytest.mark.parametrize(
    ("kind", "data", "text"),
    [
        ("GET_ACTIVE_UNITS", {"serverId": 9}, "Server not found with ID: 9"),
        ("GET_ACTIVE_UNITS", {"limit": 0}, "Invalid field limit: must be an integer from 1 to 100"),
        ("GET_ACTIVE_UNITS", {"limit": 101}, "Invalid field limit"),
        ("GET_ACTIVE_UNITS", {"offset": -1}, "Invalid field offset: must be a non-negative"),
        ("GET_ACTIVE_UNITS", {"offset": "1"}, "Invalid field offset"),
        ("LOOKUP_INT", {"searchType": 2}, "INVALID EMPTY SEARCH"),
        ("LOOKUP_INT", {"searchType": 2, "value": "  "}, "INVALID EMPTY SEARCH"),
        ("UNIT_STATUS", {"status": 2}, "Missing required field: apiId, account or identIds"),
        ("UNIT_STATUS", {"status": -1, "apiId": "S:1"}, "Invalid field status"),
        ("UNIT_STATUS", {"status": 2, "apiId": "S:1", "serverId": 9}, "Server not found"),
        ("UNIT_PANIC", {"apiId": "S:1"}, "Invalid field isPanic: must be a boolean"),
        ("UNIT_PANIC", {"isPanic": True, "identIds": [], "serverId": 1}, "Missing required"),
    ],
)
async def test_v1_refusals_carry_the_documented_texts(
    seeded: Seeded, kind: str, data: dict[str, Any], text: str
) -> None:
    status, body = await _v1(seeded, kind, data)
    assert (status, text in body) == (400, True), body


async def test_v1_defaults_and_a_panic_on_a_named_server(seeded: Seeded) -> None:
    status, body = await _v1(seeded, "GET_ACTIVE_UNITS", {"limit": None, "offset": None})
    assert status == 200 and len(orjson.loads(body)) == len(seeded.live.online[1])
    (ident,) = seeded.live.online[1]
    data = {"isPanic": True, "identIds": [ident], "serverId": 1}
    assert await _v1(seeded, "UNIT_PANIC", data) == (200, "UNIT PANIC UPDATED")
    assert seeded.live.identifiers[ident]["isPanic"] is True


@pytest.mark.parametrize(
    ("method", "path", "kw", "status", "detail"),
    [
        ("GET", _UNITS.format(7), {"params": _PAGE}, 404, "Server not found with ID: 7"),
        ("GET", _UNITS.format(1), {"params": {**_PAGE, "limit": "0"}}, 422, "limit must be 1-100"),
        ("GET", _UNITS.format(1), {"params": {**_PAGE, "offset": "-1"}}, 422, "offset >= 0"),
        ("PATCH", _STATUS, {"json": {"status": -1}}, 422, "status must be"),
        ("PATCH", _STATUS, {"json": {"status": 2}}, 422, "A target"),
        (
            "PATCH",
            _STATUS,
            {"json": {"status": 2, "communityUserIds": [1]}},
            422,
            "communityUserIds must be strings",
        ),
        ("PATCH", _STATUS, {"json": {"status": 2, "identIds": ["1"]}}, 422, "identIds integers"),
        (
            "PATCH",
            _UNITS.format(7) + "/status",
            {"json": {"status": 2, "identIds": [1]}},
            404,
            "Server not found with ID: 7",
        ),
        (
            "PATCH",
            _PANIC,
            {"json": {"isPanic": 1, "identIds": [1]}},
            422,
            "isPanic must be a boolean.",
        ),
        (
            "POST",
            "/v2/general/lookups/by-value",
            {"json": {"searchType": 99, "value": 1}},
            422,
            "Invalid field searchType",
        ),
        ("GET", "/v2/civilian/characters", {}, 404, "not linked to an account"),
        (
            "GET",
            "/v2/civilian/characters",
            {"params": {"communityUserId": "nobody"}},
            404,
            "not linked to an account",
        ),
    ],
)
async def test_v2_refusals_are_problem_details(
    seeded: Seeded, method: str, path: str, kw: dict[str, Any], status: int, detail: str
) -> None:
    got, body = await _v2(seeded, method, path, **kw)
    assert (got, detail in body["detail"]) == (status, True), body
    assert body["status"] == status


async def test_v2_commands_target_by_community_user_and_account(seeded: Seeded) -> None:
    (ident,) = seeded.live.online[1]
    unit = seeded.live.identifiers[ident]
    path = _PANIC
    got = await _v2(seeded, "PATCH", path, json={"isPanic": True, "communityUserId": "license:1"})
    assert got == (200, {"updated": 1, "isPanic": True})
    assert unit["isPanic"] is True
    got = await _v2(seeded, "PATCH", path, json={"isPanic": False, "accountUuid": "acc-john"})
    assert got == (200, {"updated": 1, "isPanic": False})
    assert unit["isPanic"] is False
    nobody = {"isPanic": True, "communityUserId": "nobody", "accountUuid": "no-such-account"}
    assert await _v2(seeded, "PATCH", path, json=nobody) == (200, {"updated": 0, "isPanic": True})


async def test_v2_gates_an_api_that_is_not_enabled(seeded: Seeded) -> None:
    seeded.core.api_enabled = False
    got, body = await _v2(seeded, "GET", _UNITS.format(1), params=_PAGE)
    assert (got, body["detail"]) == (403, "API is not enabled for this community.")

"""v2 routes enter through the same `EmulatorCore.serve` as v1: injected faults, the
counters, the rate limit and the body limits apply to them, and a body the core's JSON
rules refuse is a 400, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest

from sonoran_async import Call911, OutcomeUnknownError

from .conftest import Both, start

AUTH = {"Authorization": "Bearer demo-key", "Content-Type": "application/json"}
CREATE = "/v2/emergency/servers/1/calls/911"
CALL = orjson.dumps({"caller": "Jane", "location": "Route 68", "description": "Fire"})


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(http: aiohttp.ClientSession, url: str, body: bytes) -> tuple[int, Any, str]:
    async with http.post(url, data=body, headers=AUTH) as resp:
        return resp.status, await resp.read(), resp.headers.get("Retry-After", "")


async def test_a_fault_injected_on_a_v2_create_is_retried_by_the_client(both: Both) -> None:
    both.core.inject("503")
    async with both.client(2) as cad:
        call_id = await cad.call_911(Call911(caller="Jane", location="Route 68"))
        stats = cad.stats
    assert (stats.retries, stats.requests) == (1, 2)
    assert both.api.requests["create911Call"] == 2
    assert both.core.stats.faults_by_kind == {"503": 1}
    assert list(both.core.state.emergency_calls) == [call_id]


async def test_a_500_after_applying_a_v2_create_is_outcome_unknown(both: Both) -> None:
    both.core.inject("500_after")
    async with both.client(2) as cad:
        with pytest.raises(OutcomeUnknownError):
            await cad.call_911(Call911(caller="Jane", location="Route 68"))
    assert both.core.stats.faults_by_kind == {"500_after": 1}
    assert len(both.core.state.emergency_calls) == 1  # applied: the reply was lost


@pytest.mark.parametrize(("fault", "status"), [("500", 500), ("503", 503), ("429", 429)])
async def test_faults_before_applying_answer_v2_and_apply_nothing(
    both: Both, http: aiohttp.ClientSession, fault: str, status: int
) -> None:
    both.core.inject(fault)
    got, body, retry_after = await post(http, both.url + CREATE, CALL)
    assert got == status
    if fault == "429":  # in v2's words: Retry-After and a request id
        assert retry_after == "1"
        assert set(orjson.loads(body)) == {"message", "request_id"}
        assert both.core.stats.rate_limited == 1
    assert (both.core.stats.faults, both.core.stats.requests) == (1, 1)
    assert both.core.state.log == []
    assert (await post(http, both.url + CREATE, CALL))[0] == 200  # the script is used up


async def test_a_reset_drops_the_v2_connection(both: Both, http: aiohttp.ClientSession) -> None:
    both.core.inject("reset")
    with pytest.raises(aiohttp.ClientConnectionError):
        await post(http, both.url + CREATE, CALL)
    assert both.core.stats.faults_by_kind == {"reset": 1}
    assert both.core.state.log == []


async def test_v2_requests_and_objects_are_counted_with_v1s(
    both: Both, http: aiohttp.ClientSession
) -> None:
    assert (await post(http, both.url + CREATE, CALL))[0] == 200
    async with both.client(1) as cad:
        await cad.call_911(Call911(caller="Jim", location="Route 1"))
    stats = both.core.stats
    assert (stats.requests, stats.objects, stats.per_type) == (2, 2, {"CALL_911": 2})


async def test_the_core_rate_limit_applies_to_v2(http: aiohttp.ClientSession) -> None:
    server, core, _ = await start(rate_limit=0.01)  # a burst of 1, then 1 per 100 s
    try:
        url = str(server.make_url(CREATE))
        first, _, _ = await post(http, url, CALL)
        second, body, retry_after = await post(http, url, CALL)
    finally:
        await server.close()
    assert (first, second) == (200, 429)
    assert set(orjson.loads(body)) == {"message", "request_id"} and int(retry_after) > 1
    assert (core.stats.rate_limited, len(core.state.emergency_calls)) == (1, 1)


async def test_the_core_body_limit_applies_to_v2(http: aiohttp.ClientSession) -> None:
    server, core, _ = await start(max_body_bytes=32)
    try:
        status, body, _ = await post(http, str(server.make_url(CREATE)), CALL)
    finally:
        await server.close()
    problem = orjson.loads(body)
    assert (status, problem["status"], problem["title"]) == (413, 413, "Request Entity Too Large")
    assert (core.stats.refused, core.state.log) == (1, [])


@pytest.mark.parametrize(
    "body",
    [
        b'{"caller": "\xff", "location": "L", "description": "D"}',  # not UTF-8
        b'{"caller": "J", "location": "L", "description": "D", "isEmergency": 1e400}',
        b"[" * 5000 + b"]" * 5000,  # nested 5,000 deep
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
        b'{"caller": "J", "location": "L", "description": "D", "metaData": '
        + b'{"a":' * 40
        + b"1"
        + b"}" * 41,  # past the core's max_depth (32)
        b'{"caller": "J", "location": "L", "description": "D", "x": NaN}',
    ],
)
async def test_bodies_v1_refuses_are_a_400_on_v2(
    both: Both, http: aiohttp.ClientSession, body: bytes
) -> None:
    status, reply, _ = await post(http, both.url + CREATE, body)
    problem = orjson.loads(reply)
    assert (status, problem["status"], problem["title"]) == (400, 400, "Bad Request")
    assert both.core.state.log == []


async def test_a_string_past_the_core_limit_is_a_400_on_v2(http: aiohttp.ClientSession) -> None:
    server, core, _ = await start(max_string=8)
    try:
        status, reply, _ = await post(http, str(server.make_url(CREATE)), CALL)
    finally:
        await server.close()
    assert (status, orjson.loads(reply)["detail"]) == (
        400,
        "A string in the request body is too long",
    )
    assert core.state.log == []


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "detail"),
    [
        ("PATCH", "/dispatch-calls/1", b"{}", 422, "ERROR: Missing editable dispatch fields"),
        ("PATCH", "/dispatch-calls/9", b'{"title": "T"}', 404, "Call not found with ID: 9"),
        ("POST", "/dispatch-calls/close", b'{"callIds": [9223372036854775808]}', 422, "callId"),
        ("POST", "/dispatch-calls/close", b'{"callIds": [8, 9]}', 404, "Call not found"),
        (
            "POST",
            "/dispatch-calls",
            b'{"origin": 0, "status": 0, "accounts": ["a"]}',
            422,
            "priority is required.",
        ),
        ("DELETE", "/calls/911/9", None, 404, "Call not found with ID: 9"),
    ],
)
async def test_the_store_answers_errors_by_their_type(
    both: Both,
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    body: bytes | None,
    status: int,
    detail: str,
) -> None:
    url = f"{both.url}/v2/emergency/servers/1{path}"
    async with http.request(method, url, data=body, headers=AUTH) as resp:
        problem = orjson.loads(await resp.read())
    assert (resp.status, problem["status"]) == (status, status)
    assert detail in problem["detail"]
    assert both.core.state.log == []


async def test_a_server_not_served_is_a_404_before_any_object(
    both: Both, http: aiohttp.ClientSession
) -> None:
    url = f"{both.url}/v2/emergency/servers/7/dispatch-calls/close"
    async with http.post(url, data=b'{"callIds": [1]}', headers=AUTH) as resp:
        problem = orjson.loads(await resp.read())
    assert (resp.status, problem["detail"]) == (404, "Server not found with ID: 7")


async def test_api_disabled_is_a_403_on_v2(both: Both, http: aiohttp.ClientSession) -> None:
    both.core.api_enabled = False
    status, reply, _ = await post(http, both.url + CREATE, CALL)
    assert (status, orjson.loads(reply)["detail"]) == (
        403,
        "API is not enabled for this community.",
    )

"""The emulator's v2 routes: Bearer auth, the OpenAPI check, the published limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest

from sonoran_async.emulator._v2 import PUBLISHED_LIMITS

from .conftest import Both, start

AUTH = {"Authorization": "Bearer demo-key"}
QUERY = "closedLimit=10&closedOffset=0&type=100"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> tuple[int, str, Any]:
    async with http.request(method, url, **kwargs) as resp:
        return resp.status, resp.content_type, orjson.loads(await resp.read())


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "Missing Authorization header."),
        ({"Authorization": "Basic demo-key"}, "API key is invalid."),
        ({"Authorization": "Bearer wrong"}, "API key is invalid."),
    ],
)
async def test_bearer_auth(
    both: Both, http: aiohttp.ClientSession, headers: dict[str, str], detail: str
) -> None:
    url = f"{both.url}/v2/emergency/servers/1/calls?{QUERY}"
    status, kind, body = await call(http, "GET", url, headers=headers)
    assert (status, kind, body["detail"], body["status"]) == (
        401,
        "application/problem+json",
        detail,
        401,
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v2/emergency/servers/1/calls", None),  # the query is required
        ("GET", "/v2/emergency/servers/1/calls?closedLimit=x&closedOffset=0&type=100", None),
        ("GET", f"/v2/emergency/servers/one/calls?{QUERY}", None),
        ("POST", "/v2/emergency/servers/1/calls/911", None),  # the body is required
        ("POST", "/v2/emergency/servers/1/calls/911", b"[1, 2]"),
        ("DELETE", "/v2/emergency/servers/1/calls/911/abc", None),
    ],
)
async def test_requests_are_checked_against_the_openapi_document(
    both: Both, http: aiohttp.ClientSession, method: str, path: str, body: bytes | None
) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    status, kind, problem = await call(http, method, both.url + path, headers=headers, data=body)
    assert (status, kind) == (400, "application/problem+json")
    assert problem["instance"] == path.split("?")[0]
    assert both.core.state.log == []


async def test_a_dispatch_call_needs_a_target(both: Both, http: aiohttp.ClientSession) -> None:
    body = orjson.dumps({"origin": 0, "status": 1, "priority": 1, "title": "T"})
    url = f"{both.url}/v2/emergency/servers/1/dispatch-calls"
    headers = {**AUTH, "Content-Type": "application/json"}
    status, _, problem = await call(http, "POST", url, headers=headers, data=body)
    assert status == 422
    assert "communityUserIds" in problem["detail"]


async def test_published_limits_answer_429_with_retry_after(http: aiohttp.ClientSession) -> None:
    server, _, api = await start(v2_limits=PUBLISHED_LIMITS)
    try:
        url = str(server.make_url(f"/v2/emergency/servers/1/calls?{QUERY}"))
        statuses = []
        for _ in range(6):
            async with http.get(url, headers=AUTH) as resp:
                statuses.append(resp.status)
                retry_after = resp.headers.get("Retry-After")
                body = orjson.loads(await resp.read())
    finally:
        await server.close()
    assert statuses == [200] * 5 + [429]
    assert body["message"] == "API rate limit exceeded"
    assert retry_after is not None and 1 <= int(retry_after) <= 60
    assert api.rate_limited == 1

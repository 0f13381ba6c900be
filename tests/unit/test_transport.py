"""AiohttpTransport against aioresponses: replies, body bytes, and failure classification."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

from sonoran_async import AiohttpTransport, Reply, TransportError

BASE = "https://api.sonorancad.com"
URL_911 = f"{BASE}/emergency/call_911"


@pytest.fixture
async def transport() -> Any:
    t = AiohttpTransport(BASE + "/", timeout=5)
    yield t
    await t.aclose()


def _calls(m: aioresponses, url: str = URL_911) -> list[Any]:
    assert m.requests is not None
    return list(m.requests.get(("POST", URL(url)), []))


async def test_post_returns_status_body_and_retry_after(
    mocked: aioresponses, transport: AiohttpTransport
) -> None:
    mocked.post(URL_911, status=429, body=b"slow down", headers={"Retry-After": "7"})
    reply = await transport.post("emergency/call_911", b"{}")
    assert reply == Reply(429, b"slow down", "7")


async def test_post_without_retry_after(mocked: aioresponses, transport: AiohttpTransport) -> None:
    mocked.post(URL_911, status=200, body="EMERGENCY CALL ADDED ID: 4")
    reply = await transport.post("emergency/call_911", b"{}")
    assert (reply.status, reply.body, reply.retry_after) == (
        200,
        b"EMERGENCY CALL ADDED ID: 4",
        None,
    )


async def test_post_sends_exact_bytes_as_json(
    mocked: aioresponses, transport: AiohttpTransport
) -> None:
    body = b'{"id":"c","key":"k","type":"CALL_911","data":[{"caller":"\xc3\xa9"}]}'
    mocked.post(URL_911, status=200, body="ok")
    await transport.post("emergency/call_911", body)
    (call,) = _calls(mocked)
    assert call.kwargs["data"] is body
    assert call.kwargs["headers"]["Content-Type"] == "application/json"


async def test_connection_refused_means_not_sent(
    mocked: aioresponses, transport: AiohttpTransport
) -> None:
    key = SimpleNamespace(host="api.sonorancad.com", port=443, ssl=True)
    refused = aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "Connection refused"))  # type: ignore[arg-type]
    mocked.post(URL_911, exception=refused)
    with pytest.raises(TransportError) as info:
        await transport.post("emergency/call_911", b"{}")
    assert info.value.request_sent is False
    assert "could not connect" in str(info.value)


async def test_connect_timeout_means_not_sent(
    mocked: aioresponses, transport: AiohttpTransport
) -> None:
    mocked.post(URL_911, exception=aiohttp.ConnectionTimeoutError("connect timed out"))
    with pytest.raises(TransportError) as info:
        await transport.post("emergency/call_911", b"{}")
    assert info.value.request_sent is False


@pytest.mark.parametrize(
    "exc",
    [
        asyncio.TimeoutError(),  # noqa: UP041 (the name aiohttp users catch; == TimeoutError)
        aiohttp.ServerTimeoutError("read timed out"),
        aiohttp.ClientOSError(104, "Connection reset by peer"),
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientPayloadError("broken"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_failures_after_sending_may_have_reached_the_server(
    mocked: aioresponses, transport: AiohttpTransport, exc: BaseException
) -> None:
    mocked.post(URL_911, exception=exc)
    with pytest.raises(TransportError) as info:
        await transport.post("emergency/call_911", b"{}")
    assert info.value.request_sent is True
    assert info.value.status is None


async def test_own_session_is_not_closed(mocked: aioresponses) -> None:
    mocked.post(URL_911, status=200, body="ok")
    async with aiohttp.ClientSession() as session:
        t = AiohttpTransport(BASE, session=session)
        assert (await t.post("emergency/call_911", b"{}")).body == b"ok"
        await t.aclose()
        assert not session.closed
    assert session.closed


async def test_owned_session_is_closed(mocked: aioresponses) -> None:
    mocked.post(URL_911, status=200, body="ok")
    t = AiohttpTransport(BASE)
    await t.post("emergency/call_911", b"{}")
    session = t._session
    assert session is not None and not session.closed
    await t.aclose()
    assert session.closed
    await t.aclose()  # twice is harmless


async def test_one_session_reused_across_posts(mocked: aioresponses) -> None:
    mocked.post(URL_911, status=200, body="ok", repeat=True)
    t = AiohttpTransport(BASE)
    try:
        await t.post("emergency/call_911", b"{}")
        first = t._session
        await t.post("emergency/call_911", b"{}")
        assert t._session is first
        assert len(_calls(mocked)) == 2
    finally:
        await t.aclose()


def test_transport_refuses_plain_http_to_remote_host() -> None:
    with pytest.raises(ValueError, match="plain http"):
        AiohttpTransport("http://api.sonorancad.com")

"""The proof rule and hostile replies over v2 (aioresponses stands in for the API)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aioresponses import aioresponses
from yarl import URL

from sonoran_async import (
    ApiError,
    Call911,
    CallNotFoundError,
    ClientState,
    CloseCall,
    DispatchEdit,
    EndpointNotEnabledError,
    InvalidApiKeyError,
    NewDispatch,
    OutcomeUnknownError,
    ProtocolError,
    RateLimitedError,
    RetryPolicy,
    ServerNotFoundError,
    SonoranClient,
)
from sonoran_async._transport import Reply

from ..virtual_clock import VirtualClock

BASE = "https://api.sonorancad.com"
KEY = "SECRET-API-KEY"
SERVER = f"{BASE}/v2/emergency/servers/1"
CREATE = f"{SERVER}/calls/911"
CALL = Call911(caller="John", location="Route 68")


def sent(m: aioresponses, method: str, url: str) -> list[Any]:
    """The requests made to `url` with `method`, in order."""
    assert m.requests is not None
    return list(m.requests.get((method, URL(url)), []))


def problem(status: int, detail: str) -> dict[str, Any]:
    return {
        "status": status,
        "body": orjson.dumps({"type": "x", "title": "T", "status": status, "detail": detail}),
        "content_type": "application/problem+json",
    }


@pytest.fixture
async def cad() -> AsyncIterator[SonoranClient]:
    client = SonoranClient(
        "community",
        KEY,
        api_version=2,
        rate_limit=None,
        retry=RetryPolicy(max_attempts=1),
        clock=VirtualClock(),
    )
    yield client
    await client.aclose()


async def test_create_sends_bearer_and_the_body_without_path_values(cad: SonoranClient) -> None:
    with aioresponses() as m:
        m.post(CREATE, status=200, payload={"callId": 302, "caller": "John"})
        assert await cad.call_911(CALL) == 302
        (request,) = sent(m, "POST", CREATE)
    headers = request.kwargs["headers"]
    assert headers["Authorization"] == f"Bearer {KEY}"
    assert orjson.loads(bytes(request.kwargs["data"])) == {
        "caller": "John",
        "location": "Route 68",
        "description": "",
        "isEmergency": True,
    }
    assert request.kwargs["allow_redirects"] is False


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 200, "body": b""},
        {"status": 200, "payload": {}},
        {"status": 200, "payload": {"callId": "302"}},
        {"status": 200, "payload": {"callId": 3.5}},
        {"status": 200, "payload": {"callId": True}},
        {"status": 200, "payload": [{"callId": 302}]},
        {"status": 200, "body": b"<html>Backend Service Reached</html>"},
        {"status": 204, "body": b""},
        {"status": 302, "body": b"", "headers": {"Location": "https://elsewhere"}},
        {"status": 404, "body": b"<html>Not Found</html>"},
        {"status": 403, "payload": {"message": "Forbidden"}},
        {"status": 502, "body": b"Bad Gateway"},
    ],
)
async def test_a_create_without_proof_is_outcome_unknown(
    cad: SonoranClient, reply: dict[str, Any]
) -> None:
    with aioresponses() as m:
        m.post(CREATE, **reply)
        with pytest.raises(OutcomeUnknownError):
            await cad.call_911(CALL)


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 200, "payload": {"callId": 8}},  # another call's id
        {"status": 200, "payload": {}},
        {"status": 200, "body": b"<html>ok</html>"},
        {"status": 301, "body": b""},
    ],
)
async def test_an_update_or_removal_must_name_its_own_call(
    cad: SonoranClient, reply: dict[str, Any]
) -> None:
    with aioresponses() as m:
        m.patch(f"{SERVER}/dispatch-calls/7", **reply)
        m.delete(f"{SERVER}/calls/911/7", **reply)
        with pytest.raises(ProtocolError):
            await cad.edit_dispatch(DispatchEdit(call_id=7, title="x"))
        with pytest.raises(ProtocolError):
            await cad.remove_911(7)


async def test_update_and_removal_proven_by_their_own_id(cad: SonoranClient) -> None:
    with aioresponses() as m:
        m.patch(f"{SERVER}/dispatch-calls/7", status=200, payload={"callId": 7, "title": "x"})
        m.delete(f"{SERVER}/calls/911/7", status=200, payload={"callId": 7, "serverId": 1})
        await cad.edit_dispatch(DispatchEdit(call_id=7, title="x"))
        await cad.remove_911(7)
        assert len(sent(m, "PATCH", f"{SERVER}/dispatch-calls/7")) == 1


async def test_close_ids_missing_from_the_reply_are_unproven(cad: SonoranClient) -> None:
    with aioresponses() as m:
        m.post(f"{SERVER}/dispatch-calls/close", status=200, payload={"callIds": [1, 3]})
        futures = [await cad.submit(CloseCall(call_id=i)) for i in (1, 2, 3)]
        await futures[0]
        await futures[2]
        with pytest.raises(ProtocolError):
            await futures[1]
        (request,) = sent(m, "POST", f"{SERVER}/dispatch-calls/close")
    assert futures[0].exception() is None and futures[2].exception() is None
    assert orjson.loads(bytes(request.kwargs["data"])) == {"callIds": [1, 2, 3]}


@pytest.mark.parametrize(
    ("status", "detail", "error"),
    [
        (401, "API key is invalid.", InvalidApiKeyError),
        (403, "API endpoint is not enabled for this community.", EndpointNotEnabledError),
        (404, "The requested serverId is not configured.", ServerNotFoundError),
        (404, "Call not found with ID: 7", CallNotFoundError),
        (422, "title is required.", ApiError),
    ],
)
async def test_problem_json_errors_map_to_the_same_exceptions(
    cad: SonoranClient, status: int, detail: str, error: type[ApiError]
) -> None:
    with aioresponses() as m:
        m.post(f"{SERVER}/dispatch-calls", **problem(status, detail))
        with pytest.raises(error) as caught:
            await cad.new_dispatch(NewDispatch(title="T"))
    assert type(caught.value) is error
    assert caught.value.status == status
    assert (cad.state is ClientState.FAILED) is (status == 401)


async def test_the_key_echoed_in_an_error_is_cut_out(cad: SonoranClient) -> None:
    with aioresponses() as m:
        m.post(CREATE, **problem(401, f"Key {KEY} is invalid."))
        with pytest.raises(InvalidApiKeyError) as caught:
            await cad.call_911(CALL)
    assert KEY not in str(caught.value)
    assert KEY not in repr(cad)


async def test_get_calls_reads_pascal_case_and_the_closed_count(cad: SonoranClient) -> None:
    reply = {
        "ActiveCalls": [{"callId": 501, "title": "Armed Robbery", "priority": 1}],
        "EmergencyCalls": {"callId": 302, "caller": "Jane Doe"},  # a lone object, as documented
        "ClosedCalls": [],
        "ClosedCallCount": 18,
    }
    url = f"{SERVER}/calls?closedLimit=20&closedOffset=5&type=100"
    with aioresponses() as m:
        m.get(url, status=200, payload=reply)
        snapshot = await cad.get_calls(closed_limit=20, closed_offset=5)
    assert [c.call_id for c in snapshot.active_calls] == [501]
    assert [c.caller for c in snapshot.emergency_calls] == ["Jane Doe"]
    assert snapshot.closed_call_count == 18


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"RateLimit-Reset": "9"}, 9.0),
        ({"X-RateLimit-Reset": "11"}, 11.0),
        ({"Retry-After": "junk", "RateLimit-Reset": "4", "X-RateLimit-Reset": "50"}, 4.0),
    ],
)
async def test_429_waits_what_its_headers_say(headers: dict[str, str], wait: float) -> None:
    clock = VirtualClock()
    limited = {"message": "API rate limit exceeded", "request_id": "r1"}
    async with SonoranClient("c", KEY, api_version=2, rate_limit=None, clock=clock) as cad:
        with aioresponses() as m:
            m.post(CREATE, status=429, payload=limited, headers=headers)
            m.post(CREATE, status=200, payload={"callId": 5})
            assert await cad.call_911(CALL) == 5
    assert clock.sleeps == [wait]
    assert cad.stats.rate_limited == 1


async def test_429_past_the_wait_allowed_fails_with_rate_limited() -> None:
    retry = RetryPolicy(max_rate_limit_wait=30)
    async with SonoranClient(
        "c", KEY, api_version=2, rate_limit=None, retry=retry, clock=VirtualClock()
    ) as cad:
        with aioresponses() as m:
            m.post(CREATE, status=429, payload={}, headers={"X-RateLimit-Reset": "60"})
            with pytest.raises(RateLimitedError) as caught:
                await cad.call_911(CALL)
    assert caught.value.retry_after == 60


def test_a_reset_header_may_be_a_unix_time() -> None:
    from sonoran_async._delivery import parse_reset, wait_of

    assert parse_reset("1700000030", now=1_700_000_000) == 30
    assert parse_reset("1699999990", now=1_700_000_000) is None
    assert parse_reset("nan") is None
    assert wait_of(Reply(429, b"", None, None, None)) is None


async def test_v2_needs_a_transport_that_can_send_any_method() -> None:
    class PostOnly:
        async def post(self, path: str, body: bytes) -> Reply:
            return Reply(200, b"")

        async def aclose(self) -> None:
            return None

    with pytest.raises(TypeError, match="request"):
        SonoranClient("c", KEY, api_version=2, transport=PostOnly())


async def test_the_key_stays_out_of_reprs_and_debug_logs(
    cad: SonoranClient, caplog: pytest.LogCaptureFixture
) -> None:
    from sonoran_async._endpoints import BY_TYPE
    from sonoran_async._v2 import V2Wire

    wire = V2Wire(KEY, 1)
    payload, _ = wire.encode(CALL, None, None)
    request = wire.build(BY_TYPE["CALL_911"], [_item(payload)])
    assert KEY not in repr(request) + repr(request.headers) + repr(wire)
    caplog.set_level("DEBUG", logger="sonoran_async")
    with aioresponses() as m:
        m.post(CREATE, status=200, payload={"callId": 1})
        await cad.call_911(CALL)
    assert "calls/911" in caplog.text
    assert KEY not in caplog.text


def _item(payload: bytes) -> Any:
    from sonoran_async._batch import Item

    return Item(payload, CALL, "", None, 0.0)  # type: ignore[arg-type]

"""Replies that prove nothing, from servers, gateways and proxies: one test per case of the
honest-outcomes issue. A call succeeds only on proof; a create that is unproven after
sending is OutcomeUnknownError (never a plain error, never a retry); REMOVE_911,
CLOSE_CALL and EDIT_DISPATCH are then ProtocolError (never success)."""

from __future__ import annotations

import asyncio
import gc
import logging
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import orjson
import pytest
from aioresponses import aioresponses
from yarl import URL

from sonoran_async import (
    ApiError,
    Call911,
    ClientClosedError,
    DispatchEdit,
    NewDispatch,
    OutcomeUnknownError,
    ProtocolError,
    RateLimitedError,
    ReconcilePolicy,
    Reply,
    RetryPolicy,
    ServerNotFoundError,
    SonoranClient,
)
from tests.virtual_clock import VirtualClock

BASE = "https://api.sonorancad.com"
KEY = "SECRET-KEY-0123456789"
CALL = Call911(caller="John Doe", location="1234 E. Test St.", description="Break-in")


def _calls(mock: aioresponses) -> dict[Any, Any]:
    """The recorded requests (aioresponses types them as optional)."""
    assert mock.requests is not None
    return mock.requests


def url(kind: str) -> str:
    return f"{BASE}/emergency/{kind}"


def requests_to(m: aioresponses, kind: str) -> int:
    return len(_calls(m).get(("POST", URL(url(kind))), []))


@pytest.fixture
async def client() -> AsyncIterator[SonoranClient]:
    cad = SonoranClient(
        "community",
        KEY,
        base_url=BASE,
        rate_limit=None,
        retry=RetryPolicy(max_attempts=3, base_delay=0, max_delay=0),
    )
    yield cad
    await cad.aclose()


# --- creates: a reply that proves nothing is unknown, never created, never a plain error ---


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, "Cloudflare Ray ID: 7d1f2a3b4c5d6e7f"),
        (200, "ERROR 1020 Ray ID: 7d1f2a3b"),
        (200, ""),
        (200, "<html><body>EMERGENCY CALL ADDED ID: 5</body></html>"),
        (200, '{"id": 5}'),
        (200, "Backend Service Reached"),
        (204, ""),
        (301, "Moved"),
        (200, "EMERGENCY CALL ADDED ID: 5\nPowered by a proxy"),
        (200, "EMERGENCY CALL ADDED ID: 5.7"),
    ],
)
async def test_create_without_proof_is_outcome_unknown(
    mocked: aioresponses, client: SonoranClient, status: int, body: str
) -> None:
    mocked.post(url("call_911"), status=status, body=body)
    with pytest.raises(OutcomeUnknownError):
        await client.call_911(CALL)
    assert requests_to(mocked, "call_911") == 1  # never re-sent


async def test_per_line_server_not_found_is_that_error_not_an_id(
    mocked: aioresponses, client: SonoranClient
) -> None:
    mocked.post(url("call_911"), status=200, body="Server not found with ID: 3")
    with pytest.raises(ServerNotFoundError):
        await client.call_911(CALL)


async def test_blank_lines_and_padding_around_the_proof_are_tolerated(
    mocked: aioresponses, client: SonoranClient
) -> None:
    mocked.post(url("call_911"), status=200, body="\r\n  emergency call added id: 42  \r\n\r\n")
    assert await client.call_911(CALL) == 42


@pytest.mark.parametrize("status", [502, 504, 500])
async def test_gateway_errors_after_sending_a_create_are_unknown_and_not_retried(
    mocked: aioresponses, client: SonoranClient, status: int
) -> None:
    mocked.post(url("new_dispatch"), status=status, body="Bad Gateway", repeat=True)
    with pytest.raises(OutcomeUnknownError):
        await client.new_dispatch(NewDispatch(title="Stop"))
    assert requests_to(mocked, "new_dispatch") == 1


async def test_503_is_still_retried_for_a_create(
    mocked: aioresponses, client: SonoranClient
) -> None:
    mocked.post(url("call_911"), status=503, body="Service Unavailable")
    mocked.post(url("call_911"), status=200, body="EMERGENCY CALL ADDED ID: 9")
    assert await client.call_911(CALL) == 9


# --- idempotent types: never success without proof --------------------------------------


ACTIONS: dict[str, Callable[[SonoranClient], Awaitable[None]]] = {
    "remove_911": lambda cad: cad.remove_911(5),
    "close_call": lambda cad: cad.close_call(5),
    "edit_dispatch": lambda cad: cad.edit_dispatch(DispatchEdit(call_id=5, title="x")),
}


@pytest.mark.parametrize("kind", list(ACTIONS))
@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, ""),
        (200, "<html><h1>It works</h1></html>"),
        (204, ""),
        (302, "Found"),
        (307, "Temporary Redirect"),
        (200, "Backend Service Reached"),
        (200, "Cloudflare Ray ID: 7d1f"),
    ],
)
async def test_idempotent_types_never_succeed_without_proof(
    mocked: aioresponses, client: SonoranClient, kind: str, status: int, body: str
) -> None:
    mocked.post(url(kind), status=status, body=body)
    with pytest.raises(ProtocolError):
        await ACTIONS[kind](client)


async def test_edit_reply_naming_another_call_is_no_proof(
    mocked: aioresponses, client: SonoranClient
) -> None:
    mocked.post(url("edit_dispatch"), status=200, body="DISPATCH CALL 99 UPDATED")
    with pytest.raises(ProtocolError):
        await client.edit_dispatch(DispatchEdit(call_id=5, title="x"))
    mocked.post(url("edit_dispatch"), status=200, body="DISPATCH CALL 5 UPDATED")
    await client.edit_dispatch(DispatchEdit(call_id=5, title="x"))  # proven: no error


# --- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [307, 308])
async def test_redirects_are_not_followed_and_the_body_goes_nowhere_else(
    mocked: aioresponses, status: int
) -> None:
    # aioresponses stands in for a server answering with a redirect to another host.
    m = mocked
    m.post(url("call_911"), status=status, headers={"Location": "http://evil.example/x"})
    m.post("http://evil.example/x", status=200, body="EMERGENCY CALL ADDED ID: 1")
    async with SonoranClient("c", KEY, base_url=BASE, rate_limit=None) as cad:
        with pytest.raises(OutcomeUnknownError):
            await cad.call_911(CALL)
    assert ("POST", URL("http://evil.example/x")) not in _calls(m)


# --- GET_CALLS --------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["[]", '{"message": "ok"}', "null", "<html/>"])
async def test_get_calls_without_a_snapshot_is_protocol_error_and_sent_once(
    mocked: aioresponses, client: SonoranClient, body: str
) -> None:
    mocked.post(url("get_calls"), status=200, body=body, repeat=True)
    with pytest.raises(ProtocolError):
        await client.get_calls()
    assert requests_to(mocked, "get_calls") == 1


async def test_one_odd_field_keeps_the_snapshot(
    mocked: aioresponses, client: SonoranClient
) -> None:
    call = {"callId": 7, "primary": "A-10", "postal": 1234, "priority": "high", "title": "Stop"}
    mocked.post(url("get_calls"), status=200, payload={"activeCalls": [call], "emergencyCalls": []})
    snapshot = await client.get_calls()
    (active,) = snapshot.active_calls
    assert (active.call_id, active.primary, active.postal, active.priority) == (
        7,
        "A-10",
        "1234",
        None,
    )
    assert active.raw["priority"] == "high" and active.title == "Stop"


async def test_a_non_integer_call_id_is_protocol_error(
    mocked: aioresponses, client: SonoranClient
) -> None:
    mocked.post(url("get_calls"), status=200, payload={"activeCalls": [{"callId": 5.7}]})
    with pytest.raises(ProtocolError):
        await client.get_calls()


# --- 429s: bounded whatever Retry-After says --------------------------------------------


class Always429:
    def __init__(self, retry_after: str | None) -> None:
        self.retry_after = retry_after
        self.requests = 0

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        self.requests += 1
        await asyncio.sleep(0)
        return Reply(429, b'{"message":"API rate limit exceeded"}', self.retry_after)

    async def aclose(self) -> None:
        return None


@pytest.mark.parametrize(
    "retry_after", ["0", "-5", "nan", "inf", "soon", "Wed, 21 Oct 2015 07:28:00 GMT", None]
)
async def test_useless_retry_after_still_ends_in_rate_limited_error(
    retry_after: str | None,
) -> None:
    server = Always429(retry_after)
    clock = VirtualClock()
    policy = RetryPolicy(base_delay=0.25, max_delay=2.0, max_rate_limit_wait=30.0)
    async with SonoranClient("c", KEY, transport=server, retry=policy, clock=clock) as cad:
        with pytest.raises(RateLimitedError):
            await cad.call_911(CALL)
    assert 1 < server.requests < 400  # bounded in attempts ...
    assert sum(clock.sleeps) <= 30.0 + 2.0  # ... and in (virtual) time


async def test_retry_none_makes_one_attempt() -> None:
    server = Always429("1")
    async with SonoranClient("c", KEY, transport=server, retry=None) as cad:
        with pytest.raises(RateLimitedError):
            await cad.call_911(CALL)
    assert server.requests == 1


# --- secrets ----------------------------------------------------------------------------


class Echo:
    """A server that echoes the request back in its error text."""

    def __init__(self, status: int) -> None:
        self.status = status

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        assert body is not None
        return Reply(self.status, b"ERROR: bad request " + bytes(body))

    async def aclose(self) -> None:
        return None


@pytest.mark.parametrize("status", [200, 400])
async def test_an_echoed_key_never_reaches_errors_or_frame_locals(status: int) -> None:
    async with SonoranClient("c", KEY, transport=Echo(status), rate_limit=None) as cad:
        with pytest.raises(ApiError) as caught:
            await cad.remove_911(5)
    error = caught.value
    assert KEY not in str(error) and KEY not in error.text and "***" in error.text
    for frame, _ in traceback.walk_tb(error.__traceback__):
        if "sonoran_async" in frame.f_code.co_filename:
            for name, value in frame.f_locals.items():
                assert KEY not in repr(value), (frame.f_code.co_name, name)


async def test_request_bodies_hide_the_key_in_reprs() -> None:
    from sonoran_async._codec import assemble, envelope_prefix

    body = assemble(envelope_prefix("c", KEY, "CALL_911"), [b"{}"])
    assert KEY in bytes(body).decode() and KEY not in repr(body)


@pytest.mark.parametrize(
    "base_url",
    [
        "https://user:s3cr3tpw@api.sonorancad.com",
        "https://api.sonorancad.com/?key=1",
        "https://api.sonorancad.com/#frag",
    ],
)
def test_base_url_with_userinfo_query_or_fragment_is_refused(base_url: str) -> None:
    with pytest.raises(ValueError) as caught:
        SonoranClient("c", KEY, base_url=base_url)
    assert "s3cr3tpw" not in str(caught.value)


# --- models ---------------------------------------------------------------------------------


async def test_plain_documented_integers_become_enum_members(
    mocked: aioresponses, client: SonoranClient
) -> None:
    from sonoran_async import CallsQuery, CallStatus, CallType, Origin

    assert NewDispatch(title="t", origin=1).origin is Origin.RADIO_DISPATCH
    assert DispatchEdit(call_id=1, status=1).status is CallStatus.ACTIVE
    assert CallsQuery(call_type=0).call_type is CallType.DISPATCH
    mocked.post(url("new_dispatch"), status=200, body="NEW DISPATCH CREATED - ID: 3")
    assert await client.new_dispatch(NewDispatch(title="t", origin=1)) == 3
    (call,) = _calls(mocked)[("POST", URL(url("new_dispatch")))]
    assert orjson.loads(call.kwargs["data"])["data"][0]["origin"] == 1


# --- event loops, close -----------------------------------------------------------------


def test_a_second_event_loop_gets_a_clear_error() -> None:
    class Fast:
        async def request(
            self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
        ) -> Reply:
            return Reply(200, b"EMERGENCY CALL ADDED ID: 1")

        async def aclose(self) -> None:
            return None

    cad = SonoranClient("c", KEY, transport=Fast(), rate_limit=None)
    assert asyncio.run(cad.call_911(CALL)) == 1
    with pytest.raises(RuntimeError, match="event loop"):
        asyncio.run(cad.call_911(CALL))


class Never:
    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        await asyncio.Event().wait()
        raise AssertionError

    async def aclose(self) -> None:
        return None


async def test_close_with_100000_queued_fails_them_all_and_returns() -> None:
    from sonoran_async import BatchPolicy

    policy = BatchPolicy(max_pending=200_000, max_in_flight=1, max_items=1)
    cad = SonoranClient(
        "c", KEY, transport=Never(), rate_limit=None, batch=policy, close_timeout=0.2
    )
    futures = [await cad.submit(CALL) for _ in range(100_000)]
    loop = asyncio.get_running_loop()
    started = loop.time()
    await cad.aclose()
    assert loop.time() - started < 0.2 + 5.0  # generous: the machine is shared
    errors = [type(f.exception()) for f in futures]
    assert errors.count(ClientClosedError) == 99_999
    assert errors.count(OutcomeUnknownError) == 1  # the one on the wire


async def test_get_calls_cancelled_before_close_leaves_no_unretrieved_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR)
    cad = SonoranClient("c", KEY, transport=Never(), rate_limit=None, close_timeout=0.05)
    task = asyncio.create_task(cad.get_calls())
    await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await cad.aclose()
    gc.collect()
    await asyncio.sleep(0)
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]


# --- round three: error lines as acknowledgements, repeated ids, snapshots -----------------


@pytest.mark.parametrize("kind", list(ACTIONS))
@pytest.mark.parametrize(
    "body",
    [
        "API IS NOT ENABLED FOR THIS COMMUNITY",
        "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY",
        "Missing editable dispatch fields",
        "Too Many Requests",
        "no healthy upstream",
    ],
)
async def test_an_error_line_is_never_an_acknowledgement(
    mocked: aioresponses, client: SonoranClient, kind: str, body: str
) -> None:
    mocked.post(url(kind), status=200, body=body)
    with pytest.raises((ApiError, ProtocolError)):
        await ACTIONS[kind](client)


async def test_one_id_on_every_line_proves_no_caller(
    mocked: aioresponses, client: SonoranClient
) -> None:
    mocked.post(url("call_911"), status=200, body="EMERGENCY CALL ADDED ID: 7\n" * 3)
    outcomes = await asyncio.gather(
        *(client.call_911(Call911(caller=f"c{i}", location="x")) for i in range(3)),
        return_exceptions=True,
    )
    assert all(isinstance(o, OutcomeUnknownError) for o in outcomes), outcomes
    assert requests_to(mocked, "call_911") == 1


class SnapshotServer:
    """Applies every CALL_911 object and answers one line; GET_CALLS answers `shape`."""

    def __init__(self, shape: str) -> None:
        self.shape = shape
        self.calls: list[dict[str, Any]] = []
        self.creates = 0
        self.lookups = 0

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        assert body is not None
        envelope = orjson.loads(bytes(body))
        await asyncio.sleep(0)
        if envelope["type"] != "GET_CALLS":
            self.creates += 1
            for obj in envelope["data"]:
                self.calls.append({**obj, "callId": len(self.calls) + 1})
            return Reply(200, f"EMERGENCY CALL ADDED ID: {len(self.calls)}".encode())
        self.lookups += 1
        return Reply(200, orjson.dumps(self._snapshot()))

    def _snapshot(self) -> dict[str, Any]:
        if self.shape == "{}":
            return {}
        calls = [dict(call) for call in self.calls]
        if self.shape == "meta_omitted":
            for call in calls:
                call.pop("metaData", None)
        elif self.shape == "meta_string":
            for call in calls:
                call["metaData"] = orjson.dumps(call.get("metaData")).decode()
        elif self.shape == "lagging_forever":  # the newest create never shows
            calls = calls[:-1]
        return {"activeCalls": [], "emergencyCalls": calls, "closedCalls": []}

    async def aclose(self) -> None:
        return None


@pytest.mark.parametrize("shape", ["{}", "meta_omitted", "meta_string", "lagging_forever"])
async def test_a_snapshot_that_does_not_echo_or_lags_never_causes_a_resend(shape: str) -> None:
    server = SnapshotServer(shape)
    async with SonoranClient(
        "c", KEY, transport=server, rate_limit=None, reconcile=ReconcilePolicy(recheck_after=0)
    ) as cad:
        outcomes = await asyncio.gather(
            *(cad.call_911(Call911(caller=f"c{i}", location="x")) for i in range(3)),
            return_exceptions=True,
        )
    assert server.creates == 1 and len(server.calls) == 3  # never re-sent
    assert 1 <= server.lookups <= 3  # bounded
    for outcome in outcomes:
        assert isinstance(outcome, int | OutcomeUnknownError), outcome
    if shape == "meta_string":  # tolerant of what servers send: the tokens are read
        assert outcomes == [1, 2, 3]

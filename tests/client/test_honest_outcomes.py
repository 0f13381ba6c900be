"""Issue #21 (round three): one regression test per item of the client's honesty fixes.

Each test failed on the code before its fix; the item number is in the test's name.
"""

from __future__ import annotations

import asyncio
import itertools
import traceback
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

import orjson
import pytest
from aiohttp import web

from sonoran_async import (
    AiohttpTransport,
    ApiError,
    ApiNotEnabledError,
    Call911,
    EndpointNotEnabledError,
    InvalidApiKeyError,
    MissingEditableFieldsError,
    OutcomeUnknownError,
    ProtocolError,
    RateLimit,
    RateLimitedError,
    ReconcilePolicy,
    Reply,
    RetryPolicy,
    SetCallPrimary,
    SonoranClient,
    TransportError,
    ValidationError,
    _outcomes,
    _reconcile,
    _wire,
)
from sonoran_async.emulator import Emulator
from tests.virtual_clock import VirtualClock

from .conftest import FAST_RETRY


async def test_item6_a_short_key_never_rewrites_reply_data() -> None:
    """With key `k`, `sonoranAsyncToken` in a snapshot must stay what the server sent."""
    async with Emulator(api_key="k", multi="first_only") as emu:
        async with SonoranClient(
            "demo",
            "k",
            base_url=emu.url,
            rate_limit=None,
            retry=FAST_RETRY,
            reconcile=ReconcilePolicy(recheck_after=0.01),  # the emulator is never stale
        ) as cad:
            outcomes = await asyncio.gather(
                *(cad.call_911(Call911(caller=f"c{i}", location="x")) for i in range(20)),
                return_exceptions=True,
            )
        made = Counter(o["caller"] for k, _, o in emu.state.log if k == "CALL_911")
    assert max(made.values()) == 1 and len(made) == 20
    assert all(isinstance(o, int) for o in outcomes)


class _EchoKey:
    def __init__(self, body: bytes) -> None:
        self.body = body

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        assert body is not None
        return Reply(400, self.body)

    async def aclose(self) -> None:
        return None


async def test_item6_the_key_is_still_cut_out_of_error_texts() -> None:
    key = "SECRET-KEY-6"
    server = _EchoKey(f"ERROR: bad key {key}".encode())
    async with SonoranClient("c", key, transport=server, rate_limit=None) as cad:
        try:
            await cad.remove_911(5)
        except ApiError as exc:
            error = exc
    assert key not in str(error) and key not in error.text and "***" in error.text


class _Fixed:
    """Answers every request with one status and body; counts requests."""

    def __init__(self, body: bytes, status: int = 200) -> None:
        self.body, self.status, self.requests = body, status, 0

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        assert body is not None
        self.requests += 1
        await asyncio.sleep(0)
        return Reply(self.status, self.body)

    async def aclose(self) -> None:
        return None


_ACK_ACTIONS: dict[str, Callable[[SonoranClient], Awaitable[None]]] = {
    "remove_911": lambda cad: cad.remove_911(5),
    "close_call": lambda cad: cad.close_call(5),
    "set_call_primary": lambda cad: cad.set_call_primary(SetCallPrimary(call_id=5, primary=3)),
}


@pytest.mark.parametrize("kind", list(_ACK_ACTIONS))
@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("API IS NOT ENABLED FOR THIS COMMUNITY", ApiNotEnabledError),
        ("API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY", EndpointNotEnabledError),
        ("INVALID API KEY", InvalidApiKeyError),
        ("Missing editable dispatch fields", MissingEditableFieldsError),
        ("Too Many Requests", ProtocolError),
        ("no healthy upstream", ProtocolError),
        ("upstream connect error or disconnect/reset before headers", ProtocolError),
        ("Service Temporarily Unavailable", ProtocolError),
        ("Under maintenance, back soon", ProtocolError),
        ("Rate limit exceeded", ProtocolError),
    ],
)
async def test_item3_an_error_line_is_never_an_acknowledgement(
    kind: str, body: str, error: type[Exception]
) -> None:
    server = _Fixed(body.encode())
    async with SonoranClient("c", "k3y", transport=server, rate_limit=None, retry=None) as cad:
        with pytest.raises(error):
            await _ACK_ACTIONS[kind](cad)
        if getattr(error, "fatal", False):  # a fatal error stops the client
            with pytest.raises(error):
                await cad.remove_911(6)
            assert server.requests == 1


@pytest.mark.parametrize("kind", list(_ACK_ACTIONS))
async def test_item3_plain_acknowledgements_still_succeed(kind: str) -> None:
    body = {"remove_911": "API ID(s) set!", "close_call": "UNITS ATTACHED"}.get(
        kind, "CALL 5 PRIMARY SET TO 3"
    )
    async with SonoranClient("c", "k3y", transport=_Fixed(body.encode()), rate_limit=None) as cad:
        await _ACK_ACTIONS[kind](cad)


async def test_item4_an_id_proves_at_most_one_object_of_a_reply() -> None:
    server = _Fixed(
        b"EMERGENCY CALL ADDED ID: 7\nEMERGENCY CALL ADDED ID: 7\nEMERGENCY CALL ADDED ID: 7"
    )
    async with SonoranClient("c", "k", transport=server, rate_limit=None) as cad:
        outcomes = await asyncio.gather(
            *(cad.call_911(Call911(caller=f"c{i}", location="x")) for i in range(3)),
            return_exceptions=True,
        )
    assert server.requests == 1
    assert all(isinstance(o, OutcomeUnknownError) for o in outcomes), outcomes


async def test_item4_distinct_ids_still_prove_each_object() -> None:
    server = _Fixed(
        b"EMERGENCY CALL ADDED ID: 7\nEMERGENCY CALL ADDED ID: 8\nEMERGENCY CALL ADDED ID: 7"
    )
    async with SonoranClient("c", "k", transport=server, rate_limit=None) as cad:
        outcomes = await asyncio.gather(
            *(cad.call_911(Call911(caller=f"c{i}", location="x")) for i in range(3)),
            return_exceptions=True,
        )
    assert outcomes[1] == 8
    assert isinstance(outcomes[0], OutcomeUnknownError)
    assert isinstance(outcomes[2], OutcomeUnknownError)


class _OneLineThenSnapshot:
    """Applies every CALL_911 object, answers one line; GET_CALLS shows them with their
    tokens. Records the request types it gets, with the (virtual) time of each."""

    def __init__(self, clock: VirtualClock | None = None, description: object = "") -> None:
        self.clock = clock
        self.description = description
        self.log: list[tuple[str, float]] = []
        self.calls: list[dict[str, object]] = []

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        assert body is not None
        envelope = orjson.loads(bytes(body))
        kind = envelope["type"]
        self.log.append((kind, self.clock.now if self.clock else 0.0))
        await asyncio.sleep(0)
        if kind == "GET_CALLS":
            return Reply(200, orjson.dumps({"emergencyCalls": self.calls}))
        for obj in envelope["data"]:
            self.calls.append(
                {
                    "callId": len(self.calls) + 1,
                    "caller": obj["caller"],
                    "location": obj["location"],
                    "description": self.description,
                    "metaData": obj.get("metaData"),
                }
            )
        return Reply(200, f"EMERGENCY CALL ADDED ID: {len(self.calls)}".encode())

    async def aclose(self) -> None:
        return None


class _CountingLimiter:
    def __init__(self) -> None:
        self.acquired = 0

    async def acquire(self, bucket: str, max_wait: float) -> float:
        self.acquired += 1
        return 0.0

    async def rate_limited(self, bucket: str, retry_after: float) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def test_item12_look_ups_take_their_slot_in_the_rate_budget() -> None:
    clock = VirtualClock()
    server = _OneLineThenSnapshot(clock)
    async with SonoranClient(
        "c", "k", transport=server, rate_limit=RateLimit(per_second=1, burst=1), clock=clock
    ) as cad:
        for round_ in range(3):
            ids = await asyncio.gather(
                *(cad.call_911(Call911(caller=f"c{round_}{i}", location="x")) for i in range(3))
            )
            assert len(set(ids)) == 3
    kinds = [kind for kind, _ in server.log]
    assert kinds.count("GET_CALLS") >= 3
    times = [at for _, at in server.log]
    assert all(b - a >= 0.99 for a, b in itertools.pairwise(times)), server.log


async def test_item12_every_request_asks_a_shared_limiter() -> None:
    limiter = _CountingLimiter()
    server = _OneLineThenSnapshot()
    async with SonoranClient("c", "k", transport=server, rate_limit=limiter) as cad:
        await asyncio.gather(
            *(cad.call_911(Call911(caller=f"c{i}", location="x")) for i in range(3))
        )
    assert limiter.acquired == len(server.log) == 2


async def test_item5_an_object_valued_description_never_ends_as_protocol_error() -> None:
    server = _OneLineThenSnapshot(description={"text": "odd"})
    async with SonoranClient(
        "c",
        "k",
        transport=server,
        rate_limit=None,
        reconcile=ReconcilePolicy(token_key=None, recheck_after=0),
    ) as cad:
        outcomes = await asyncio.gather(
            *(cad.call_911(Call911(caller=f"c{i}", location="x")) for i in range(3)),
            return_exceptions=True,
        )
    assert not [o for o in outcomes if isinstance(o, ProtocolError)], outcomes


async def test_item5_any_internal_failure_after_sending_a_create_is_outcome_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("unhashable type: 'dict'")

    monkeypatch.setattr(_outcomes, "read_reply", broken)
    monkeypatch.setattr(_wire, "read_reply", broken)
    server = _Fixed(b"EMERGENCY CALL ADDED ID: 1")
    async with SonoranClient("c", "k", transport=server, rate_limit=None) as cad:
        with pytest.raises(OutcomeUnknownError):
            await cad.call_911(Call911(caller="c", location="x"))
        with pytest.raises(ProtocolError):  # not a create: safe to retry
            await cad.remove_911(1)


async def test_item5_a_failing_look_up_leaves_the_outcome_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("unhashable type: 'dict'")

    monkeypatch.setattr(_reconcile, "tokens_on", broken, raising=False)
    monkeypatch.setattr(_reconcile, "_match_fields", broken)
    server = _OneLineThenSnapshot()
    async with SonoranClient("c", "k", transport=server, rate_limit=None) as cad:
        outcomes = await asyncio.gather(
            *(cad.call_911(Call911(caller=f"c{i}", location="x")) for i in range(3)),
            return_exceptions=True,
        )
    assert all(isinstance(o, OutcomeUnknownError) for o in outcomes), outcomes
    assert len(server.calls) == 3


class _BrokenLimiter:
    """A limiter that raises something other than RateLimitedError."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    async def acquire(self, bucket: str, max_wait: float) -> float:
        self.calls += 1
        raise self.error

    async def rate_limited(self, bucket: str, retry_after: float) -> None:
        raise self.error

    async def aclose(self) -> None:
        return None


@pytest.mark.parametrize("error", [ValueError("bad script reply"), KeyError("x"), OSError(5)])
async def test_item9_a_failing_limiter_fails_the_callers_and_never_hangs(error: Exception) -> None:
    limiter = _BrokenLimiter(error)
    server = _Fixed(b"EMERGENCY CALL ADDED ID: 1")
    cad = SonoranClient("c", "k", transport=server, rate_limit=limiter, close_timeout=1.0)
    outcomes = await asyncio.wait_for(
        asyncio.gather(
            *(cad.call_911(Call911(caller=f"c{i}", location="x")) for i in range(5)),
            cad.remove_911(3),
            return_exceptions=True,
        ),
        timeout=5,
    )
    assert all(isinstance(o, RateLimitedError) for o in outcomes), outcomes
    assert all(type(error).__name__ in str(o) for o in outcomes)
    assert server.requests == 0  # nothing was sent
    queued = [await cad.submit(Call911(caller=f"q{i}", location="x")) for i in range(50)]
    await asyncio.wait_for(cad.aclose(), timeout=5)
    assert all(f.done() for f in queued)
    assert limiter.calls <= 60  # one attempt per batch, no busy loop


async def test_item9_a_limiter_failing_on_a_429_fails_the_batch() -> None:
    class Always429:
        requests = 0

        async def request(
            self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
        ) -> Reply:
            self.requests += 1
            return Reply(429, b"", "1")

        async def aclose(self) -> None:
            return None

    class FailsLater(_CountingLimiter):
        async def rate_limited(self, bucket: str, retry_after: float) -> None:
            raise ValueError("redis said something odd")

    server = Always429()
    async with SonoranClient("c", "k", transport=server, rate_limit=FailsLater()) as cad:
        with pytest.raises(RateLimitedError):
            await asyncio.wait_for(cad.call_911(Call911(caller="c", location="x")), timeout=5)
    assert server.requests == 1


async def test_the_local_budget_works_on_a_clock_that_reads_negative() -> None:
    """A clock far behind (tests/redis skews them by hours) must not wait for hours."""
    clock = VirtualClock(start=-7200.0)
    server = _Fixed(b"EMERGENCY CALL ADDED ID: 1")
    async with SonoranClient(
        "c", "k", transport=server, rate_limit=RateLimit(per_second=1, burst=1), clock=clock
    ) as cad:
        assert await cad.call_911(Call911(caller="c", location="x")) == 1
    assert sum(clock.sleeps) < 1.0


class _Always429:
    def __init__(self) -> None:
        self.requests = 0

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        self.requests += 1
        await asyncio.sleep(0)
        return Reply(429, b"Too Many Requests")

    async def aclose(self) -> None:
        return None


async def test_item11_429s_without_a_wait_back_off_further_and_further_bounded() -> None:
    clock = VirtualClock()
    server = _Always429()
    policy = RetryPolicy(base_delay=0.25, max_delay=8.0, max_rate_limit_wait=60.0)
    async with SonoranClient(
        "c", "k", transport=server, rate_limit=None, retry=policy, clock=clock
    ) as cad:
        with pytest.raises(RateLimitedError):
            await cad.call_911(Call911(caller="c", location="x"))
    waits = [s for s in clock.sleeps if s > 0]
    assert max(waits) > 4.0  # grew (it stayed at 0.25-0.5 s)
    assert max(waits) <= 8.0  # bounded by max_delay
    assert waits[:4] == sorted(waits[:4])  # the first ones grow one after another
    assert server.requests < 30


@pytest.fixture
async def silent_tls_port() -> AsyncIterator[int]:
    """A TCP server that accepts and never answers: a TLS handshake there never ends."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_item10_a_connection_that_never_opens_is_not_sent_never_unknown(
    silent_tls_port: int,
) -> None:
    retry = RetryPolicy(max_attempts=2, base_delay=0, max_delay=0)
    async with SonoranClient(
        "c",
        "k",
        base_url=f"https://127.0.0.1:{silent_tls_port}",
        rate_limit=None,
        retry=retry,
        timeout=1.2,
    ) as cad:
        with pytest.raises(TransportError) as caught:
            await asyncio.wait_for(cad.call_911(Call911(caller="c", location="x")), 10)
        assert not caught.value.request_sent
        assert cad.stats.retries == 1  # retried: it never left


@pytest.fixture
async def big_reply_url() -> AsyncIterator[str]:
    """A server answering 3 MB of short lines to every POST."""

    async def big(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=b"ok\n" * 1_000_000)

    app = web.Application()
    app.router.add_post("/{tail:.*}", big)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_item13_a_reply_over_the_cap_is_a_clear_error(big_reply_url: str) -> None:
    transport = AiohttpTransport(big_reply_url, max_reply_bytes=1 << 20)
    retry = RetryPolicy(max_attempts=2, base_delay=0, max_delay=0)
    async with SonoranClient("c", "k3y", transport=transport, rate_limit=None, retry=retry) as cad:
        with pytest.raises(OutcomeUnknownError, match="over 1048576 bytes"):
            await cad.call_911(Call911(caller="c", location="x"))  # cut off: unknown
        with pytest.raises(TransportError, match="over 1048576 bytes"):
            await cad.remove_911(5)


def test_item13_a_reply_of_many_lines_is_never_split_or_joined_whole() -> None:
    from sonoran_async._endpoints import BY_TYPE
    from sonoran_async._outcomes import Unproven, read_reply

    body = b"EMERGENCY CALL ADDED ID: 1x\n" * 200_000  # 5.6 MB of lines for 3 objects
    requests = [Call911(caller=f"c{i}", location="x") for i in range(3)]
    tracemalloc.start()
    try:
        reading = read_reply(BY_TYPE["CALL_911"], requests, 200, body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, peak  # was 30+ MB: every line a string, then all joined
    assert all(isinstance(o, Unproven) and len(o.why) < 400 for o in reading.outcomes)


@pytest.mark.parametrize("key", ["abc\n", "abc\r\nX-Evil: 1", "a\x00b", "\tabc", "abc\x7f"])
def test_item14_a_key_with_a_control_character_is_refused_at_construction(key: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SonoranClient("c", key, api_version=2)
    assert key.strip() not in str(caught.value) and "control character" in str(caught.value)
    with pytest.raises(ValidationError):
        SonoranClient("c", key)


def test_item16_a_bad_api_version_leaves_no_key_in_any_frame() -> None:
    key = "SECRET-KEY-16"
    with pytest.raises(ValueError) as caught:
        SonoranClient("c", key, api_version=3)
    assert key not in str(caught.value)
    frames = [f for f, _ in traceback.walk_tb(caught.value.__traceback__)]
    assert any(f.f_code.co_name == "wire_for" for f in frames)
    for frame in frames:
        if "sonoran_async" in frame.f_code.co_filename:
            for name, value in frame.f_locals.items():
                assert key not in repr(value), (frame.f_code.co_name, name)


def test_item16_repr_of_a_half_built_client_does_not_raise() -> None:
    half = SonoranClient.__new__(SonoranClient)
    assert "SonoranClient" in repr(half)


class _ByPath:
    def __init__(self) -> None:
        self.paths: list[str] = []

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        self.paths.append(path)
        await asyncio.sleep(0)
        if path.endswith("get_version"):
            return Reply(200, b"4")
        if path.endswith("get_calls"):
            return Reply(200, b'{"activeCalls": [], "emergencyCalls": [], "closedCalls": []}')
        return Reply(200, b"EMERGENCY CALL ADDED ID: 1")

    async def aclose(self) -> None:
        return None


async def test_item18_the_snapshot_cache_serves_get_calls_only() -> None:
    server = _ByPath()
    async with SonoranClient(
        "c", "k", transport=server, rate_limit=None, calls_cache_max_age=60.0
    ) as cad:
        await cad.get_version()
        await cad.get_version()
        await cad.get_calls()
        await cad.get_calls()  # served from the cache
    assert server.paths == ["general/get_version", "general/get_version", "emergency/get_calls"]

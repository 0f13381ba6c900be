"""Redis down, silent, or restarted mid-run: each on_error mode as documented, bounded in
time (a generous `asyncio.timeout` proves no hang), nothing lost."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis

from sonoran_async import (
    BatchPolicy,
    Call911,
    RedisLimiterError,
    RedisRateLimit,
    SonoranClient,
    SonoranError,
)
from sonoran_async.emulator import Emulator

from .server import RedisServer, free_port

NO_HANG = 20.0  # seconds; far above any timeout used here


@pytest.fixture
async def silent_url() -> AsyncIterator[str]:
    """A server that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"redis://:s3cret@127.0.0.1:{port}/0"
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


@pytest.fixture
def down_url() -> str:
    return f"redis://:s3cret@127.0.0.1:{free_port()}/0"


@pytest.fixture(params=["down", "silent"])
def broken_url(request: pytest.FixtureRequest, down_url: str, silent_url: str) -> str:
    return down_url if request.param == "down" else silent_url


@pytest.fixture
def own_server(redis_binary: str) -> Iterator[RedisServer]:
    server = RedisServer(redis_binary)
    server.start()
    yield server
    server.close()


def _client(emu: Emulator, limiter: RedisRateLimit) -> SonoranClient:
    return SonoranClient(
        "demo", "demo-key", base_url=emu.url, rate_limit=limiter, batch=BatchPolicy(max_items=1)
    )


def _call(n: int) -> Call911:
    return Call911(caller=f"c{n}", location="Route 68")


def _redis_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "Redis" in r.getMessage()
    ]


def _created(emu: Emulator) -> Counter[str]:
    return Counter(obj["caller"] for _, _, obj in emu.state.log)


async def test_raise_fails_the_call_naming_redis_and_sends_nothing(broken_url: str) -> None:
    limiter = RedisRateLimit(broken_url, per_second=100, timeout=0.3)
    async with Emulator() as emu, _client(emu, limiter) as cad:
        async with asyncio.timeout(NO_HANG):
            with pytest.raises(RedisLimiterError) as caught:
                await cad.call_911(_call(0))
        assert emu.stats.requests == 0
    assert isinstance(caught.value, SonoranError)
    assert "Redis" in str(caught.value) and "127.0.0.1" in str(caught.value)
    assert "s3cret" not in str(caught.value) + repr(caught.value.__cause__)


async def test_local_falls_back_with_one_warning(
    broken_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RedisRateLimit(broken_url, per_second=100, on_error="local", timeout=0.3)
    async with Emulator() as emu, _client(emu, limiter) as cad:
        async with asyncio.timeout(NO_HANG):
            ids = [await cad.call_911(_call(n)) for n in range(5)]
            more = await asyncio.gather(*(cad.call_911(_call(n)) for n in range(5, 10)))
        assert limiter.local_fallback
        assert _created(emu) == Counter(f"c{n}" for n in range(10))
        assert sorted(ids + more) == sorted(emu.state.emergency_calls)
    assert len(_redis_warnings(caplog)) == 1
    assert "s3cret" not in caplog.text


async def test_local_survives_a_restart_and_goes_back_to_redis(
    own_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RedisRateLimit(
        own_server.url,
        per_second=100,
        on_error="local",
        timeout=0.5,
        recheck_after=0.1,
    )
    async with Emulator() as emu, _client(emu, limiter) as cad:
        async with asyncio.timeout(NO_HANG):
            for n in range(5):
                await cad.call_911(_call(n))
            await asyncio.to_thread(own_server.stop)
            for n in range(5, 10):
                await cad.call_911(_call(n))
            assert limiter.local_fallback
            await asyncio.to_thread(own_server.start)  # empty: no script, no state
            n = 10
            while limiter.local_fallback:  # bounded by NO_HANG; a recheck is due every 0.1 s
                await cad.call_911(_call(n))
                n += 1
            for last in range(n, n + 5):
                await cad.call_911(_call(last))
        assert _created(emu) == Counter(f"c{i}" for i in range(last + 1))
    async with aioredis.Redis.from_url(own_server.url) as plain:
        assert await plain.exists("sonoran-async:{demo}:v1:v1")  # booked on the new server
    assert len(_redis_warnings(caplog)) == 1


async def test_raise_fails_only_the_calls_made_while_redis_was_away(
    own_server: RedisServer,
) -> None:
    limiter = RedisRateLimit(own_server.url, per_second=100, timeout=0.5)
    outcomes: dict[str, int | BaseException] = {}
    async with Emulator() as emu, _client(emu, limiter) as cad:

        async def call(n: int) -> None:
            try:
                outcomes[f"c{n}"] = await cad.call_911(_call(n))
            except RedisLimiterError as exc:
                outcomes[f"c{n}"] = exc

        async with asyncio.timeout(NO_HANG):
            for n in range(5):
                await call(n)
            await asyncio.to_thread(own_server.stop)
            for n in range(5, 10):
                await call(n)
            await asyncio.to_thread(own_server.start)
            for n in range(10, 20):
                await call(n)
        created = _created(emu)
    failed = {caller for caller, outcome in outcomes.items() if isinstance(outcome, Exception)}
    assert failed == {f"c{n}" for n in range(5, 10)}  # and the first call after works
    assert not failed & set(created)  # a call that failed was never sent
    assert set(created.values()) == {1}
    assert set(created) == set(outcomes) - failed

"""Rate limit, latency and fault injection."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
import pytest

from sonoran_async.emulator import Emulator, Faults

OBJ = {"serverId": 1, "isEmergency": False, "caller": "c", "location": "l", "description": "d"}


RESET = (0, "reset")


async def send(api: Any, emu: Emulator) -> tuple[int, str]:
    """Post one CALL_911; the (status, text), or RESET if the connection dropped."""
    try:
        r = await api.post(emu, "CALL_911", [OBJ])
    except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError):
        return RESET
    return (r.status, r.text)


async def test_rate_limit_429_nothing_applied(sonoran_emulator_factory: Any, api: Any) -> None:
    emu = await sonoran_emulator_factory(rate_limit=2)
    r1 = await api.post(emu, "CALL_911", [OBJ])
    r2 = await api.post(emu, "CALL_911", [OBJ])
    r3 = await api.post(emu, "CALL_911", [OBJ, OBJ])
    assert (r1.status, r2.status, r3.status) == (200, 200, 429)
    assert r3.json() == {"message": "API rate limit exceeded"}
    assert r3.content_type == "application/json"
    assert r3.headers["Retry-After"] == "1"
    assert len(emu.state.emergency_calls) == 2
    assert (emu.stats.requests, emu.stats.rate_limited, emu.stats.objects) == (3, 1, 2)


async def test_rate_limit_retry_after_whole_seconds(
    sonoran_emulator_factory: Any, api: Any
) -> None:
    emu = await sonoran_emulator_factory(rate_limit=0.25)
    assert (await api.post(emu, "CALL_911", [OBJ])).status == 200
    r = await api.post(emu, "CALL_911", [OBJ])
    assert r.status == 429
    assert r.headers["Retry-After"] == "4"


async def test_rate_limit_refills(sonoran_emulator_factory: Any, api: Any) -> None:
    emu = await sonoran_emulator_factory(rate_limit=20)
    statuses = [(await api.post(emu, "CALL_911", [OBJ])).status for _ in range(25)]
    assert statuses.count(429) >= 1
    await asyncio.sleep(0.12)  # two tokens back
    assert (await api.post(emu, "CALL_911", [OBJ])).status == 200
    emu.set_rate_limit(None)
    assert {(await api.post(emu, "CALL_911", [OBJ])).status for _ in range(30)} == {200}


async def test_scripted_faults(
    sonoran_emulator: Emulator, api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    emu = sonoran_emulator
    emu.faults = Faults(slow_seconds=0.3)
    emu.inject("503", "500", "500_after", "reset", "reset_after", "429", "ok")
    caplog.set_level(logging.DEBUG)
    results = [await send(api, emu) for _ in range(7)]
    assert results[0] == (503, "Service Unavailable")
    assert results[1] == (500, "Internal Server Error")
    assert results[2] == (500, "Internal Server Error")
    assert results[3] == RESET
    assert results[4] == RESET
    assert results[5][0] == 429
    assert results[6] == (200, "EMERGENCY CALL ADDED ID: 3")
    # Applied: 500_after (id 1), reset_after (id 2), ok (id 3).
    assert [cid for _, cid, _ in emu.state.log] == [1, 2, 3]
    assert (emu.stats.faults, emu.stats.rate_limited, emu.stats.requests) == (6, 1, 7)
    emu.inject("slow")
    start = time.monotonic()
    assert await send(api, emu) == (200, "EMERGENCY CALL ADDED ID: 4")
    assert time.monotonic() - start >= 0.3
    assert await send(api, emu) == (200, "EMERGENCY CALL ADDED ID: 5")
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert noisy == []


async def test_reset_looks_like_connection_drop(sonoran_emulator: Emulator) -> None:
    sonoran_emulator.inject("reset")
    body = {"id": "demo", "key": "demo-key", "type": "CALL_911", "data": [OBJ]}
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            async with session.post(sonoran_emulator.url + "/emergency/call_911", json=body) as r:
                await r.read()
        # The same session keeps working afterwards.
        async with session.post(sonoran_emulator.url + "/emergency/call_911", json=body) as r:
            assert r.status == 200
    assert len(sonoran_emulator.state.emergency_calls) == 1


@pytest.mark.parametrize(
    ("faults", "expected", "applied"),
    [
        (Faults(error_503=1), (503, "Service Unavailable"), 0),
        (Faults(error_500=1), (500, "Internal Server Error"), 0),
        (Faults(error_500_after=1), (500, "Internal Server Error"), 3),
        (Faults(reset_before=1), RESET, 0),
        (Faults(reset_after=1), RESET, 3),
    ],
)
async def test_random_fault_kinds(
    sonoran_emulator_factory: Any, api: Any, faults: Faults, expected: object, applied: int
) -> None:
    emu = await sonoran_emulator_factory(faults=faults)
    assert [await send(api, emu) for _ in range(3)] == [expected] * 3
    assert len(emu.state.emergency_calls) == applied
    assert emu.stats.faults == 3


async def test_random_slow(sonoran_emulator_factory: Any, api: Any) -> None:
    emu = await sonoran_emulator_factory(faults=Faults(slow=1, slow_seconds=0.2))
    start = time.monotonic()
    assert await send(api, emu) == (200, "EMERGENCY CALL ADDED ID: 1")
    assert time.monotonic() - start >= 0.2


async def test_seeded_faults_are_deterministic(sonoran_emulator_factory: Any, api: Any) -> None:
    runs = []
    for _ in range(2):
        emu = await sonoran_emulator_factory(faults=Faults(error_503=0.3, error_500=0.2, seed=42))
        runs.append([(await send(api, emu))[0] for _ in range(40)])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 500, 503}
    emu = await sonoran_emulator_factory(faults=Faults(error_503=0.3, error_500=0.2, seed=43))
    assert [(await send(api, emu))[0] for _ in range(40)] != runs[0]


async def test_scripted_before_random_and_faults_changeable(
    sonoran_emulator_factory: Any, api: Any
) -> None:
    emu = await sonoran_emulator_factory(faults=Faults(error_503=1))
    emu.inject("ok", "500")
    assert [(await send(api, emu))[0] for _ in range(3)] == [200, 500, 503]
    emu.faults = Faults()
    assert (await send(api, emu))[0] == 200


async def test_latency(sonoran_emulator_factory: Any, api: Any) -> None:
    emu = await sonoran_emulator_factory(latency=0.2)
    start = time.monotonic()
    assert (await send(api, emu))[0] == 200
    assert time.monotonic() - start >= 0.2


def test_fault_settings_validated() -> None:
    with pytest.raises(ValueError, match="probability"):
        Faults(error_503=1.5)
    with pytest.raises(ValueError, match="more than 1"):
        Faults(error_503=0.6, reset_after=0.6)
    with pytest.raises(ValueError, match="unknown fault"):
        Emulator().inject("ok", "boom")

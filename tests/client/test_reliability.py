"""Rate limits, retries, honest outcomes and fatal stops, against the emulator's faults."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest

from sonoran_async import (
    BatchPolicy,
    Call911,
    ClientClosedError,
    DispatchEdit,
    InvalidApiKeyError,
    NewDispatch,
    OutcomeUnknownError,
    RateLimitedError,
    RetryPolicy,
    SonoranClient,
    SonoranError,
    TransportError,
)
from sonoran_async._delivery import parse_retry_after
from sonoran_async.emulator import Faults
from sonoran_async.testing import EmulatorFactory

from .conftest import FAST_RETRY, client_for, created_911

SECRET = "s3cr3t-KEY-never-logged"


async def test_429_waits_retry_after_then_resends_once(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory()
    emu.inject("429")
    loop = asyncio.get_running_loop()
    async with client_for(emu) as cad:
        started = loop.time()
        call_id = await cad.call_911(Call911(caller="patient", location="x"))
        waited = loop.time() - started
        assert cad.stats.rate_limited == 1
    assert emu.stats.requests == 2 and emu.stats.rate_limited == 1
    assert waited >= 0.9  # the emulator's Retry-After is one second: it was honoured
    assert emu.state.emergency_calls[call_id]["caller"] == "patient"
    assert created_911(emu) == {"patient": 1}


async def test_429_beyond_the_wait_cap_becomes_rate_limited_error(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory()
    emu.inject("429")
    retry = RetryPolicy(base_delay=0.005, max_rate_limit_wait=0.5)
    async with client_for(emu, retry=retry) as cad:
        with pytest.raises(RateLimitedError) as caught:
            await cad.call_911(Call911(caller="x", location="y"))
    assert caught.value.retry_after == 1.0
    assert created_911(emu) == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        ("0.5", 0.5),
        ("-2", None),
        ("0", None),
        ("nan", None),
        ("inf", None),
        ("Wed, 21 Oct 2015 07:27:10 GMT", None),
        ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
        ("soon", None),
    ],
)
def test_retry_after_seconds_or_http_date(value: str, expected: float | None) -> None:
    now = 1445412480.0  # 07:28:00 on that date
    assert parse_retry_after(value, now=now) == expected


async def test_503_is_retried_for_creates(sonoran_emulator_factory: EmulatorFactory) -> None:
    emu = await sonoran_emulator_factory()
    emu.inject("503", "503")
    async with client_for(emu) as cad:
        call_id = await cad.call_911(Call911(caller="x", location="y"))
        assert cad.stats.retries == 2
    assert emu.stats.requests == 3
    assert list(emu.state.emergency_calls) == [call_id]


@pytest.mark.parametrize("fault", ["500_after", "reset_after"])
async def test_create_applied_then_failed_is_outcome_unknown_and_not_resent(
    sonoran_emulator_factory: EmulatorFactory, fault: str
) -> None:
    emu = await sonoran_emulator_factory()
    emu.inject(fault)
    async with client_for(emu) as cad:
        with pytest.raises(OutcomeUnknownError):
            await cad.call_911(Call911(caller="maybe", location="y"))
        assert cad.stats.outcome_unknown == 1
    assert emu.stats.requests == 1
    assert created_911(emu) == {"maybe": 1}  # it does exist, exactly once


async def test_reset_before_apply_on_a_create_is_still_outcome_unknown(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    # The client cannot tell a reset before applying from one after: it must not guess.
    emu = await sonoran_emulator_factory()
    emu.inject("reset")
    async with client_for(emu) as cad:
        with pytest.raises(OutcomeUnknownError):
            await cad.new_dispatch(NewDispatch(title="maybe"))
    assert emu.state.dispatch_calls == {}


@pytest.mark.parametrize("fault", ["500_after", "reset_after", "reset", "500"])
async def test_idempotent_edit_is_retried_through_any_fault(
    sonoran_emulator_factory: EmulatorFactory, fault: str
) -> None:
    emu = await sonoran_emulator_factory()
    async with client_for(emu) as cad:
        dispatch_id = await cad.new_dispatch(NewDispatch(title="Traffic Stop"))
        emu.inject(fault)
        await cad.edit_dispatch(DispatchEdit(call_id=dispatch_id, title="Felony Stop"))
        assert cad.stats.retries == 1
        await cad.close_call(dispatch_id)
    assert emu.state.closed_calls[0]["title"] == "Felony Stop"


async def test_nothing_listening_is_retried_then_a_transport_error(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory()
    url = emu.url
    await emu.stop()
    retry = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.001)
    async with client_for(emu, base_url=url, retry=retry) as cad:
        with pytest.raises(TransportError) as caught:
            await cad.call_911(Call911(caller="x", location="y"))
        assert caught.value.request_sent is False
        assert cad.stats.requests == 3


async def test_fatal_error_stops_the_client_from_sending(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory(api_key="right-key")
    async with client_for(emu) as cad:  # uses "demo-key"
        outcomes = await asyncio.gather(
            *(cad.call_911(Call911(caller=f"c{i}", location="y")) for i in range(5)),
            return_exceptions=True,
        )
        assert all(isinstance(o, InvalidApiKeyError) for o in outcomes)
        with pytest.raises(InvalidApiKeyError):
            await cad.call_911(Call911(caller="again", location="y"))
        with pytest.raises(InvalidApiKeyError):
            await cad.get_calls()
    assert emu.stats.requests == 1


async def test_fatal_error_fails_items_queued_behind_it(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory(api_key="right-key", latency=0.02)
    async with client_for(emu, batch=BatchPolicy(max_in_flight=1, max_items=1)) as cad:
        futures = [await cad.submit(Call911(caller=f"c{i}", location="y")) for i in range(4)]
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
    assert all(isinstance(o, InvalidApiKeyError) for o in outcomes)
    assert emu.stats.requests == 1


async def test_api_key_never_reaches_logs_reprs_or_errors(
    sonoran_emulator_factory: EmulatorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emu = await sonoran_emulator_factory(api_key=SECRET)
    emu.inject("429", "503", "500_after")
    cad = SonoranClient("demo", SECRET, base_url=emu.url, rate_limit=None, retry=FAST_RETRY)
    async with cad:
        outcomes = await asyncio.gather(
            cad.call_911(Call911(caller="a", location="b")),
            cad.call_911(Call911(caller="c", location="d", server_id=42)),
            return_exceptions=True,
        )
        seen = [repr(cad), str(cad.stats)]
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert errors  # the scenario did produce errors to inspect
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # bodies were logged
    seen += [f"{e!s} {e!r}" for e in errors]
    seen += [r.getMessage() for r in caplog.records]
    assert not [line for line in seen if SECRET in line]


@pytest.mark.parametrize(
    "size",
    [
        pytest.param(3_000, marks=pytest.mark.soak),
        pytest.param(50_000, marks=pytest.mark.soak_long),  # opt in: pytest -m soak_long
    ],
)
async def test_soak_mixed_faults_no_call_lost_or_doubled(
    sonoran_emulator_factory: EmulatorFactory, size: int
) -> None:
    # About a third of all requests faulted, every kind the emulator offers.
    faults = Faults(
        error_503=0.06,
        error_500=0.04,
        error_500_after=0.04,
        reset_before=0.04,
        reset_after=0.04,
        slow=0.05,
        rate_limited=0.02,  # each 429 is a real second (Retry-After: 1): a few suffice
        slow_seconds=0.01,
        seed=20261123,
    )
    emu = await sonoran_emulator_factory(faults=faults)
    rng = random.Random(7)
    batch = BatchPolicy(max_items=25, max_in_flight=4)
    retry = RetryPolicy(max_attempts=8, base_delay=0.001, max_delay=0.01)
    emu.set_rate_limit(None)
    names = [f"soak-{i}" for i in range(size)]
    async with client_for(emu, batch=batch, retry=retry) as cad:
        futures = []
        for name in names:
            futures.append(await cad.submit(Call911(caller=name, location="x")))
            if rng.random() < 0.02:
                await asyncio.sleep(0)  # arrivals spread over many ticks
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
    created = created_911(emu)
    ids_by_caller = {obj["caller"]: cid for kind, cid, obj in emu.state.log if kind == "CALL_911"}
    assert max(created.values()) == 1  # nothing created twice
    unknown = 0
    for name, outcome in zip(names, outcomes, strict=True):
        if isinstance(outcome, OutcomeUnknownError):
            unknown += 1
            assert created[name] <= 1
        elif isinstance(outcome, SonoranError):
            assert created[name] == 0, (name, outcome)  # reported failed: never created
        else:
            assert ids_by_caller[name] == outcome  # success: created once, with this id
    fired = emu.stats.faults_by_kind
    assert set(fired) == {"503", "500", "500_after", "reset", "reset_after", "slow", "429"}
    assert emu.stats.faults >= 0.1 * emu.stats.requests  # a rate that matters
    confirmed = sum(isinstance(o, int) for o in outcomes)
    assert confirmed >= 0.6 * size  # most calls are proven, not merely "not doubled"
    assert unknown <= 0.3 * size


async def test_close_during_a_429_wait_says_never_applied(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory()
    emu.inject("429")  # Retry-After: 1 s, longer than the close deadline
    cad = client_for(emu, close_timeout=0.1)
    future = await cad.submit(Call911(caller="waiting", location="x"))
    await asyncio.sleep(0.05)  # the 429 is in, the client is waiting it out
    await cad.aclose()
    with pytest.raises(ClientClosedError, match="before the request was applied"):
        await future
    assert created_911(emu) == {}


async def test_close_while_a_create_awaits_its_reply_is_outcome_unknown(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory(latency=0.5)
    cad = client_for(emu, close_timeout=0.05)
    future = await cad.submit(Call911(caller="in flight", location="x"))
    await asyncio.sleep(0.02)
    await cad.aclose()
    with pytest.raises(OutcomeUnknownError):
        await future


async def test_fatal_error_stops_a_batch_waiting_to_retry_in_another_lane(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory(api_key="right-key")
    emu.inject("503")  # the first request (a CALL_911) backs off 0.3 s
    retry = RetryPolicy(base_delay=0.3, max_delay=0.3, jitter=False)
    async with client_for(emu, retry=retry) as cad:  # uses "demo-key"
        waiting = asyncio.create_task(cad.call_911(Call911(caller="x", location="y")))
        await asyncio.sleep(0.05)
        with pytest.raises(InvalidApiKeyError):
            await cad.get_calls()
        with pytest.raises(InvalidApiKeyError):
            await waiting  # not re-sent with the dead key
    assert emu.stats.requests == 2

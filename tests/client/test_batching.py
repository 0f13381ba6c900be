"""The batcher against the real emulator: coalescing, fan-out, safety, lifecycle."""

from __future__ import annotations

import asyncio
import logging

import pytest

from sonoran_async import (
    BatchPolicy,
    Call911,
    CallsQuery,
    CallType,
    ClientClosedError,
    DeliveryTimeoutError,
    NewDispatch,
    QueueFullError,
    RateLimit,
    ServerNotFoundError,
)
from sonoran_async.testing import EmulatorFactory

from .conftest import client_for, created_911


def calls(n: int, prefix: str = "caller") -> list[Call911]:
    return [Call911(caller=f"{prefix}-{i}", location=f"{i} Main St") for i in range(n)]


@pytest.mark.parametrize("multi", ["per_item", "first_only"])
async def test_thousand_concurrent_calls_each_get_the_id_created_for_them(
    sonoran_emulator_factory: EmulatorFactory, multi: str
) -> None:
    emu = await sonoran_emulator_factory(multi=multi)
    batch = calls(1000)
    async with client_for(emu) as cad:
        ids = await asyncio.gather(*(cad.call_911(call) for call in batch))
        stats = cad.stats
    assert len(set(ids)) == 1000
    for call, call_id in zip(batch, ids, strict=True):
        assert emu.state.emergency_calls[call_id]["caller"] == call.caller
    assert set(created_911(emu).values()) == {1}  # every call created exactly once
    if multi == "per_item":
        assert emu.stats.requests == 10 == stats.requests
        assert stats.batch_sizes == {100: 10}
    else:
        # One short reply per lane switch: the rest went one per request, none twice.
        assert stats.fallback_lanes == ("CALL_911",)
        with pytest.warns(DeprecationWarning, match="fallback_lanes"):
            assert stats.single_object_lanes == ("CALL_911",)  # the old name, one release
        assert stats.resent >= 99


async def test_short_reply_switches_lane_to_single_objects_and_warns_once(
    sonoran_emulator_factory: EmulatorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    emu = await sonoran_emulator_factory(multi="first_only")
    caplog.set_level(logging.WARNING, logger="sonoran_async")
    async with client_for(emu) as cad:
        first = await asyncio.gather(*(cad.call_911(c) for c in calls(10, "a")))
        second = await asyncio.gather(*(cad.call_911(c) for c in calls(5, "b")))
        stats = cad.stats
    assert len(set(first + second)) == 15
    assert stats.resent == 9
    assert stats.batch_sizes == {1: 14, 10: 1}  # after the switch, one object per request
    warnings = [r for r in caplog.records if "as first_only" in r.getMessage()]
    assert len(warnings) == 1
    assert set(created_911(emu).values()) == {1}


async def test_one_bad_object_fails_only_its_caller(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory()
    batch = calls(6)
    batch[2] = Call911(caller="lost", location="nowhere", server_id=99)
    async with client_for(emu) as cad:
        results = await asyncio.gather(
            *(cad.call_911(call) for call in batch), return_exceptions=True
        )
    assert emu.stats.requests == 1
    assert isinstance(results[2], ServerNotFoundError)
    assert "99" in results[2].text
    good = [r for i, r in enumerate(results) if i != 2]
    assert all(isinstance(r, int) for r in good)
    assert "lost" not in created_911(emu)


async def test_lone_call_goes_out_without_waiting_for_a_timer(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory()
    async with client_for(emu, batch=BatchPolicy(max_delay=0)) as cad:
        future = await cad.submit(Call911(caller="solo", location="x"))
        # No timer is involved: a few loop ticks later the request is on the wire.
        for _ in range(50):
            if emu.stats.requests:
                break
            await asyncio.sleep(0)
        assert emu.stats.requests == 1
        assert isinstance(await future, int)


async def test_max_delay_gathers_items_from_different_ticks(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory()
    async with client_for(emu, batch=BatchPolicy(max_delay=0.05)) as cad:
        first = await cad.submit(Call911(caller="early", location="x"))
        await asyncio.sleep(0.01)
        second = await cad.submit(Call911(caller="late", location="x"))
        await asyncio.gather(first, second)
        assert cad.stats.batch_sizes == {2: 1}
    assert emu.stats.requests == 1


async def test_items_accumulate_while_slots_are_busy(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory(latency=0.05)
    async with client_for(emu, batch=BatchPolicy(max_in_flight=1)) as cad:
        first = asyncio.create_task(cad.call_911(Call911(caller="first", location="x")))
        await asyncio.sleep(0.01)  # the first request is in flight
        rest = await asyncio.gather(*(cad.call_911(c) for c in calls(30)))
        await first
        assert cad.stats.batch_sizes == {1: 1, 30: 1}
    assert len(set(rest)) == 30


async def test_identical_get_calls_share_one_request_and_differing_ones_do_not(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory()
    async with client_for(emu) as cad:
        await cad.call_911(Call911(caller="x", location="y"))
        before = emu.stats.requests
        same = await asyncio.gather(*(cad.get_calls() for _ in range(10)))
        assert emu.stats.requests == before + 1
        assert all(snapshot == same[0] for snapshot in same)
        assert same[0].emergency_calls[0].caller == "x"
        await asyncio.gather(cad.get_calls(), cad.get_calls(call_type=CallType.EMERGENCY))
        assert emu.stats.requests == before + 3


async def test_cancelling_one_get_calls_caller_does_not_cancel_the_others(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory(latency=0.02)
    async with client_for(emu) as cad:
        first = asyncio.create_task(cad.get_calls())
        second = asyncio.create_task(cad.get_calls())
        await asyncio.sleep(0)
        first.cancel()
        snapshot = await second
    assert first.cancelled()
    assert snapshot.emergency_calls == ()


async def test_backpressure_error_mode_refuses_past_max_pending(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory()
    policy = BatchPolicy(max_pending=10, on_full="error")
    async with client_for(emu, batch=policy) as cad:
        futures = [await cad.submit(c) for c in calls(10)]  # all in one tick: all queued
        with pytest.raises(QueueFullError):
            await cad.submit(Call911(caller="one too many", location="x"))
        assert len(set(await asyncio.gather(*futures))) == 10
        assert isinstance(await cad.call_911(Call911(caller="room again", location="x")), int)
    assert "one too many" not in created_911(emu)


async def test_backpressure_block_mode_waits_for_room(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory(latency=0.01)
    policy = BatchPolicy(max_pending=5, max_items=5, max_in_flight=1)
    async with client_for(emu, batch=policy) as cad:
        futures = [await cad.submit(c) for c in calls(23)]  # blocks as the queue fills
        ids = await asyncio.gather(*futures)
        assert max(cad.stats.batch_sizes) <= 5
    assert len(set(ids)) == 23
    assert set(created_911(emu).values()) == {1}


async def test_cancelled_before_sending_is_never_sent(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory(latency=0.05)
    async with client_for(emu, batch=BatchPolicy(max_in_flight=1)) as cad:
        sent = asyncio.create_task(cad.call_911(Call911(caller="sent", location="x")))
        await asyncio.sleep(0.01)
        queued = asyncio.create_task(cad.call_911(Call911(caller="cancelled", location="x")))
        kept = asyncio.create_task(cad.call_911(Call911(caller="kept", location="x")))
        await asyncio.sleep(0)
        queued.cancel()
        await asyncio.gather(sent, kept)
    assert queued.cancelled()
    assert created_911(emu) == {"sent": 1, "kept": 1}


async def test_cancelled_after_sending_completes_on_the_server(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory(latency=0.05)
    async with client_for(emu) as cad:
        task = asyncio.create_task(cad.call_911(Call911(caller="gone", location="x")))
        await asyncio.sleep(0.02)  # on the wire by now
        task.cancel()
        await cad.flush()
        assert cad.stats.in_flight == 0
    assert task.cancelled()
    assert created_911(emu) == {"gone": 1}


async def test_close_flushes_queued_items_then_refuses_new_calls(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory()
    cad = client_for(emu, batch=BatchPolicy(max_delay=60))
    futures = [await cad.submit(c) for c in calls(7)]
    await cad.aclose()
    assert len(set(await asyncio.gather(*futures))) == 7
    with pytest.raises(ClientClosedError):
        await cad.call_911(Call911(caller="late", location="x"))


async def test_close_deadline_fails_what_is_left_with_client_closed(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory()
    cad = client_for(
        emu,
        rate_limit=RateLimit(per_second=0.01, burst=1),
        batch=BatchPolicy(max_items=1),
        close_timeout=0.2,
    )
    futures = [await cad.submit(c) for c in calls(3)]
    await cad.aclose()
    outcomes = await asyncio.gather(*futures, return_exceptions=True)
    assert isinstance(outcomes[0], int)
    assert all(isinstance(o, ClientClosedError) for o in outcomes[1:])
    assert created_911(emu) == {"caller-0": 1}


async def test_close_without_flush_sends_nothing_more_and_waits_for_the_wire(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory(latency=0.1)
    cad = client_for(emu, batch=BatchPolicy(max_items=5, max_in_flight=1))
    futures = [await cad.submit(c) for c in calls(20)]
    applied = asyncio.Event()
    emu.core.add_listener(lambda *_: applied.set())
    await applied.wait()  # the first batch of 5 is on the wire, its reply 0.1 s away
    await cad.aclose(flush=False)
    outcomes = await asyncio.gather(*futures, return_exceptions=True)
    created = [o for o in outcomes if isinstance(o, int)]
    never_sent = [o for o in outcomes if isinstance(o, ClientClosedError)]
    assert (len(created), len(never_sent)) == (5, 15)
    assert outcomes[:5] == created  # the batch on the wire got its reply
    assert created_911(emu) == {f"caller-{i}": 1 for i in range(5)}
    assert emu.stats.requests == 1


async def test_delivery_timeout_fails_items_still_queued(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory()
    async with client_for(
        emu,
        rate_limit=RateLimit(per_second=0.5, burst=1),
        batch=BatchPolicy(max_items=1, delivery_timeout=0.1),
    ) as cad:
        futures = [await cad.submit(c) for c in calls(3)]
        outcomes = await asyncio.gather(*futures, return_exceptions=True)
    assert isinstance(outcomes[0], int)
    assert all(isinstance(o, DeliveryTimeoutError) for o in outcomes[1:])
    assert created_911(emu) == {"caller-0": 1}


async def test_delivery_timeout_keyword_still_works_with_a_deprecation_warning(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory()
    with pytest.warns(DeprecationWarning, match="BatchPolicy"):
        cad = client_for(emu, delivery_timeout=0.1)
    async with cad:
        assert await cad.call_911(Call911(caller="a", location="b")) > 0


async def test_submit_routes_each_request_model_to_its_endpoint(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory()
    async with client_for(emu) as cad:
        dispatch = await (await cad.submit(NewDispatch(title="Traffic Stop", priority=2)))
        snapshot = await (await cad.submit(CallsQuery(call_type=CallType.DISPATCH)))
        with pytest.raises(TypeError):
            await cad.submit("CALL_911")  # type: ignore[arg-type]
    assert [c.call_id for c in snapshot.active_calls] == [dispatch]
    assert snapshot.active_calls[0].title == "Traffic Stop"


async def test_oversize_object_is_refused_at_the_call_site(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory()
    async with client_for(emu, batch=BatchPolicy(max_bytes=1024)) as cad:
        with pytest.raises(ValueError, match="max_bytes"):
            await cad.call_911(Call911(caller="x", location="y", description="z" * 2000))
    assert emu.stats.requests == 0

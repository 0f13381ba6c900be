"""The token bucket (on a fake clock) and the pending budget, in isolation."""

from __future__ import annotations

import asyncio

import pytest

from sonoran_async import RateLimit, RateLimitedError
from sonoran_async._flow import PendingBudget
from sonoran_async._ratelimit import LocalLimiter
from tests.virtual_clock import VirtualClock

INF = float("inf")


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


async def test_burst_then_the_sustained_rate(clock: VirtualClock) -> None:
    limiter = LocalLimiter(RateLimit(per_second=2.0, burst=3), clock=clock)
    for _ in range(3):
        await limiter.acquire("v1", INF)
    assert clock.now == 0.0  # the burst costs no wait
    for _ in range(4):
        await limiter.acquire("v1", INF)
    assert clock.now == pytest.approx(2.0)  # then one token every 0.5 s


async def test_idle_time_refills_no_more_than_the_burst(clock: VirtualClock) -> None:
    limiter = LocalLimiter(RateLimit(per_second=1.0, burst=2), clock=clock)
    clock.now = 100.0
    for _ in range(3):
        await limiter.acquire("v1", INF)
    assert clock.now == pytest.approx(101.0)


async def test_a_clock_reading_below_zero_is_a_valid_epoch() -> None:
    # A Clock may read negative (a host's skewed clock, a virtual one): the first request
    # still goes at once, not when the reading passes 0.
    clock = VirtualClock(start=-7200.0)
    limiter = LocalLimiter(RateLimit(per_second=1.0, burst=1), clock=clock)
    await limiter.acquire("v1", 1.0)
    await limiter.acquire("v1", 1.0)
    assert clock.now == pytest.approx(-7199.0)


async def test_pause_holds_every_acquirer_even_without_a_rate(clock: VirtualClock) -> None:
    limiter = LocalLimiter(None, clock=clock)
    await limiter.acquire("v1", INF)
    assert clock.now == 0.0
    await limiter.rate_limited("v1", 7.5)
    await limiter.acquire("v1", INF)
    assert clock.now == pytest.approx(7.5)


async def test_a_slot_too_far_away_is_refused_without_booking(clock: VirtualClock) -> None:
    limiter = LocalLimiter(RateLimit(per_second=1.0, burst=1), clock=clock)
    await limiter.acquire("v1", INF)
    with pytest.raises(RateLimitedError) as caught:
        await limiter.acquire("v1", 0.5)
    assert caught.value.retry_after == pytest.approx(1.0)
    assert clock.now == 0.0
    await limiter.acquire("v1", 1.0)  # the refused call booked nothing: the slot is still at 1 s
    assert clock.now == pytest.approx(1.0)


async def test_buckets_are_independent(clock: VirtualClock) -> None:
    limiter = LocalLimiter(RateLimit(per_second=1.0, burst=1), clock=clock)
    await limiter.acquire("a", INF)
    await limiter.acquire("b", INF)
    assert clock.now == 0.0


async def test_budget_hands_slots_to_waiters_in_arrival_order() -> None:
    budget = PendingBudget(2)
    assert budget.try_take() and budget.try_take()
    assert not budget.try_take()
    order: list[str] = []

    async def wait(name: str) -> None:
        await budget.take()
        order.append(name)

    first = asyncio.create_task(wait("first"))
    second = asyncio.create_task(wait("second"))
    await asyncio.sleep(0)
    budget.give_back(1)
    await asyncio.sleep(0)
    assert order == ["first"]
    assert not budget.try_take()  # a waiter is still queued: no overtaking
    budget.give_back(1)
    await asyncio.gather(first, second)
    assert order == ["first", "second"] and budget.free == 0


async def test_budget_cancelled_waiter_consumes_no_slot() -> None:
    budget = PendingBudget(1)
    assert budget.try_take()
    waiter = asyncio.create_task(budget.take())
    await asyncio.sleep(0)
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    budget.give_back(1)
    assert budget.free == 1 and budget.try_take()

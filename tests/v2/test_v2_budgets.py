"""Per-operation budgets for v2: one rate bucket per operation, published limits."""

from __future__ import annotations

import pytest

from sonoran_async import Call911, RateLimit, SonoranClient, V2Budgets
from sonoran_async._ratelimit import LocalLimiter

from ..virtual_clock import VirtualClock
from .conftest import Both


async def test_each_operation_has_its_own_published_budget(both: Both) -> None:
    clock = VirtualClock()
    async with both.client(2, rate_limit=V2Budgets(), clock=clock) as cad:
        for n in range(3):
            await cad.call_911(Call911(caller=f"{n}", location="x"))
        creates = list(clock.sleeps)
        await cad.get_calls()  # another operation: its own bucket, no wait
        await cad.get_calls(closed_limit=11)
    assert creates == [pytest.approx(6.0), pytest.approx(6.0)]  # 10/min, evenly spaced
    assert clock.sleeps[2:] == [pytest.approx(12.0)]  # get calls: 5/min


async def test_budgets_are_overridable() -> None:
    budgets = V2Budgets(call_911=30, burst=2)
    assert budgets.rates()["CALL_911"] == RateLimit(per_second=0.5, burst=2)
    assert budgets.rates()["GET_CALLS"] == RateLimit(per_second=5 / 60, burst=2)


def test_v2_budgets_are_for_v2_only() -> None:
    with pytest.raises(TypeError):
        SonoranClient("c", "k", rate_limit=V2Budgets())


def test_local_limiter_per_bucket_rates() -> None:
    clock = VirtualClock()
    limiter = LocalLimiter(
        RateLimit(per_second=1, burst=1),
        clock,
        per_bucket={"slow": RateLimit(per_second=0.1, burst=1)},
    )
    waits = [limiter.reserve(bucket, 100) for bucket in ("slow", "slow", "other", "other")]
    assert waits == [0.0, pytest.approx(10.0), 0.0, pytest.approx(1.0)]

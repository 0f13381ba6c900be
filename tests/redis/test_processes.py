"""Three OS processes, one budget: the promise RedisRateLimit makes, against the emulator.

The emulator (in this process) allows R requests/s; three worker processes each have
enough items to use all of it. Throughput is read from the emulator's side: when each
object was applied, and how many requests carried them.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from sonoran_async.emulator import Emulator

from .worker import run_processes

R = 5.0  # requests/s: the emulator's limit and the shared budget
MAX_ITEMS = 10
ITEMS = 50  # per process: 15 full requests in all, about 3 s at R
SKEWED = (0.0, 3600.0, -7200.0)  # each process's clock, hours apart


async def _ingest(redis: str) -> tuple[Emulator, list[float], list[dict[str, Any]]]:
    """Run three workers against an emulator limited to R; the emulator, the times its
    objects were applied (this process's clock), and the workers' reports."""
    applied: list[float] = []
    async with Emulator(rate_limit=R) as emu:
        emu.core.add_listener(lambda *_: applied.append(time.monotonic()))
        reports = await run_processes(
            emu.url, redis, rate=R, items=ITEMS, max_items=MAX_ITEMS, clock_offsets=SKEWED
        )
    return emu, applied, reports


def _assert_each_created_once(emu: Emulator, reports: list[dict[str, Any]]) -> None:
    callers = Counter(obj["caller"] for kind, _, obj in emu.state.log if kind == "CALL_911")
    expected = {f"p{n}-{i}" for n in range(len(SKEWED)) for i in range(ITEMS)}
    assert set(callers) == expected
    assert set(callers.values()) == {1}
    got = {caller: call_id for report in reports for caller, call_id in report["ids"].items()}
    assert got == {obj["caller"]: call_id for _, call_id, obj in emu.state.log}


async def test_three_processes_share_one_budget_with_skewed_clocks(redis_url: str) -> None:
    emu, applied, reports = await _ingest(redis_url)
    assert emu.stats.rate_limited == 0
    assert all(not report["errors"] for report in reports)
    _assert_each_created_once(emu, reports)
    requests = emu.stats.requests
    assert requests == sum(report["requests"] for report in reports)
    # Requests after the first arrive at the budget's pace; items per request as counted.
    requests_per_second = (requests - 1) / (applied[-1] - applied[0])
    items_per_second = requests_per_second * len(applied) / requests
    assert items_per_second >= 0.9 * R * MAX_ITEMS


async def test_three_processes_with_local_buckets_draw_429s() -> None:
    emu, _, reports = await _ingest("local")
    assert emu.stats.rate_limited > 0  # each process alone keeps to R: together, 3 x R
    assert sum(report["rate_limited"] for report in reports) == emu.stats.rate_limited
    _assert_each_created_once(emu, reports)

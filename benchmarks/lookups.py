"""Plate scans under the published budgets, with and without the lookup cache.

    python benchmarks/lookups.py                 # 120 virtual seconds per case (~20 s real)
    python benchmarks/lookups.py --seconds 30    # shorter

A plate reader scans 100 plates a second, drawn uniformly from 200 distinct plates; each
scan is `cad.plate(plate)` (LOOKUP, types 5/3/2). Time is virtual (a discrete-event
clock the client's limiter sleeps on; the transport answers after 50 ms of virtual
latency), so v1's ~1 request/s and v2's 30 lookups a minute are measured in seconds of
real time. Printed per case: scans, requests sent, scans answered within the run, scans
refused (their wait for a rate slot would pass `max_rate_limit_wait`), the cache's hits
and shared in-flight lookups, the median latency of every scan (one not answered when
the run ends counts as infinite) and of the answered ones.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import itertools
import logging
import random
import statistics
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import orjson

from sonoran_async import RateLimitedError, SonoranClient, SonoranError
from sonoran_async._transport import Reply

SCANS_PER_SECOND = 100
PLATES = 200
LATENCY = 0.05
TTL = timedelta(seconds=120)


class SimClock:
    """Virtual time: `sleep` waits until `advance_to` reaches its deadline."""

    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (self.now + seconds, next(self._seq), future))
        await future

    async def settle(self) -> None:
        for _ in range(20):
            await asyncio.sleep(0)

    async def advance_to(self, deadline: float) -> None:
        while self._heap and self._heap[0][0] <= deadline:
            when, _, future = heapq.heappop(self._heap)
            self.now = max(self.now, when)
            if not future.done():
                future.set_result(None)
                await self.settle()
        self.now = max(self.now, deadline)


class SimTransport:
    """Answers a lookup (v1 envelope or v2 REST) after `LATENCY` virtual seconds."""

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self.requests = 0

    async def post(self, path: str, body: bytes) -> Reply:
        (query,) = orjson.loads(bytes(body))["data"]
        return await self._answer(query, v1=True)

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        return await self._answer(orjson.loads(bytes(body or b"{}")), v1=False)

    async def _answer(self, query: dict[str, Any], *, v1: bool) -> Reply:
        self.requests += 1
        await self.clock.sleep(LATENCY)
        record = {"id": 1, "type": 5, "name": "Registration", "sections": [
            {"fields": [{"uid": "plate", "value": query.get("plate", "")}]}]}  # fmt: skip
        return Reply(200, orjson.dumps({"records": [record]} if v1 else [record]))

    async def aclose(self) -> None:
        return None


async def case(api_version: int, cached: bool, seconds: float, seed: int) -> dict[str, Any]:
    clock = SimClock()
    transport = SimTransport(clock)
    rng = random.Random(seed)
    cad = SonoranClient(
        "demo",
        "demo-key",
        transport=transport,
        clock=clock,
        api_version=api_version,
        lookup_cache=TTL if cached else None,
        close_timeout=0.1,
    )
    latencies: list[float] = []
    refused = 0

    async def scan(plate: str) -> None:
        nonlocal refused
        started = clock.now
        try:
            await cad.plate(plate)
        except RateLimitedError:
            refused += 1
            return
        except SonoranError:
            return
        latencies.append(clock.now - started)

    total = int(seconds * SCANS_PER_SECOND)
    tasks = []
    for n in range(total):
        await clock.advance_to(n / SCANS_PER_SECOND)
        plate = f"P{rng.randrange(PLATES):03d}"
        tasks.append(asyncio.ensure_future(scan(plate)))
        await clock.settle()
    await clock.advance_to(seconds)
    cache = cad.lookup_cache
    await cad.aclose(flush=False)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    ordered = sorted(latencies)
    every = ordered + [float("inf")] * (total - len(ordered))  # unanswered: past the run
    return {
        "api": f"v{api_version}",
        "cache": "120 s" if cached else "off",
        "scans": total,
        "requests": transport.requests,
        "answered": len(latencies),
        "refused": refused,
        "hits": cache.stats.hits if cache else 0,
        "shared": cache.stats.shared if cache else 0,
        "p50_s": statistics.median(every),
        "p50_answered_s": statistics.median(ordered) if ordered else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="virtual seconds per case")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    logging.getLogger("sonoran_async").setLevel(logging.ERROR)  # the close cuts the queue off
    columns = ("api", "cache", "scans", "requests", "answered", "refused", "hits", "shared",
               "p50_s", "p50_answered_s")  # fmt: skip
    print(" ".join(f"{c:>9}" for c in columns))
    for api_version in (1, 2):
        for cached in (False, True):
            row = asyncio.run(case(api_version, cached, args.seconds, args.seed))
            print(" ".join(
                f"{row[c]:>9.2f}" if isinstance(row[c], float) else f"{row[c]:>9}" for c in columns
            ))  # fmt: skip


if __name__ == "__main__":
    main()

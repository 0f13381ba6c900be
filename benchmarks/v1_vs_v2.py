"""1,000 creates under each API version's budget: items/s and time to drain.

Both versions run against the same in-process emulator (v1 and v2 on one state) over
loopback HTTP. The budgets run on a virtual clock: every wait the rate limiter asks for
advances it at once, so the time to drain is the budget's, computed, not waited (v2's
would take 100 minutes of real time). Budgets compared:

- v1 batched: Sonoran's guidance of about 1 request/s (`RateLimit(per_second=1, burst=5)`,
  the client's default), 100 objects per request (`BatchPolicy(max_items=100)`).
- v2: the published per-key limit for creating 911 calls, 10 requests/min, one object per
  request (`V2Budgets()`, the client's default for `api_version=2`).

    python benchmarks/v1_vs_v2.py [--calls 1000] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from aiohttp.test_utils import TestServer

from sonoran_async import BatchPolicy, Call911, SonoranClient
from sonoran_async.emulator import create_app


class VirtualClock:
    """Sleeping advances time at once; the limiter's waits add up, nothing waits."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


async def drain(url: str, api_version: int, calls: int) -> dict[str, Any]:
    clock = VirtualClock()
    cad = SonoranClient(
        "demo",
        "demo-key",
        base_url=url,
        api_version=api_version,
        batch=BatchPolicy(max_items=100),
        clock=clock,
    )
    started = time.perf_counter()
    async with cad:
        futures = [
            await cad.submit(Call911(caller=f"caller {n}", location="Route 68"))
            for n in range(calls)
        ]
        ids = await asyncio.gather(*futures)
        stats = cad.stats
    seconds = clock.now
    return {
        "api_version": api_version,
        "calls": calls,
        "created": len(set(ids)),
        "requests": stats.requests,
        "time_to_drain_s": round(seconds, 1),
        "items_per_s": round(calls / seconds, 2) if seconds else None,
        "wall_s": round(time.perf_counter() - started, 2),
    }


async def main(calls: int) -> list[dict[str, Any]]:
    app = create_app("demo", "demo-key")  # v1 and v2 on one state
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("")).rstrip("/")
        return [await drain(url, version, calls) for version in (1, 2)]
    finally:
        await server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    rows = asyncio.run(main(args.calls))
    print(f"{'version':>8} {'requests':>9} {'time to drain':>15} {'items/s':>9}")
    for row in rows:
        drained = f"{row['time_to_drain_s']:,.1f} s"
        rate = "no wait" if row["items_per_s"] is None else f"{row['items_per_s']:,}"
        print(f"{'v' + str(row['api_version']):>8} {row['requests']:>9} {drained:>15} {rate:>9}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=2)

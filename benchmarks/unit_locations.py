"""Unit locations under a strict budget: 1,000 units each reporting every second.

    python benchmarks/unit_locations.py            # 10 s of updates (about 15 s)
    python benchmarks/unit_locations.py --quick    # 3 s

Against the in-process emulator limited to R requests/s, with the client's limiter at R:
the client groups updates per `BatchPolicy` window and conflates them (only the newest
update per unit in a window is sent). Printed side by side: one object per request (what
Sonoran's JS SDK does: a request per update), and the grouped, conflated lane. Reported:
updates offered, requests, unit updates delivered per request and per second, superseded
updates, 429s, and the staleness of what the server holds (age of each unit's newest
position when the run ends).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from sonoran_async import (
    BatchPolicy,
    Coordinates,
    LocationUpdate,
    RateLimit,
    SonoranClient,
    UnitLocation,
)
from sonoran_async.emulator import Emulator


async def run(units: int, seconds: float, rate: float, policy: BatchPolicy) -> dict[str, Any]:
    async with (
        Emulator(rate_limit=rate) as emu,
        SonoranClient(
            "demo",
            "demo-key",
            base_url=emu.url,
            rate_limit=RateLimit(per_second=rate * 0.95, burst=1),
            batch_overrides={"UNIT_LOCATION": policy},
            batch=BatchPolicy(max_pending=units * 4, on_full="error"),
            close_timeout=2.0,  # what is still queued then was not delivered in time
        ) as cad,
    ):
        futures: list[asyncio.Future[LocationUpdate]] = []
        refused = 0
        started = time.perf_counter()
        tick = 0
        while time.perf_counter() - started < seconds:
            for unit in range(units):
                update = UnitLocation(
                    api_id=f"STEAM:{unit}",
                    location=f"tick {tick}",
                    coordinates=Coordinates(x=unit, y=tick),
                )
                try:
                    futures.append(await cad.submit(update))
                except Exception:
                    refused += 1  # the queue is full: the lane cannot keep up
            tick += 1
            await asyncio.sleep(max(0.0, tick - (time.perf_counter() - started)))
        await cad.aclose()
        ended = time.perf_counter() - started
        results = [f.result() for f in futures if not f.exception()]
        stats = cad.stats
        newest = {u: int(v["location"].split()[-1]) for u, v in emu.state.units.items()}
        lag = [tick - 1 - t for t in newest.values()]
        return {
            "offered": len(futures) + refused,
            "requests": emu.stats.requests,
            "delivered": emu.stats.objects,
            "per_request": emu.stats.objects / max(stats.requests, 1),
            "per_second": emu.stats.objects / ended,
            "superseded": results.count(LocationUpdate.SUPERSEDED),
            "refused": refused,
            "rate_limited": emu.stats.rate_limited,
            "units_known": len(newest),
            "max_lag_ticks": max(lag) if lag else None,
            "elapsed": ended,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=1.0, help="requests/s the server allows")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else args.seconds
    rows = {
        "one update per request": BatchPolicy(max_items=1),
        "grouped + conflated (5 s window)": BatchPolicy(max_delay=5.0, max_items=2000),
        "grouped + conflated (1 s window)": BatchPolicy(max_delay=1.0, max_items=2000),
    }
    print(
        f"{args.units:,} units x 1 update/s for {seconds:g} s, server limit {args.rate:g} request/s"
    )
    header = ("", "offered", "requests", "delivered", "per request", "per second",
              "superseded", "refused", "429s", "units on the map", "max lag (ticks)")  # fmt: skip
    print(" | ".join(header))
    for label, policy in rows.items():
        r = asyncio.run(run(args.units, seconds, args.rate, policy))
        print(
            f"{label} | {r['offered']:,} | {r['requests']:,} | {r['delivered']:,} | "
            f"{r['per_request']:,.0f} | {r['per_second']:,.0f} | {r['superseded']:,} | "
            f"{r['refused']:,} | {r['rate_limited']} | {r['units_known']:,} | "
            f"{r['max_lag_ticks']}"
        )


if __name__ == "__main__":
    main()

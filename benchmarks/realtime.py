"""Unit locations over Sonoran's websocket vs HTTP: 1,000 units each reporting every 250 ms.

    python benchmarks/realtime.py                          # 10 s of virtual time (~10 s)
    python benchmarks/realtime.py --seconds 60 --rounds 3  # the issue's full run (~1 min)

The websocket row is measured: `SonoranRealtime` against the emulator's `/apiWsHub` over a
real loopback websocket (SignalR JSON frames, completions, the hub's 200 ms and 25 limits
enforced), on virtual time: the session's pacing and the hub's clock read one clock, which
jumps ahead when the session waits, and every 250 ms it crosses each unit reports a new
position. So a minute runs in seconds and nothing depends on the machine's load.

The HTTP rows are simulated on the same clock, with the HTTP client's UNIT_LOCATION
grouping (at most 500 objects per request, conflated per unit, longest-waiting first): v1
at one request per second, v2 at 12 requests per minute (its published limit). Neither
version documents a maximum of objects per request; 500 is this client's batch size.

Reported per row: unit updates delivered per second, requests (calls) per second, and
the age of each unit's position on the map, sampled every 250 ms for every unit (median,
p99, max), beside the fair bound ceil(units / per_call) x period (+ one 250 ms report
period): no unit waits longer than one full round of the others.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

from sonoran_async.emulator import Emulator
from sonoran_async.realtime import LiveCoordinates, LiveLocation, SonoranRealtime

REPORT_EVERY = 0.25  # each unit reports a new position this often (virtual seconds)


class World:
    """Virtual time. Sleeping jumps ahead; every REPORT_EVERY crossed, `sample` reads the
    map's ages and then `report` lets every unit send a new position."""

    def __init__(self, report: Callable[[float], None], sample: Callable[[float], None]):
        self.now = 0.0
        self._next = 0.0
        self._report = report
        self._sample = sample

    def monotonic(self) -> float:
        return self.now

    def idle(self) -> None:
        """Nothing waits to be sent: on to the next report."""
        self.advance(self._next)

    def advance(self, target: float) -> None:
        while self._next <= target:
            self.now = self._next
            self._sample(self.now)
            self._report(self.now)
            self._next += REPORT_EVERY
        self.now = max(self.now, target)

    async def sleep(self, seconds: float) -> None:
        self.advance(self.now + max(seconds, 0.0))
        await asyncio.sleep(0)


def _percentiles(ages: list[float]) -> dict[str, float]:
    ages.sort()
    if not ages:
        return {"median": 0.0, "p99": 0.0, "max": 0.0}
    return {
        "median": statistics.median(ages),
        "p99": ages[min(len(ages) - 1, math.ceil(0.99 * len(ages)) - 1)],
        "max": ages[-1],
    }


async def socket_run(units: int, seconds: float, interval: float) -> dict[str, Any]:
    """The measured row: every position through the emulator's hub."""
    produced: dict[str, float] = {}  # location text -> when the game produced it
    ages: list[float] = []
    pending: list[asyncio.Task[Any]] = []
    async with Emulator("bench", "bench-key") as emu:
        held = emu.state.units

        at_end: list[tuple[int, int]] = []  # (calls, updates) the hub had accepted at `seconds`

        def sample(now: float) -> None:
            if 1.0 <= now < seconds:  # from the second second on: every unit is on the map
                ages.extend(now - produced[pos["location"]] for pos in held.values())

        def report(now: float) -> None:
            if now >= seconds:
                if not at_end:
                    at_end.append((emu.hub.stats.location_calls, emu.hub.stats.locations))
                return
            for unit in range(units):
                text = f"{unit}@{now:.2f}"
                produced[text] = now
                update = LiveLocation(
                    api_id=f"unit-{unit}",
                    location=text,
                    coordinates=LiveCoordinates(x=now, y=float(unit)),
                )
                pending.append(asyncio.ensure_future(rt.unit_location(update)))

        world = World(report, sample)
        emu.hub.clock = world.monotonic
        started = time.perf_counter()
        async with SonoranRealtime(
            "bench", "bench-key", base_url=emu.url, interval=interval, clock=world
        ) as rt:
            world.advance(0.0)
            while world.now < seconds:
                await asyncio.sleep(0.001)  # the session's own waits move the world
                pending = [task for task in pending if not task.done()]
                if not pending:  # every position sent: time moves on to the next report
                    world.idle()
        wall = time.perf_counter() - started
        hub = emu.hub.stats
        assert hub.too_fast == hub.too_many == 0, hub
    return {
        "row": f"websocket, a call per {interval * 1000:.0f} ms",
        "updates_per_s": at_end[0][1] / seconds,
        "calls_per_s": at_end[0][0] / seconds,
        "bound": math.ceil(units / 25) * interval + REPORT_EVERY,
        "wall": wall,
        **_percentiles(ages),
    }


def http_run(
    units: int, seconds: float, period: float, per_request: int, row: str
) -> dict[str, Any]:
    """A simulated HTTP row: every `period`, one request with the `per_request` units that
    have waited longest (their newest positions)."""
    waiting: dict[int, float] = {}  # unit -> its newest position's time (in waiting order)
    held: dict[int, float] = {}
    ages: list[float] = []
    delivered = requests = 0
    next_request = 0.0
    now = 0.0
    while now < seconds:
        if now >= 1.0:
            ages.extend(now - t for t in held.values())
        for unit in range(units):
            waiting[unit] = now  # newest wins, the unit keeps its place in line
        while next_request <= now:
            batch = list(waiting)[:per_request]
            for unit in batch:
                held[unit] = waiting.pop(unit)
            delivered += len(batch)
            requests += 1
            next_request += period
        now += REPORT_EVERY
    return {
        "row": row,
        "updates_per_s": delivered / seconds,
        "calls_per_s": requests / seconds,
        "bound": math.ceil(units / per_request) * period + REPORT_EVERY,
        "wall": 0.0,
        **_percentiles(ages),
    }


def _spread(values: list[float]) -> str:
    mid = statistics.median(values)
    return (
        f"{mid:.2f}"
        if min(values) == max(values)
        else (f"{mid:.2f} [{min(values):.2f}-{max(values):.2f}]")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0, help="virtual seconds")
    parser.add_argument("--interval", type=float, default=0.25)
    parser.add_argument("--rounds", type=int, default=1, help="socket runs (median [min-max])")
    args = parser.parse_args()
    rounds = [
        asyncio.run(socket_run(args.units, args.seconds, args.interval))
        for _ in range(max(1, args.rounds))
    ]
    http = [
        http_run(args.units, args.seconds, 1.0, 500, "HTTP v1 UNIT_LOCATION, 1 request/s"),
        http_run(args.units, args.seconds, 5.0, 500, "HTTP v2 unit-locations, 12 requests/min"),
    ]
    print(
        f"{args.units} units, each reporting every {REPORT_EVERY * 1000:.0f} ms, "
        f"{args.seconds:g} s of virtual time; position age in seconds"
    )
    print()
    print("| path | updates/s | calls/s | age median | age p99 | age max | fair bound |")
    print("|---|---|---|---|---|---|---|")
    keys = ("updates_per_s", "calls_per_s", "median", "p99", "max")
    for result in [{k: [r[k] for r in rounds] for k in (*keys, "wall")} | rounds[0], *http]:
        cells = [_spread(v) if isinstance(v := result[k], list) else f"{v:.2f}" for k in keys]
        print(f"| {result['row']} | {' | '.join(cells)} | {result['bound']:.2f} |")
    walls = [r["wall"] for r in rounds]
    print()
    print(f"websocket rows took {_spread(walls)} s of wall time each")


if __name__ == "__main__":
    main()

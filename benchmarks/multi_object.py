"""Creates under each multi-object server behaviour, reconciliation included, side by side.

    python benchmarks/multi_object.py            # 20,000 creates per run, 3 rounds
    python benchmarks/multi_object.py --quick

The emulator (in-process, loopback HTTP) answers several objects the four plausible ways;
the client learns which from the first ambiguous reply. Per behaviour: items/s (median of
alternating rounds, min and max), HTTP requests (GET_CALLS look-ups included), look-ups,
and a check that every call exists exactly once. Also the per-item cost of building a
`Call911` against the per-item cost of sending one (max_items=500, per_item server).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from sonoran_async import BatchPolicy, Call911, Reply, SonoranClient
from sonoran_async.emulator import MULTI_MODES, Emulator, MultiMode


async def run(mode: MultiMode, n: int, max_items: int) -> dict[str, Any]:
    calls = [Call911(caller=f"c{i}", location="1 Main St", description="x") for i in range(n)]
    async with (
        Emulator(multi=mode, log_size=n * 2) as emu,
        SonoranClient(
            "demo",
            "demo-key",
            base_url=emu.url,
            rate_limit=None,
            batch=BatchPolicy(max_items=max_items, max_pending=n + 1),
        ) as cad,
    ):
        started = time.perf_counter()
        futures = [await cad.submit(call) for call in calls]
        ids = await asyncio.gather(*futures)
        seconds = time.perf_counter() - started
        stats = cad.stats
        made = Counter(obj["caller"] for kind, _, obj in emu.state.log if kind == "CALL_911")
    return {
        "items_per_s": n / seconds,
        "requests": emu.stats.requests,
        "lookups": stats.reconciliations,
        "learned": stats.multi_object.get("CALL_911", "-"),
        "exactly_once": len(made) == n and max(made.values()) == 1 and len(set(ids)) == n,
    }


class _Instant:
    """A transport that answers every object of a request at once, with no I/O: what is
    left is the client's own per-item cost."""

    def __init__(self) -> None:
        self.next_id = 0

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        assert body is not None
        count = body.count(b'"caller"')
        first, self.next_id = self.next_id, self.next_id + count
        lines = "\n".join(f"EMERGENCY CALL ADDED ID: {first + i + 1}" for i in range(count))
        return Reply(200, lines.encode())

    async def aclose(self) -> None:
        return None


async def send_cost_us(n: int = 100_000, max_items: int = 500) -> float:
    """Client CPU per item through submit() at max_items, no I/O."""
    pool = [Call911(caller=f"c{i}", location="1 Main St", description="x") for i in range(1024)]
    policy = BatchPolicy(max_items=max_items, max_pending=n + 1)
    async with SonoranClient(
        "demo", "k", transport=_Instant(), rate_limit=None, batch=policy
    ) as cad:
        started = time.process_time()
        futures = [await cad.submit(pool[i % 1024]) for i in range(n)]
        for future in futures:
            await future
        return (time.process_time() - started) / n * 1e6


def build_cost_us(n: int = 200_000) -> float:
    started = time.process_time()
    for i in range(n):
        Call911(
            caller="John Doe",
            location="1234 E. Test St.",
            description="Break-in",
            is_emergency=i % 2 == 0,
        )
    return (time.process_time() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--max-items", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n, rounds = (2_000, 1) if args.quick else (args.calls, args.rounds)
    results: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MULTI_MODES}
    for _ in range(rounds):  # alternate the modes within each round
        for mode in MULTI_MODES:
            results[mode].append(asyncio.run(run(mode, n, args.max_items)))
    print(f"{n:,} CALL_911 via submit(), max_items={args.max_items}, {rounds} round(s)")
    print("| server behaviour | items/s median (min-max) | vs per_item | requests | "
          "look-ups | learned | exactly once |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---|:---:|")
    base = statistics.median(r["items_per_s"] for r in results["per_item"])
    for behaviour, rows in results.items():
        rates = [r["items_per_s"] for r in rows]
        median = statistics.median(rates)
        last = rows[-1]
        print(
            f"| {behaviour} | {median:,.0f} ({min(rates):,.0f}-{max(rates):,.0f}) | "
            f"{median / base:.2f}x | {last['requests']:,} | {last['lookups']:,} | "
            f"{last['learned']} | {'yes' if all(r['exactly_once'] for r in rows) else 'NO'} |"
        )
    costs = [(build_cost_us(), asyncio.run(send_cost_us())) for _ in range(max(rounds, 3))]
    build = statistics.median(b for b, _ in costs)
    send = statistics.median(s for _, s in costs)
    print(
        f"\nper item, client CPU (medians of {len(costs)}): building a Call911 {build:.2f} us; "
        f"submit() to result at max_items={args.max_items}, no I/O, {send:.2f} us "
        f"({1e6 / send:,.0f} items per CPU-second); build/send {build / send:.2f}"
    )


if __name__ == "__main__":
    main()

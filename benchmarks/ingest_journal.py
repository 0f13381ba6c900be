"""What the ingest journal costs: `sonoran-async ingest` with and without it, same run.

    python benchmarks/ingest_journal.py            # 50,000 lines, --max-items 500, 3 rounds
    python benchmarks/ingest_journal.py --quick

Each round ingests the same file twice, journal on and off in alternating order, each
time into a fresh `sonoran-async emulate` process on loopback (no rate limit), the way
a user tries ingest locally; the client runs in this process. Reported: items/s per mode
(median, min, max of the rounds) and the median ratio on/off; the target is a cost of
at most 10% (ratio >= 0.90).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
from rich.console import Console

from sonoran_async.cli import build_parser
from sonoran_async.cli._ingest import Ingest


def write_input(path: Path, n: int) -> None:
    path.write_bytes(
        b"".join(
            orjson.dumps({"caller": f"Caller {i}", "location": f"{i} Main St", "description": "x"})
            + b"\n"
            for i in range(n)
        )
    )


@contextlib.contextmanager
def emulator_process() -> Iterator[str]:
    """A fresh `sonoran-async emulate` on a free port; yields its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sonoran_async", "emulate", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().split()[-1]
    finally:
        process.terminate()
        process.wait()


async def one_run(source: Path, n: int, journal: bool, max_items: int) -> float:
    with emulator_process() as url:
        argv = [
            "ingest",
            str(source),
            "--url",
            url,
            "--community-id",
            "demo",
            "--api-key",
            "demo-key",
            "--rate-limit",
            "0",
            "--max-items",
            str(max_items),
            "--no-progress",
        ]
        journal_path = source.with_name(f"{source.name}.{time.monotonic_ns()}.journal")
        argv += ["--journal", str(journal_path)] if journal else ["--no-journal"]
        quiet = Console(quiet=True)
        ingest = Ingest(build_parser().parse_args(argv), quiet, summary_to=quiet)
        started = time.perf_counter()
        code = await ingest.work()
        seconds = time.perf_counter() - started
        assert code == 0 and ingest.tally.created == n, (code, ingest.tally)
    return n / seconds


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-items", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="2,000 lines, 3 rounds")
    args = parser.parse_args()
    n = 2_000 if args.quick else args.lines
    results: dict[bool, list[float]] = {True: [], False: []}
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "calls.jsonl"
        write_input(source, n)
        for round_ in range(max(args.rounds, 3)):
            order = (True, False) if round_ % 2 == 0 else (False, True)
            got = {mode: await one_run(source, n, mode, args.max_items) for mode in order}
            for mode, rate in got.items():
                results[mode].append(rate)
            ratios.append(got[True] / got[False])
    print(
        f"ingest {n:,} lines, --max-items {args.max_items}, "
        "emulator process on loopback, no rate limit"
    )
    print(f"{'journal':<10}{'items/s median':>16}{'min':>10}{'max':>10}")
    for mode, label in ((False, "off"), (True, "on")):
        rates = results[mode]
        print(
            f"{label:<10}{statistics.median(rates):>16,.0f}{min(rates):>10,.0f}{max(rates):>10,.0f}"
        )
    print(
        f"on/off ratio: median {statistics.median(ratios):.2f} "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f}); target >= 0.90"
    )


if __name__ == "__main__":
    asyncio.run(main())

"""`sonoran-async demo`: one object per request vs batched, under the same request budget.

An emulator runs in-process on loopback with a request-rate limit; the client's limiter
matches it. The same synthetic 911 calls are ingested twice through `submit()`, first
with `BatchPolicy(max_items=1)` and then batched. Each run gets a fresh emulator, and
every call is checked to exist there exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import time
from typing import TYPE_CHECKING, Any

import attrs

from .._client import SonoranClient
from .._models import Call911
from .._policies import BatchPolicy, RateLimit
from ._common import EMULATOR_API_KEY, EMULATOR_COMMUNITY_ID, EXIT_FAILED, EXIT_OK, positive_int

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

NEEDS = ("rich",)  # modules of the [cli] extra this command imports


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo",
        parents=parents,
        help="one object per request vs batched, against a rate-limited emulator",
        description="Ingest synthetic 911 calls into a rate-limited in-process emulator "
        "twice, one object per request and then batched, and compare.",
    )
    demo.add_argument(
        "--calls", type=positive_int, default=2000, metavar="N", help="calls per run (2000)"
    )
    demo.add_argument(
        "--rate-limit",
        type=float,
        default=100.0,
        metavar="REQS_PER_SECOND",
        help="the emulator's request limit, matched by the client's limiter (100)",
    )
    demo.add_argument(
        "--max-items", type=positive_int, default=100, metavar="N", help="batch size (100)"
    )
    demo.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    return asyncio.run(run_demo(args))


_STREETS = ("Alta St", "Route 68", "Vinewood Blvd", "Paleto Blvd", "Grove St", "Mirror Park")
_WHAT = ("Car fire", "Break-in", "Shots heard", "Traffic collision", "Medical", "Noise")


def synthetic_calls(n: int, run: str) -> list[Call911]:
    """n distinct 911 calls; the description carries a tag that finds each one again."""
    return [
        Call911(
            caller=f"Caller {i}",
            location=f"{100 + i % 900} {_STREETS[i % len(_STREETS)]}",
            description=f"{_WHAT[i % len(_WHAT)]} [{run}#{i}]",
            is_emergency=i % 5 != 0,
            meta_data={"postal": str(1000 + i % 9000)},
        )
        for i in range(n)
    ]


@attrs.define
class RunResult:
    label: str
    calls: int
    requests: int  # HTTP requests the emulator received (429s included)
    mean_batch: float
    elapsed: float
    p50: float
    p99: float
    rate_limited: int  # 429s the emulator sent
    failed: int  # calls whose future failed
    lost: int  # calls not found exactly once in the emulator (missing or duplicated)
    wrong_ids: int  # calls whose caller got another call's id

    @property
    def items_per_second(self) -> float:
        return self.calls / self.elapsed if self.elapsed > 0 else 0.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def check_calls(emulator: Any, run: str, n: int, ids: dict[int, int]) -> tuple[int, int]:
    """(lost, wrong ids): calls of `run` not in the emulator exactly once, and calls whose
    caller got an id other than the one the emulator filed them under."""
    seen: dict[int, list[int]] = {}
    marker = f"[{run}#"
    for call_id, record in emulator.state.emergency_calls.items():
        description = record.get("description", "")
        start = description.rfind(marker)
        if start >= 0:
            index = int(description[start + len(marker) : -1])
            seen.setdefault(index, []).append(call_id)
    lost = wrong = 0
    for i in range(n):
        found = seen.get(i, [])
        if len(found) != 1:
            lost += 1
        elif i in ids and ids[i] != found[0]:
            wrong += 1
    return lost, wrong


async def ingest_run(
    label: str,
    run: str,
    n: int,
    *,
    rate: float,
    batch: BatchPolicy,
    progress: Progress,
    task: TaskID,
) -> RunResult:
    from ..emulator import Emulator

    calls = synthetic_calls(n, run)
    latencies: list[float] = []
    ids: dict[int, int] = {}
    failed = 0
    now = time.perf_counter

    def settled(index: int, enqueued: float, future: asyncio.Future[int]) -> None:
        nonlocal failed
        latencies.append(now() - enqueued)
        if future.cancelled() or future.exception() is not None:
            failed += 1
        else:
            ids[index] = future.result()

    async with (
        Emulator(EMULATOR_COMMUNITY_ID, EMULATOR_API_KEY, rate_limit=rate) as emu,
        SonoranClient(
            EMULATOR_COMMUNITY_ID,
            EMULATOR_API_KEY,
            base_url=emu.url,
            batch=batch,
            rate_limit=RateLimit(per_second=rate),
        ) as cad,
    ):
        progress.start_task(task)
        started = now()
        for index, call in enumerate(calls):
            enqueued = now()
            future = await cad.submit(call)
            future.add_done_callback(functools.partial(settled, index, enqueued))
        while len(latencies) < n:
            progress.update(task, completed=len(latencies))
            await asyncio.sleep(0.05)
        elapsed = now() - started
        progress.update(task, completed=n)
        stats = cad.stats
        lost, wrong_ids = check_calls(emu, run, n, ids)
        return RunResult(
            label=label,
            calls=n,
            requests=emu.stats.requests,
            mean_batch=stats.mean_batch_size,
            elapsed=elapsed,
            p50=percentile(latencies, 50),
            p99=percentile(latencies, 99),
            rate_limited=emu.stats.rate_limited,
            failed=failed,
            lost=lost,
            wrong_ids=wrong_ids,
        )


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def comparison_table(results: list[RunResult], rate: float) -> Any:
    from rich.table import Table

    table = Table(
        title=f"Same 911 calls, same budget: emulator limit {rate:g} requests/s",
        title_justify="left",
    )
    table.add_column("")
    for result in results:
        table.add_column(result.label, justify="right")
    if len(results) == 2:
        table.add_column("ratio", justify="right", style="bold green")
    a, b = results[0], results[-1]

    def ratio(x: float, y: float) -> str:
        return f"{x / y:,.0f}x" if y else "-"

    rows: list[tuple[str, list[str], str]] = [
        ("calls", [f"{r.calls:,}" for r in results], ""),
        ("requests", [f"{r.requests:,}" for r in results], ratio(a.requests, b.requests)),
        ("mean batch size", [f"{r.mean_batch:.1f}" for r in results], ""),
        ("elapsed", [_duration(r.elapsed) for r in results], ""),
        (
            "items/s",
            [f"{r.items_per_second:,.0f}" for r in results],
            ratio(b.items_per_second, a.items_per_second),
        ),
        ("p50 latency", [_duration(r.p50) for r in results], ratio(a.p50, b.p50)),
        ("p99 latency", [_duration(r.p99) for r in results], ratio(a.p99, b.p99)),
        ("429s", [str(r.rate_limited) for r in results], ""),
        ("failed", [str(r.failed) for r in results], ""),
        (
            "lost",
            [f"[{'red' if r.lost else 'green'}]{r.lost}[/]" for r in results],
            "",
        ),
    ]
    if any(r.wrong_ids for r in results):
        rows.append(("wrong ids", [f"[red]{r.wrong_ids}[/]" for r in results], ""))
    for name, cells, extra in rows:
        table.add_row(name, *cells, *([extra] if len(results) == 2 else []))
    return table


async def demo(
    console: Console, *, calls: int, rate: float, max_items: int, progress_bars: bool = True
) -> list[RunResult]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console.print(
        f"[bold]sonoran-async demo[/]: {calls:,} synthetic 911 calls, twice, into an "
        f"emulator that allows {rate:g} requests/s (the client's limiter matches it)."
    )
    runs = (
        ("one per request", "single", BatchPolicy(max_items=1)),
        (f"batched (max_items={max_items})", "batched", BatchPolicy(max_items=max_items)),
    )
    results: list[RunResult] = []
    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not progress_bars,
    ) as progress:
        tasks = [progress.add_task(label, total=calls, start=False) for label, _, _ in runs]
        for (label, run, batch), task in zip(runs, tasks, strict=True):
            results.append(
                await ingest_run(
                    label, run, calls, rate=rate, batch=batch, progress=progress, task=task
                )
            )
    console.print(comparison_table(results, rate))
    return results


async def run_demo(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console()
    if not args.rate_limit > 0:
        console.print("[red]error:[/] --rate-limit must be > 0")
        return 2
    results = await demo(
        console,
        calls=args.calls,
        rate=args.rate_limit,
        max_items=args.max_items,
        progress_bars=not args.no_progress,
    )
    bad = [r for r in results if r.lost or r.failed or r.wrong_ids]
    if bad:
        console.print("[red]some calls were lost, failed or got the wrong id[/]")
        return EXIT_FAILED
    single, batched = results[0], results[-1]
    console.print(
        f"Batched: [bold green]{batched.items_per_second / single.items_per_second:,.0f}x[/] "
        f"the items/s with {single.requests / max(batched.requests, 1):,.0f}x fewer requests; "
        "every call created exactly once."
    )
    return EXIT_OK

"""Throughput, latency, rate-limit and memory benchmarks for sonoran-async, in one run.

    python benchmarks/throughput.py            # full run, 3 rounds (a few minutes)
    python benchmarks/throughput.py --quick    # CI smoke run (seconds)
    python benchmarks/throughput.py --save     # also write the committed results/

The emulator runs in a separate process (`python -m sonoran_async emulate --port 0`), a
fresh one per measurement, so that its growing state does not skew later numbers. The
client runs here. Measured, side by side:

- this client at max_items 1, 10, 100, 500 (rate_limit=None) through `submit()`;
- `submit()` (no task per item) vs `asyncio.gather` of `call_911()` coroutines;
- a plain aiohttp loop posting one object per request with bounded concurrency;
- each of the above on asyncio's loop and on uvloop when it is installed;
- low-load latency: sequential single calls, enqueue to result, client vs a bare POST;
- items/s under an emulator rate limit R (client limiter R/s, burst 1) vs R x max_items;
- memory per pending item: 100k items queued behind a transport that never answers.

Every scenario runs `--repeats` times (at least 3), the scenarios alternating round by
round; every figure and ratio printed is the median with its min and max (see
`throughput_report.py`). It prints markdown tables and writes `latest.json` and
`throughput.png` into `benchmarks/out/` (ignored by git; `--out DIR` elsewhere); only
`--save` writes `benchmarks/results/`, the figures the README quotes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import importlib
import json
import logging
import os
import platform
import re
import shlex
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from throughput_report import markdown, percentile, plot, ratios, summary, targets

from sonoran_async import BatchPolicy, Call911, RateLimit, SonoranClient
from sonoran_async._transport import Reply

COMMUNITY, KEY = "bench", "bench-key"
POOL_SIZE = 1024
HERE = Path(__file__).resolve().parent

uvloop: Any = None  # the bench extra installs it
with contextlib.suppress(ImportError):
    uvloop = importlib.import_module("uvloop")


# --- the emulator process ----------------------------------------------------------------


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class EmulatorProcess:
    """`python -m sonoran_async emulate --port 0` in a child process."""

    def __init__(self, rate_limit: float | None = None) -> None:
        command = [
            sys.executable,
            "-m",
            "sonoran_async",
            "emulate",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--community-id",
            COMMUNITY,
            "--api-key",
            KEY,
        ]
        if rate_limit is not None:
            command += ["--rate-limit", str(rate_limit)]
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if match := re.search(r"listening on (http://\S+)", line):
                self.url = match.group(1)
                return
        self.proc.kill()
        err = self.proc.stderr.read() if self.proc.stderr else ""
        raise RuntimeError(f"the emulator did not start: {line!r} {err[-2000:]}")

    def cpu(self) -> float | None:
        return _cpu_seconds(self.proc.pid)

    def stop(self) -> dict[str, int]:
        """Stop it (SIGTERM) and return its counters from its last line."""
        self.proc.terminate()
        try:
            out, _ = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        match = re.search(r"(\d+) requests, (\d+) objects applied, (\d+) rate limited", out or "")
        if not match:
            return {}
        requests, objects, limited = map(int, match.groups())
        return {"requests": requests, "objects": objects, "rate_limited": limited}

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.stop()


# --- helpers -----------------------------------------------------------------------------


def run_in_loop(kind: str, factory: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    loop_factory = uvloop.new_event_loop if kind == "uvloop" and uvloop else None
    gc.collect()
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(factory())


def make_pool() -> list[Call911]:
    return [
        Call911(
            caller=f"Caller {i}",
            location=f"{100 + i} Alta St",
            description=f"Bench call {i}: traffic collision, two vehicles",
            is_emergency=bool(i % 2),
        )
        for i in range(POOL_SIZE)
    ]


def wire_pool() -> list[dict[str, Any]]:
    """The same calls as plain dicts, the way a hand-written loop would hold them."""
    return [
        {
            "serverId": 1,
            "isEmergency": bool(i % 2),
            "caller": f"Caller {i}",
            "location": f"{100 + i} Alta St",
            "description": f"Bench call {i}: traffic collision, two vehicles",
        }
        for i in range(POOL_SIZE)
    ]


async def settle(futures: list[asyncio.Future[int]]) -> int:
    """Await every future in order (cheap once done); return how many failed."""
    errors = 0
    for future in futures:
        try:
            await future
        except Exception:
            errors += 1
    return errors


class Measure:
    """Wall time, this process's CPU time and the emulator's CPU time over a block."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator

    def __enter__(self) -> Measure:
        self.emu_cpu0 = self.emulator.cpu()
        self.cpu0 = time.process_time()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.cpu0
        emu_cpu1 = self.emulator.cpu()
        self.emu_cpu = (
            emu_cpu1 - self.emu_cpu0 if emu_cpu1 is not None and self.emu_cpu0 is not None else None
        )

    def row(self, items: int, **extra: Any) -> dict[str, Any]:
        return {
            **extra,
            "items": items,
            "seconds": round(self.seconds, 4),
            "items_per_s": round(items / self.seconds, 1),
            "client_cpu_s": round(self.cpu, 4),
            "items_per_client_cpu_s": round(items / self.cpu, 1) if self.cpu else None,
            "emulator_cpu_s": round(self.emu_cpu, 3) if self.emu_cpu is not None else None,
        }


# --- scenarios ---------------------------------------------------------------------------


async def client_run(
    emulator: EmulatorProcess, n: int, max_items: int, path: str, pool: list[Call911]
) -> dict[str, Any]:
    policy = BatchPolicy(max_items=max_items)
    async with SonoranClient(
        COMMUNITY, KEY, base_url=emulator.url, rate_limit=None, batch=policy
    ) as cad:
        # Warm up: open the connections the lane will use.
        await asyncio.gather(*(cad.call_911(pool[i]) for i in range(min(64, n))))
        before = cad.stats
        with Measure(emulator) as m:
            if path == "submit":
                submit = cad.submit
                futures = [await submit(pool[i % POOL_SIZE]) for i in range(n)]
                errors = await settle(futures)
            else:
                results = await asyncio.gather(
                    *(cad.call_911(pool[i % POOL_SIZE]) for i in range(n)),
                    return_exceptions=True,
                )
                errors = sum(isinstance(r, BaseException) for r in results)
        stats = cad.stats
    requests = stats.requests - before.requests
    return m.row(
        n,
        kind="client",
        path=path,
        max_items=max_items,
        requests=requests,
        mean_batch=round((stats.items - before.items) / max(requests, 1), 1),
        errors=errors,
    )


async def aiohttp_loop_run(emulator: EmulatorProcess, n: int, concurrency: int) -> dict[str, Any]:
    """The baseline: what a user writes without this library (one object per POST)."""
    url = f"{emulator.url}/emergency/call_911"
    headers = {"Content-Type": "application/json"}
    objects = wire_pool()
    errors = 0

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        indices = iter(range(n))

        async def worker() -> None:
            nonlocal errors
            for i in indices:
                body = orjson.dumps(
                    {
                        "id": COMMUNITY,
                        "key": KEY,
                        "type": "CALL_911",
                        "data": [objects[i % POOL_SIZE]],
                    }
                )
                async with session.post(url, data=body, headers=headers) as resp:
                    text = await resp.text()
                    if resp.status != 200:
                        errors += 1
                    else:
                        int(text.rsplit(" ", 1)[-1])

        warm = iter(range(min(64, n)))
        indices, rest = warm, indices
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        indices = rest
        with Measure(emulator) as m:
            await asyncio.gather(*(worker() for _ in range(concurrency)))
    return m.row(
        n, kind="aiohttp_loop", concurrency=concurrency, requests=n, mean_batch=1.0, errors=errors
    )


async def latency_run(
    emulator: EmulatorProcess, samples: int, pool: list[Call911]
) -> dict[str, Any]:
    """Sequential single calls at low load: client vs bare POST, interleaved."""
    url = f"{emulator.url}/emergency/call_911"
    headers = {"Content-Type": "application/json"}
    objects = wire_pool()
    client_ms: list[float] = []
    bare_ms: list[float] = []
    now = time.perf_counter
    async with (
        SonoranClient(COMMUNITY, KEY, base_url=emulator.url, rate_limit=None) as cad,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session,
    ):
        for i in range(samples + 50):
            t0 = now()
            future = await cad.submit(pool[i % POOL_SIZE])
            await future
            t1 = now()
            body = orjson.dumps(
                {"id": COMMUNITY, "key": KEY, "type": "CALL_911", "data": [objects[i % POOL_SIZE]]}
            )
            async with session.post(url, data=body, headers=headers) as resp:
                text = await resp.text()
                int(text.rsplit(" ", 1)[-1])
            t2 = now()
            if i >= 50:  # warm-up done
                client_ms.append((t1 - t0) * 1000)
                bare_ms.append((t2 - t1) * 1000)
    result = {
        "samples": samples,
        "client_p50_ms": percentile(client_ms, 50),
        "client_p99_ms": percentile(client_ms, 99),
        "bare_p50_ms": percentile(bare_ms, 50),
        "bare_p99_ms": percentile(bare_ms, 99),
    }
    result["added_p50_ms"] = result["client_p50_ms"] - result["bare_p50_ms"]
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()}


async def rate_limited_run(
    emulator: EmulatorProcess, rate: float, max_items: int, seconds: float, pool: list[Call911]
) -> dict[str, Any]:
    n = max(int(rate * max_items * seconds), max_items)
    async with SonoranClient(
        COMMUNITY,
        KEY,
        base_url=emulator.url,
        rate_limit=RateLimit(per_second=rate, burst=1),
        batch=BatchPolicy(max_items=max_items, max_pending=max(n, 10_000)),
    ) as cad:
        await asyncio.sleep(1.5 / rate)  # let both buckets refill after the previous run
        with Measure(emulator) as m:
            futures = [await cad.submit(pool[i % POOL_SIZE]) for i in range(n)]
            errors = await settle(futures)
        stats = cad.stats
    row = m.row(
        n,
        rate=rate,
        max_items=max_items,
        ceiling=rate * max_items,
        requests=stats.requests,
        mean_batch=round(stats.mean_batch_size, 1),
        rate_limited_429=stats.rate_limited,
        errors=errors,
    )
    row["of_ceiling"] = round(row["items_per_s"] / (rate * max_items), 3)
    return row


class StuckTransport:
    """A transport whose requests never complete: everything stays queued or in flight."""

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        await asyncio.get_running_loop().create_future()
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        pass


async def memory_run(n: int, pool: list[Call911], path: str) -> dict[str, Any]:
    cad = SonoranClient(
        COMMUNITY,
        KEY,
        rate_limit=None,
        batch=BatchPolicy(max_pending=n + 10_000),
        transport=StuckTransport(),
        close_timeout=0.05,
    )
    # One item through first, so that the lane's pump and the first batch exist already.
    first = await cad.submit(pool[0])
    await asyncio.sleep(0)
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    held: list[Any]
    if path == "submit":
        submit = cad.submit
        held = [await submit(pool[i % POOL_SIZE]) for i in range(n)]
    else:  # a task per item, the way gather() of coroutines holds them
        loop = asyncio.get_running_loop()
        held = [loop.create_task(cad.call_911(pool[i % POOL_SIZE])) for i in range(n)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    pending = cad.stats.pending
    quiet = logging.getLogger("sonoran_async")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the close deadline below is expected
    try:
        await cad.aclose()
    finally:
        quiet.setLevel(level)
    for item in held:
        if isinstance(item, asyncio.Task):
            item.cancel()
    await asyncio.gather(first, *held, return_exceptions=True)
    return {
        "path": path,
        "items": n,
        "pending": pending,
        "bytes_per_item": round((current - base) / n, 1),
        "peak_bytes_per_item": round((peak - base) / n, 1),
    }


# --- the run -----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="sonoran-async throughput and latency benchmarks (emulator in a child process)."
    )
    parser.add_argument("--quick", action="store_true", help="CI smoke run: tiny sizes, seconds")
    parser.add_argument("--items", type=int, default=100_000, help="items per batched run")
    parser.add_argument(
        "--single-items", type=int, default=5_000, help="items per one-object-per-request run"
    )
    parser.add_argument(
        "--batch-sizes", default="1,10,100,500", help="max_items values (comma separated)"
    )
    parser.add_argument("--gather-items", type=int, default=50_000, help="items, submit vs gather")
    parser.add_argument("--concurrency", type=int, default=4, help="aiohttp baseline concurrency")
    parser.add_argument("--latency-samples", type=int, default=1_000)
    parser.add_argument("--rate", type=float, default=20.0, help="emulator limit, requests/s")
    parser.add_argument("--rate-seconds", type=float, default=3.0, help="length of each rate run")
    parser.add_argument(
        "--rate-batch-sizes", default="1,10,100,500", help="max_items under the rate limit"
    )
    parser.add_argument("--pending", type=int, default=100_000, help="items queued, memory run")
    parser.add_argument(
        "--loops", default="asyncio,uvloop", help="event loops to try (uvloop if installed)"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="rounds of every scenario (at least 3)"
    )
    parser.add_argument(
        "--out", type=Path, default=HERE / "out", help="where to write (default: ignored out/)"
    )
    parser.add_argument(
        "--save", action="store_true", help="write benchmarks/results/ (the committed figures)"
    )
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    if args.repeats < 3:
        parser.error("--repeats must be at least 3: a median of fewer runs says little")
    if args.save:
        args.out = HERE / "results"
    if args.quick:  # every scenario runs; the sizes only need to pass through the code
        args.items = 1_000
        args.single_items = 100
        args.gather_items = 500
        args.latency_samples = 30
        args.rate = 50.0
        args.rate_seconds = 0.2
        args.rate_batch_sizes = "1,100"
        args.pending = 2_000
        args.loops = "asyncio"
    args.batch_sizes = [int(x) for x in args.batch_sizes.split(",")]
    args.rate_batch_sizes = [int(x) for x in args.rate_batch_sizes.split(",")]
    args.loops = [x for x in args.loops.split(",") if x == "asyncio" or (x == "uvloop" and uvloop)]
    return args


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "aiohttp": aiohttp.__version__,
        "uvloop": getattr(uvloop, "__version__", None),
    }


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fresh(quick: bool, shared: list[EmulatorProcess]) -> Callable[[], EmulatorProcess]:
    """A new emulator per measurement; in quick mode one is shared by every round
    (start-up dominates)."""

    def get() -> EmulatorProcess:
        if quick:
            if not shared:
                shared.append(EmulatorProcess())
            return shared[0]
        return EmulatorProcess()

    return get


def measured(get: Callable[[], EmulatorProcess], quick: bool) -> Callable[..., Any]:
    def run(loop: str, scenario: Callable[[EmulatorProcess], Awaitable[Any]]) -> Any:
        emulator = get()
        try:
            return run_in_loop(loop, lambda: scenario(emulator))  # type: ignore[arg-type,return-value]
        finally:
            if not quick:
                emulator.stop()

    return run


def one_round(
    args: argparse.Namespace,
    round_: int,
    pool: list[Call911],
    results: dict[str, Any],
    shared: list[EmulatorProcess],
) -> None:
    """Every scenario once, in a fixed order: round after round, compared runs alternate."""
    run = measured(fresh(args.quick, shared), args.quick)
    tag = {"round": round_}
    for loop in args.loops:
        for size in args.batch_sizes:
            n = args.single_items if size == 1 else args.items
            log(f"[{round_}/{loop}] client submit, max_items={size}, {n:,} items")
            row = run(loop, lambda e, n=n, size=size: client_run(e, n, size, "submit", pool))
            results["throughput"].append({"loop": loop, **tag, **row})
        log(f"[{round_}/{loop}] plain aiohttp loop, concurrency {args.concurrency}")
        row = run(loop, lambda e: aiohttp_loop_run(e, args.single_items, args.concurrency))
        results["throughput"].append({"loop": loop, **tag, **row})
        log(f"[{round_}/{loop}] client gather of coroutines, max_items=100")
        row = run(loop, lambda e: client_run(e, args.gather_items, 100, "gather", pool))
        results["throughput"].append({"loop": loop, **tag, **row})
        log(f"[{round_}/{loop}] client submit, max_items=100, for the gather comparison")
        row = run(loop, lambda e: client_run(e, args.gather_items, 100, "submit", pool))
        results["throughput"].append({"loop": loop, **tag, **row, "comparison": "gather"})
        log(f"[{round_}/{loop}] low-load latency, {args.latency_samples} sequential calls")
        row = run(loop, lambda e: latency_run(e, args.latency_samples, pool))
        results["latency"].append({"loop": loop, **tag, **row})
    with EmulatorProcess(rate_limit=args.rate) as limited:
        for size in args.rate_batch_sizes:
            log(f"[{round_}/asyncio] emulator limit {args.rate:g}/s, max_items={size}")
            row = run_in_loop(
                "asyncio",
                functools.partial(
                    rate_limited_run, limited, args.rate, size, args.rate_seconds, pool
                ),
            )
            results["rate_limited"].append({**tag, **row})
        results["rate_limited_emulator"].append({**tag, **limited.stop()})
    for path in ("submit", "gather"):
        log(f"[{round_}/asyncio] memory, {args.pending:,} items pending ({path})")
        row = run_in_loop("asyncio", functools.partial(memory_run, args.pending, pool, path))
        results["memory"].append({**tag, **row})


def run_all(args: argparse.Namespace) -> dict[str, Any]:
    pool = make_pool()
    results: dict[str, Any] = {
        "machine": machine(),
        "command": shlex.join(["python", "benchmarks/throughput.py", *sys.argv[1:]]),
        "quick": args.quick,
        "repeats": args.repeats,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "throughput": [],
        "latency": [],
        "rate_limited": [],
        "rate_limited_emulator": [],
        "memory": [],
    }
    shared: list[EmulatorProcess] = []  # quick mode's one emulator
    try:
        for round_ in range(1, args.repeats + 1):
            one_round(args, round_, pool, results, shared)
    finally:
        for emulator in shared:
            emulator.stop()
    results["summary"] = summary(results)
    results["ratios"] = ratios(results)
    results["targets"] = targets(results["summary"], results["ratios"])
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    results = run_all(args)
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / "latest.json"
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    png_path = args.out / "throughput.png"
    plotted = not args.no_plot and plot(results, png_path)
    if not plotted and not args.no_plot:
        log("matplotlib is not installed: no plot (pip install -e '.[bench]')")
    print(markdown(results))
    log(
        f"\nwrote {json_path}"
        + (f" and {png_path}" if plotted else "")
        + f" in {results['elapsed_s']} s"
        + ("" if args.save else " (--save writes benchmarks/results/)")
    )
    errors = sum(r.get("errors", 0) for r in results["throughput"] + results["rate_limited"])
    if errors:
        log(f"{errors} items failed during the run")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

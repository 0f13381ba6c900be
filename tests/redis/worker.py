"""One process of a sharded ingestion job, for tests/redis and benchmarks/redis_processes.py.

Builds its client, prints "ready", waits for a line on stdin (so that every process starts
together), submits `--items` CALL_911s and prints one JSON line: the id each caller got
and the client's counters.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sonoran_async import (
    BatchPolicy,
    Call911,
    Limiter,
    RateLimit,
    RedisRateLimit,
    SonoranClient,
)

WORKERS_TIMEOUT = 120.0  # seconds for a whole run of workers: no hang, whatever happens


class SkewedClock:
    """This host's clock, `offset` seconds away from everyone else's."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def run(args: argparse.Namespace) -> dict[str, object]:
    clock = SkewedClock(args.clock_offset)
    rate: Limiter | RateLimit = (
        RateLimit(per_second=args.rate, burst=1)
        if args.redis == "local"
        else RedisRateLimit(args.redis, per_second=args.rate, clock=clock)
    )
    async with SonoranClient(
        "demo",
        "demo-key",
        base_url=args.url,
        rate_limit=rate,
        batch=BatchPolicy(max_items=args.max_items),
        clock=clock,
    ) as cad:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        futures = [
            await cad.submit(Call911(caller=f"{args.tag}-{n}", location="Route 68"))
            for n in range(args.items)
        ]
        results = await asyncio.gather(*futures, return_exceptions=True)
        stats = cad.stats
    return {
        "ids": {f"{args.tag}-{n}": r for n, r in enumerate(results) if isinstance(r, int)},
        "errors": [repr(r) for r in results if isinstance(r, BaseException)],
        "requests": stats.requests,
        "rate_limited": stats.rate_limited,
    }


async def run_processes(
    url: str,
    redis: str,
    *,
    rate: float,
    items: int,
    max_items: int,
    clock_offsets: Sequence[float],
) -> list[dict[str, Any]]:
    """Run one worker process per clock offset against `url`, started together; their
    reports, in order. Bounded by WORKERS_TIMEOUT; a worker that fails raises RuntimeError."""
    procs = []
    try:
        async with asyncio.timeout(WORKERS_TIMEOUT):
            for n, offset in enumerate(clock_offsets):
                procs.append(
                    await asyncio.create_subprocess_exec(
                        *(sys.executable, str(Path(__file__)), "--url", url, "--redis", redis),
                        *("--rate", str(rate), "--items", str(items), "--tag", f"p{n}"),
                        *("--max-items", str(max_items), "--clock-offset", str(offset)),
                        stdin=asyncio.subprocess.PIPE,
                        stdout=asyncio.subprocess.PIPE,
                        stderr=asyncio.subprocess.PIPE,
                    )
                )
            for proc in procs:
                assert proc.stdout is not None
                if (await proc.stdout.readline()).strip() != b"ready":
                    raise RuntimeError(f"a worker did not start: {await _stderr(proc)}")
            outputs = await asyncio.gather(*(proc.communicate(b"go\n") for proc in procs))
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    reports = []
    for proc, (out, err) in zip(procs, outputs, strict=True):
        if proc.returncode != 0:
            raise RuntimeError(f"a worker failed: {err.decode(errors='replace')}")
        reports.append(json.loads(out.decode().splitlines()[-1]))
    return reports


async def _stderr(proc: asyncio.subprocess.Process) -> str:
    assert proc.stderr is not None
    proc.kill()
    return (await proc.stderr.read()).decode(errors="replace")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="the emulator's base URL")
    parser.add_argument("--redis", required=True, help='a Redis URL, or "local"')
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--items", type=int, required=True)
    parser.add_argument("--max-items", type=int, required=True)
    parser.add_argument("--tag", required=True)
    parser.add_argument("--clock-offset", type=float, default=0.0)
    print(json.dumps(asyncio.run(run(parser.parse_args()))), flush=True)


if __name__ == "__main__":
    main()

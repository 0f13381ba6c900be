"""Emulator memory over HTTP: RSS growth of an emulator process across create+remove.

    python benchmarks/emulator_memory_http.py                 # 40,000 creates + removes
    python benchmarks/emulator_memory_http.py --calls 100000

The emulator runs as its own process (`python -m sonoran_async.emulator`); this script
sends CALL_911 requests of 100 objects (with metaData) and then REMOVE_911 requests of
100 objects over loopback HTTP, and reads the emulator's RSS from /proc (Linux only)
before and after. What it measures is what a long-running emulator keeps: its change
log (bounded in entries and in bytes), call records and bookkeeping.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import orjson

BATCH = 100
_ENVELOPE = {"id": "demo", "key": "demo-key"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def rss_mb(pid: int) -> float:
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * 4096 / 2**20


async def drive(url: str, calls: int) -> None:
    async with aiohttp.ClientSession() as session:
        ids: list[int] = []
        for start in range(0, calls, BATCH):
            data = [
                {
                    "serverId": 1,
                    "caller": f"Caller {n}",
                    "location": "1234 E. Test St.",
                    "description": "Benchmark call over HTTP",
                    "metaData": {"sonoranAsyncToken": f"run-{n:x}", "postal": str(n % 9999)},
                }
                for n in range(start, min(start + BATCH, calls))
            ]
            body = orjson.dumps({**_ENVELOPE, "type": "CALL_911", "data": data})
            async with session.post(f"{url}/emergency/call_911", data=body) as resp:
                text = await resp.text()
            ids += [int(line.rsplit(" ", 1)[1]) for line in text.splitlines()]
        for start in range(0, len(ids), BATCH):
            data = [{"serverId": 1, "callId": i} for i in ids[start : start + BATCH]]
            body = orjson.dumps({**_ENVELOPE, "type": "REMOVE_911", "data": data})
            async with session.post(f"{url}/emergency/remove_911", data=body) as resp:
                await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"REMOVE_911 answered {resp.status}")


async def wait_up(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(f"{url}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the emulator did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=40_000)
    parser.add_argument("emulator", nargs="*", help="emulator options, after --")
    args = parser.parse_args()
    port = free_port()
    emulator = subprocess.Popen(
        [sys.executable, "-m", "sonoran_async.emulator", "--port", str(port), *args.emulator],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(wait_up(url))
        before = rss_mb(emulator.pid)
        started = time.perf_counter()
        asyncio.run(drive(url, args.calls))
        elapsed = time.perf_counter() - started
        after = rss_mb(emulator.pid)
    finally:
        emulator.terminate()
        emulator.wait(10)
    print(
        f"{args.calls:,} creates + removes over HTTP in {elapsed:.1f}s: emulator RSS "
        f"{before:.1f} -> {after:.1f} MB (+{after - before:.1f} MB)"
    )


if __name__ == "__main__":
    main()

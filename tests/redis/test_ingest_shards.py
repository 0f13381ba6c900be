"""Sharded ingestion: two `sonoran-async ingest` processes, one budget through
`--redis-url` (and `$SONORAN_REDIS_URL`), against an emulator limited to that budget."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from pathlib import Path

import orjson

from sonoran_async.emulator import Emulator

RATE = 4.0  # requests per second, the emulator's limit and the shared budget


async def ingest(
    source: Path, url: str, *extra: str, env: dict[str, str]
) -> tuple[int, dict[str, object]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sonoran_async",
        "ingest",
        str(source),
        "--url",
        url,
        "--rate-limit",
        str(RATE),
        "--burst",
        "1",
        "--max-items",
        "5",
        "--max-in-flight",
        "1",
        "--no-journal",
        "--no-progress",
        "--json",
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "SONORAN_COMMUNITY_ID": "demo", "SONORAN_API_KEY": "demo-key", **env},
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, orjson.loads(out) if out.strip() else {"stderr": err.decode()}


def shard(path: Path, name: str, n: int) -> list[str]:
    callers = [f"{name}-{i}" for i in range(n)]
    path.write_bytes(
        b"".join(orjson.dumps({"caller": c, "location": "x"}) + b"\n" for c in callers)
    )
    return callers


async def test_two_ingest_shards_share_one_budget_through_redis(
    tmp_path: Path, redis_url: str
) -> None:
    a, b = shard(tmp_path / "a.jsonl", "a", 20), shard(tmp_path / "b.jsonl", "b", 20)
    async with Emulator("demo", "demo-key", rate_limit=RATE) as emu:
        results = await asyncio.gather(
            ingest(tmp_path / "a.jsonl", emu.url, "--redis-url", redis_url, env={}),
            ingest(tmp_path / "b.jsonl", emu.url, env={"SONORAN_REDIS_URL": redis_url}),
        )
        made = Counter(r["caller"] for r in emu.state.emergency_calls.values())
        rate_limited = emu.stats.rate_limited
    assert [code for code, _ in results] == [0, 0], results
    assert rate_limited == 0  # one budget: the server's limit was never overrun
    assert sorted(made) == sorted(a + b) and set(made.values()) == {1}


async def test_the_same_shards_with_local_budgets_overrun_the_limit(tmp_path: Path) -> None:
    """The control: without Redis each process spends the whole budget, so 429s come."""
    shard(tmp_path / "a.jsonl", "a", 20), shard(tmp_path / "b.jsonl", "b", 20)
    async with Emulator("demo", "demo-key", rate_limit=RATE) as emu:
        await asyncio.gather(
            ingest(tmp_path / "a.jsonl", emu.url, env={}),
            ingest(tmp_path / "b.jsonl", emu.url, env={}),
        )
        assert emu.stats.rate_limited > 0

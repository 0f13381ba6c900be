"""``python -m sonoran_async.emulator`` / ``sonoran-async emulate`` options and lifecycle."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from sonoran_async.emulator._cli import add_emulate_arguments, run_emulate

ROOT = Path(__file__).resolve().parents[2]
OBJ = {"serverId": 1, "isEmergency": False, "caller": "c", "location": "l", "description": "d"}


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_emulate_arguments(parser)
    return parser.parse_args(argv)


def test_options_parse() -> None:
    args = parse(
        *("--host", "0.0.0.0", "--port", "9000", "--community-id", "c", "--api-key", "k"),
        *("--plan", "sonoran_one", "--multi", "first_only", "--rate-limit", "2.5"),
        *("--latency", "150", "--close-call-plan", "PLUS", "--fault-503", "0.1"),
        *("--fault-500", "0.05", "--fault-500-after", "0.01", "--fault-reset", "0.02"),
        *("--fault-reset-after", "0.03", "--fault-slow", "0.04", "--slow-seconds", "2"),
        *("--seed", "7", "--server-id", "1", "--server-id", "2"),
    )
    assert (args.host, args.port, args.community_id, args.api_key) == ("0.0.0.0", 9000, "c", "k")
    assert (args.plan, args.multi, args.rate_limit, args.latency) == (
        "sonoran_one",
        "first_only",
        2.5,
        150.0,
    )
    assert (args.close_call_plan, args.seed, args.server_ids) == ("PLUS", 7, [1, 2])
    assert (args.fault_503, args.fault_500, args.fault_500_after) == (0.1, 0.05, 0.01)
    assert (args.fault_reset, args.fault_reset_after, args.fault_slow) == (0.02, 0.03, 0.04)
    assert args.slow_seconds == 2.0
    defaults = parse()
    assert (defaults.host, defaults.port, defaults.plan, defaults.multi) == (
        "127.0.0.1",
        8080,
        "PRO",
        "per_item",
    )
    assert defaults.rate_limit is None


@pytest.mark.parametrize(
    "argv",
    [["--plan", "GOLD"], ["--fault-503", "2"], ["--rate-limit", "0"], ["--multi", "all"]],
)
def test_bad_options_rejected(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parse(*argv)
    assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


def test_fault_sum_over_one_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_emulate(parse("--port", "0", "--fault-503", "0.7", "--fault-500", "0.7")) == 2
    assert "more than 1" in capsys.readouterr().err


@asynccontextmanager
async def cli(*argv: str) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sonoran_async.emulator",
        "--port",
        "0",
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        prefix = "Sonoran CAD emulator listening on http://127.0.0.1:"
        assert line.startswith(prefix), line
        yield line.split(" on ", 1)[1].strip(), proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def post(url: str, rtype: str, key: str = "secret-KEY-123") -> tuple[int, str]:
    body = {"id": "cid", "key": key, "type": rtype, "data": [OBJ]}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url}/emergency/{rtype.lower()}", json=body) as resp,
    ):
        return resp.status, await resp.text()


async def test_cli_serves_and_stops_on_sigterm() -> None:
    args = ("--community-id", "cid", "--api-key", "secret-KEY-123", "--plan", "STANDARD")
    async with cli(*args) as (url, proc):
        assert await post(url, "CALL_911") == (200, "EMERGENCY CALL ADDED ID: 1")
        assert await post(url, "GET_CALLS") == (
            400,
            "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY",
        )
        assert await post(url, "CALL_911", key="nope") == (400, "INVALID API KEY")
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 10)
        assert proc.returncode == 0
    assert b"secret-KEY-123" not in out + err
    assert b"Traceback" not in err


async def test_cli_faults_and_ctrl_c() -> None:
    args = ("--community-id", "cid", "--api-key", "secret-KEY-123", "--fault-503", "1")
    async with cli(*args, "--seed", "1") as (url, proc):
        assert await post(url, "CALL_911") == (503, "Service Unavailable")
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), 10)
        assert proc.returncode == 0
        assert b"Traceback" not in err

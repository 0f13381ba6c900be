"""``python -m sonoran_async.emulator`` / ``sonoran-async emulate`` options and lifecycle."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import orjson
import pytest

from sonoran_async.emulator import _cli as emulator_cli
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


# --- the command line as a user meets it: --help, usage errors, a busy port, access log ---


async def run_cli(*argv: str) -> tuple[int, str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.parametrize(
    "command", [("sonoran_async.emulator",), ("sonoran_async", "emulate")], ids=["module", "cli"]
)
async def test_help_lists_every_option_with_its_default(command: tuple[str, ...]) -> None:
    code, out, _ = await run_cli(*command, "--help")
    assert code == 0
    flat = " ".join(out.split())  # help text is wrapped
    parser = argparse.ArgumentParser()
    add_emulate_arguments(parser)
    options = [a for a in parser._actions if not isinstance(a, argparse._HelpAction)]
    assert len(options) >= 25
    for action in options:
        assert action.help is not None and "(default: " in action.help, action.option_strings
        for flag in action.option_strings:
            assert flag in flat
    for shown in (
        "--port PORT port, 0 for any free one (default: 8080)",
        "(default: PRO)",
        "(default: per_item)",
        "all_one_line",
        "all_then_400",
        "JSON nesting depth (default: 32)",
        "characters in one JSON string (default: 65536)",
        "(default: 100000)",
        "(default: 1048576)",
        "(default: no limit)",
        "(default: STANDARD)",
    ):
        assert shown in flat, shown


BAD_VALUES = [
    ("--port", "99999"),
    ("--port", "-1"),
    ("--rate-limit", "-2"),
    ("--latency", "-5"),
    ("--latency", "nan"),
    ("--fault-503", "1.5"),
    ("--slow-seconds", "inf"),
    ("--plan", "GOLD"),
    ("--multi", "all"),
    ("--server-ids", "1,x"),
    ("--log-size", "0"),
    ("--max-depth", "1"),
    ("--seed", "1.5"),
]


def test_bad_values_are_clean_usage_errors(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each bad value is refused by the parser (in-process: 13 interpreters cost seconds;
    the next test shows the process itself exits 2 the same way)."""

    def never(args: object) -> int:
        raise AssertionError(f"accepted: {args}")

    monkeypatch.setattr(emulator_cli, "run_emulate", never)
    for option, value in BAD_VALUES:
        with pytest.raises(SystemExit) as stopped:
            emulator_cli.main([option, value])
        out, err = capsys.readouterr()
        assert stopped.value.code == 2, (option, value, err)
        assert f"argument {option}" in err and "usage:" in err, err
        assert "Traceback" not in err and out == ""


async def test_a_bad_value_ends_the_process_with_a_usage_error() -> None:
    code, out, err = await run_cli("sonoran_async.emulator", *BAD_VALUES[0])
    assert code == 2, err
    assert f"argument {BAD_VALUES[0][0]}" in err and "usage:" in err, err
    assert "Traceback" not in err and out == ""


async def test_a_port_in_use_is_one_clean_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out, err = await run_cli("sonoran_async", "emulate", "--port", str(port))
    assert code == 1
    assert err.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in err, err
    assert "Traceback" not in err and out == ""


async def test_every_option_reaches_the_emulator() -> None:
    args = (
        *("--community-id", "cid", "--api-key", "secret-KEY-123", "--plan", "PLUS"),
        *("--server-ids", "1,2", "--server-id", "5", "--multi", "all_one_line"),
        *("--max-depth", "4", "--max-body-bytes", "3000", "--max-string", "50"),
        *("--close-call-plan", "PRO", "--rate-limit", "1000", "--log-size", "3"),
    )
    async with cli(*args) as (url, proc), aiohttp.ClientSession() as session:

        async def send(path: str, rtype: str, data: object) -> tuple[int, str]:
            body = {"id": "cid", "key": "secret-KEY-123", "type": rtype, "data": data}
            async with session.post(f"{url}/{path}", json=body) as resp:
                return resp.status, await resp.text()

        assert await send("general/get_version", "GET_VERSION", []) == (200, "3")
        status, text = await send("general/get_servers", "GET_SERVERS", [])
        assert status == 200
        assert [s["id"] for s in orjson.loads(text)["servers"]] == [1, 2, 5]
        two = [OBJ, {**OBJ, "serverId": 5}]
        assert await send("emergency/call_911", "CALL_911", two) == (
            200,
            "EMERGENCY CALL ADDED ID: 2",
        )  # all_one_line: both applied, the last one's line
        deep = [{**OBJ, "metaData": {"a": [[[1]]]}}]
        assert (await send("emergency/call_911", "CALL_911", deep))[1].endswith("too deeply")
        long = [{**OBJ, "caller": "x" * 51}]
        assert (await send("emergency/call_911", "CALL_911", long))[1].endswith("too long")
        assert (await send("emergency/call_911", "CALL_911", [OBJ] * 40))[0] == 413
        close = [{"serverId": 1, "callId": 1}]
        assert await send("emergency/close_call", "CLOSE_CALL", close) == (
            400,
            "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY",
        )
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 10)


async def test_access_log_is_one_info_line_per_request_without_the_key() -> None:
    args = ("--community-id", "cid", "--api-key", "secret-KEY-123", "--access-log")
    async with cli(*args) as (url, proc):
        assert await post(url, "CALL_911") == (200, "EMERGENCY CALL ADDED ID: 1")
        assert await post(url, "CALL_911", key="wrong-key-456") == (400, "INVALID API KEY")
        async with aiohttp.ClientSession() as session, session.get(f"{url}/healthz") as r:
            assert r.status == 200
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 10)
    lines = err.decode().splitlines()
    assert len(lines) == 3, lines
    assert [line.split(" ", 2)[2].split(" ")[:5] for line in lines] == [
        ["INFO", "127.0.0.1", "POST", "/emergency/call_911", "200"],
        ["INFO", "127.0.0.1", "POST", "/emergency/call_911", "400"],
        ["INFO", "127.0.0.1", "GET", "/healthz", "200"],
    ]
    assert b"secret-KEY-123" not in err and b"wrong-key-456" not in err

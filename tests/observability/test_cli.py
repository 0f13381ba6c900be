"""`ingest --log-format json` (one JSON object per line, Sonoran's request_id in the 429
lines, never the key) and `ingest --metrics-port N` (scraped over HTTP during the run)."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import orjson
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from sonoran_async.cli import main
from sonoran_async.cli._observe import library_logs, stderr_console

SECRET = "s3cret-key-that-must-not-show"
REQUEST_ID = "rid-0123456789abcdef"


class FakeSonoran:
    """A v1 server: the first request is answered 429 with a request_id (and the key
    echoed), the ones after it with a line per object, then INVALID API KEY."""

    def __init__(self, *, refuse_after: int | None = None, hold: int | None = None) -> None:
        self.requests = 0
        self.refuse_after = refuse_after
        self.hold = hold  # this request waits for `release`
        self.held = asyncio.Event()
        self.release = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        envelope = orjson.loads(await request.read())
        if self.requests == self.hold:
            self.held.set()
            await self.release.wait()
        if self.requests == 1:
            body = {"message": f"limit for {envelope['key']}", "request_id": REQUEST_ID}
            return web.json_response(body, status=429, headers={"Retry-After": "0.01"})
        if self.refuse_after is not None and self.requests > self.refuse_after:
            return web.Response(status=400, text="INVALID API KEY")
        lines = [f"EMERGENCY CALL ADDED ID: {self.requests * 100 + i}" for i in range(3)]
        return web.Response(text="\n".join(lines[: len(envelope["data"])]))


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[FakeSonoran], asyncio.Future[str]]]:
    runners: list[web.AppRunner] = []

    async def start(fake: FakeSonoran) -> str:
        app = web.Application()
        app.router.add_post("/emergency/{type}", fake.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield start  # type: ignore[misc]
    for runner in runners:
        await runner.cleanup()


def write_calls(tmp_path: Path, n: int) -> Path:
    source = tmp_path / "calls.jsonl"
    source.write_bytes(
        b"".join(orjson.dumps({"caller": f"C{i}", "location": "x"}) + b"\n" for i in range(n))
    )
    return source


async def ingest(*args: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "SONORAN_COMMUNITY_ID": "demo", "SONORAN_API_KEY": SECRET}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sonoran_async",
        "ingest",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )


async def test_json_logs_are_one_object_per_line_with_request_ids_and_never_the_key(
    tmp_path: Path, serve: Callable[[FakeSonoran], asyncio.Future[str]]
) -> None:
    url = await serve(FakeSonoran(refuse_after=2))
    source = write_calls(tmp_path, 4)
    common = ["--url", url, "--rate-limit", "0", "--max-items", "1", "--max-in-flight", "1"]
    process = await ingest(str(source), *common, "--log-format", "json", "--no-journal")
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1  # refused lines
    lines = err.decode().splitlines()
    records = [orjson.loads(line) for line in lines]
    assert all(
        type(r) is dict and {"time", "level", "logger", "message"} <= r.keys() for r in records
    )
    (waited,) = [r for r in records if r.get("sonoran_event") == "rate_limited"]
    assert waited["request_id"] == REQUEST_ID and REQUEST_ID in waited["message"]
    assert waited["level"] == "warning" and waited["logger"] == "sonoran_async"
    assert any("INVALID API KEY" in r["message"] for r in records), lines
    for text in (out, err):
        assert SECRET.encode() not in text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def scrape(url: str) -> dict[tuple[str, str], float]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        text = await response.text()
    return {
        (sample.name, sample.labels.get("request_type", "")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if "le" not in sample.labels
    }


async def test_metrics_port_serves_the_run_while_it_runs(
    tmp_path: Path, serve: Callable[[FakeSonoran], asyncio.Future[str]]
) -> None:
    fake = FakeSonoran(hold=2)  # the re-send after the 429
    url = await serve(fake)
    source = write_calls(tmp_path, 7)
    port = free_port()
    process = await ingest(
        str(source), "--url", url, "--rate-limit", "0", "--max-items", "3", "--max-in-flight",
        "1", "--no-journal", "--no-progress", "--metrics-port", str(port),
    )  # fmt: skip
    try:
        await asyncio.wait_for(fake.held.wait(), 30)
        metrics = await scrape(f"http://127.0.0.1:{port}/metrics")
    finally:
        fake.release.set()
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err
    assert metrics[("sonoran_rate_limited_total", "CALL_911")] == 1
    assert metrics[("sonoran_requests_total", "CALL_911")] == 2
    assert metrics[("sonoran_in_flight", "CALL_911")] == 1
    assert metrics[("sonoran_pending", "CALL_911")] == 4  # 3 of 7 on the wire
    assert metrics[("sonoran_batch_size_count", "CALL_911")] == 1


async def test_a_busy_metrics_port_is_a_usage_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        source = str(write_calls(tmp_path, 1))
        process = await ingest(source, "--url", "http://127.0.0.1:9", "--metrics-port", str(port))
        _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert f"--metrics-port {port}" in err.decode()


def test_metrics_port_is_refused_without_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    monkeypatch.setenv("SONORAN_COMMUNITY_ID", "demo")
    monkeypatch.setenv("SONORAN_API_KEY", SECRET)
    source = str(write_calls(tmp_path, 1))
    with pytest.raises(SystemExit) as info:
        main(["ingest", source, "--url", "http://127.0.0.1:9", "--metrics-port", "9"])
    assert info.value.code == 2
    assert "pip install 'sonoran-async[metrics]'" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["65536", "70000"])
def test_a_metrics_port_out_of_range_is_a_usage_error_not_a_traceback(
    port: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SONORAN_COMMUNITY_ID", "demo")
    monkeypatch.setenv("SONORAN_API_KEY", SECRET)
    source = str(write_calls(tmp_path, 1))
    with pytest.raises(SystemExit) as info:
        main(["ingest", source, "--url", "http://127.0.0.1:9", "--metrics-port", port])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--metrics-port" in err and "at most 65535" in err and "Traceback" not in err


def test_an_unexpected_error_in_json_mode_is_one_json_line_without_the_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A bug's traceback came out raw under --log-format json (not JSON; the key in an
    exception text not cut out)."""
    args = argparse.Namespace(log_format="json", api_key=SECRET)
    with pytest.raises(SystemExit) as info, library_logs(args, stderr_console(args)):
        raise RuntimeError(f"boom with {SECRET} in it")
    assert info.value.code == 1
    [line] = capsys.readouterr().err.splitlines()
    entry = orjson.loads(line)
    assert entry["level"] == "error" and entry["error"] == "RuntimeError"
    assert "boom with *** in it" in entry["traceback"]
    assert SECRET not in line

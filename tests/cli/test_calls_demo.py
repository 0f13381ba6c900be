"""`sonoran-async calls` and `sonoran-async demo` (reduced size)."""

from __future__ import annotations

import asyncio

import pytest
from rich.console import Console

from sonoran_async import Call911, CallType, NewDispatch, SonoranClient
from sonoran_async.cli import main
from sonoran_async.cli._calls import render_calls
from sonoran_async.cli._demo import demo
from sonoran_async.emulator import Emulator, Faults


def test_calls_builtin_emulator(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["calls"]) == 0
    out = capsys.readouterr().out
    for text in (
        "Active dispatch calls (2)",
        "911 calls (3)",
        "Closed calls (1)",
        "Traffic Stop",
        "Structure Fire",
        "Welfare Check",
        "Jane Roe",
        "Break-in in progress",
        "civil",
    ):
        assert text in out, text


def test_calls_type_filter(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["calls", "--type", "emergency"]) == 0
    out = capsys.readouterr().out
    assert "911 calls (3)" in out
    assert "Traffic Stop" not in out


def test_calls_bad_closed_limit_is_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        main(["calls", "--closed-limit", "500"])
    assert info.value.code == 2


async def test_calls_against_url() -> None:
    async with (
        Emulator("demo", "demo-key") as emu,
        SonoranClient("demo", "demo-key", base_url=emu.url, rate_limit=None) as cad,
    ):
        await cad.call_911(Call911(caller="Only Caller", location="Nowhere"))
        await cad.new_dispatch(NewDispatch(title="Only Dispatch", priority=3))
        snapshot = await cad.get_calls()
    console = Console(width=200, record=True)
    render_calls(snapshot, console, CallType.ALL)
    text = console.export_text()
    assert "Only Caller" in text and "Only Dispatch" in text


async def test_demo_reduced() -> None:
    console = Console(width=160, record=True)
    results = await demo(console, calls=60, rate=300.0, max_items=20, progress_bars=False)
    single, batched = results
    assert (single.requests, single.mean_batch) == (60, 1.0)
    assert batched.requests == 3 and batched.mean_batch == 20.0
    for result in results:
        assert (result.lost, result.wrong_ids, result.failed, result.rate_limited) == (0, 0, 0, 0)
    text = console.export_text()
    assert "one per request" in text and "lost" in text


def test_demo_command(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["demo", "--calls", "40", "--rate-limit", "400", "--no-progress"]) == 0
    assert "every call created exactly once" in capsys.readouterr().out.replace("\n", " ")


async def test_calls_limits_each_table_and_says_how_many_more(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24, item 9: `calls` printed every row (4,003 in a run)."""
    monkeypatch.setenv("COLUMNS", "200")
    async with Emulator("demo", "demo-key") as emu:
        async with SonoranClient("demo", "demo-key", base_url=emu.url, rate_limit=None) as cad:
            for i in range(8):
                await cad.submit(Call911(caller=f"Caller {i}", location="x"))
            await cad.flush()
        argv = ["calls", "--url", emu.url, "--community-id", "demo", "--api-key", "demo-key"]
        code = await asyncio.to_thread(main, [*argv, "--type", "emergency", "--limit", "3"])
        assert code == 0
        out = capsys.readouterr().out
        assert "911 calls (8)" in out and "5 more (--limit 8 shows them all)" in out
        assert [f"Caller {i}" in out for i in range(8)] == [False] * 5 + [True] * 3  # newest
        code = await asyncio.to_thread(main, [*argv, "--type", "emergency"])
        assert code == 0 and "more" not in capsys.readouterr().out


async def test_calls_retry_warnings_are_prefixed_as_in_ingest(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24, item 5: `ingest` prefixed retry warnings with WARNING, `calls` did not."""
    monkeypatch.setenv("COLUMNS", "200")
    # seed 1: the first request draws a 503, the second none.
    async with Emulator("demo", "demo-key", faults=Faults(error_503=0.5, seed=1)) as emu:
        argv = ["calls", "--url", emu.url, "--community-id", "demo", "--api-key", "demo-key"]
        assert await asyncio.to_thread(main, [*argv, "--type", "emergency"]) == 0
    err = capsys.readouterr().err
    assert any(line.startswith("WARNING") and "retry" in line for line in err.splitlines()), err

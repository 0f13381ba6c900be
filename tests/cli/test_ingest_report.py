"""What `ingest` tells its operator, in-process: the progress agrees with the summary on
a terminal and off one, the failures end with their causes, the wording of the summary,
the help and the errors."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import orjson
import pytest
from rich.console import Console

from sonoran_async import SonoranClient
from sonoran_async.cli import _progress as progress_module
from sonoran_async.cli import _report as report_module
from sonoran_async.cli import build_parser, main
from sonoran_async.cli._ingest import Ingest
from sonoran_async.cli._journal import COMMIT_EVERY
from sonoran_async.emulator import Emulator

from .test_ingest import write_input

N = 40


def write_good(path: Path, n: int = N) -> None:
    path.write_bytes(
        b"".join(orjson.dumps({"caller": f"C{i}", "location": "x"}) + b"\n" for i in range(n))
    )


async def ingest_with(console: Console, source: Path, emu: Emulator, *extra: str) -> int:
    args = build_parser().parse_args(
        [
            *("ingest", str(source), "--url", emu.url),
            *("--community-id", "demo", "--api-key", "demo-key", "--rate-limit", "0"),
            *extra,
        ]
    )
    return await Ingest(args, console, summary_to=console).work()


async def test_the_bar_ends_on_the_final_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24, item 3: on a terminal the bar stopped at 900/1000 above a summary of 1000."""
    monkeypatch.setattr(progress_module, "BAR_EVERY", 60.0)  # no refresh after the first
    source = tmp_path / "calls.jsonl"
    write_good(source)
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160, color_system=None)
    async with Emulator("demo", "demo-key", latency=0.02) as emu:
        assert await ingest_with(console, source, emu, "--max-items", "4") == 0
    text = out.getvalue()
    last = text[: text.index("ingest ->")].rsplit(f"/{N}", 1)[0].rsplit(" ", 1)[-1]
    assert last.endswith(str(N)), text[-2000:]
    assert f"{N} created" in text


async def test_off_a_terminal_plain_lines_come_during_the_run_and_a_true_last_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24, item 3: off a terminal the only line came at the end, and said 0/3."""
    monkeypatch.setattr(progress_module, "PLAIN_EVERY", 0.05)
    source = tmp_path / "calls.jsonl"
    write_good(source)
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=160)
    async with Emulator("demo", "demo-key", latency=0.05) as emu:
        extra = ("--max-items", "2", "--max-in-flight", "1")
        assert await ingest_with(console, source, emu, *extra) == 0
    lines = [line for line in out.getvalue().splitlines() if line.startswith("progress ")]
    assert len(lines) >= 3, out.getvalue()
    assert lines[-1].startswith(f"progress calls.jsonl: {N}/{N} lines, {N} created, 0 refused")
    assert any(f" {N}/{N} " not in line for line in lines[:-1])  # some came mid-run
    assert "\x1b[" not in out.getvalue()  # plain text, no terminal codes


async def test_the_summary_ends_with_one_line_per_cause_with_its_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 24, item 4: the causes were only in the rejects file."""
    source = tmp_path / "calls.jsonl"
    write_input(source)
    async with Emulator("demo", "demo-key") as emu:
        out = io.StringIO()
        console = Console(file=out, width=200)
        assert await ingest_with(console, source, emu, "--no-progress") == 1
        table = out.getvalue()
        assert await ingest_with(console, source, emu, "--json", "--no-journal") == 1
    data: dict[str, Any] = orjson.loads(capsys.readouterr().out.splitlines()[-1])
    causes = {c["cause"]: c["lines"] for c in data["causes"]}
    assert sum(causes.values()) == data["invalid"] + data["refused"] == 9
    assert sum(n for cause, n in causes.items() if "Server not found" in cause) == 2
    rows = table.splitlines()
    for cause, n in causes.items():
        assert any(cause in row and row.rstrip(" │").endswith(f" {n}") for row in rows), cause


def test_the_summary_of_a_stopped_run_says_lines_read() -> None:
    """Issue 24, item 5: "lines sent or checked 3,000" beside "pending 2,600"."""
    from sonoran_async.cli._report import summary_table

    data: dict[str, Any] = {
        "lines": 3000,
        "created": 400,
        "invalid": 0,
        "refused": 0,
        "unknown": 0,
        "failed": 0,
        "pending": 2600,
        "skipped_created_before": 0,
        "kept_rejected_or_unknown": 0,
        "found_on_server": 0,
        "proven_absent": 0,
        "requests": 4,
        "rate_limited": 0,
        "elapsed_seconds": 1.0,
        "journal": None,
        "rejects": None,
        "interrupted": "SIGINT",
        "causes": [],
    }
    out = io.StringIO()
    Console(file=out, width=120).print(summary_table(data, "t"))
    text = out.getvalue()
    assert "sent or checked" not in text
    assert "lines read" in text and "pending (not sent; sent next run)" in text


def test_a_bad_url_names_the_option_under_the_commands_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 24, item 5: it said `base_url must be...` under the top-level usage."""
    source = tmp_path / "calls.jsonl"
    write_good(source, 1)
    with pytest.raises(SystemExit) as info:
        main(
            [
                "ingest",
                str(source),
                "--url",
                "127.0.0.1:18080",
                "--community-id",
                "c",
                "--api-key",
                "k",
            ]
        )
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage: sonoran-async ingest" in err
    assert "sonoran-async ingest: error: --url must be an http(s) URL" in err
    assert "base_url" not in err


def test_help_and_the_guide_give_the_same_commit_timing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 24, item 5: the help said "committed per batch", the README "every quarter
    second"; both now come from COMMIT_EVERY."""
    with pytest.raises(SystemExit):
        main(["ingest", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    timing = f"outcomes are committed every {COMMIT_EVERY:g} s"
    assert timing in help_text and "per batch" not in help_text
    guide = Path(__file__).resolve().parents[2] / "docs" / "guides"
    texts = [" ".join(p.read_text().split()) for p in guide.glob("ingest*.md")]
    assert texts and all(timing in text for text in texts if "journal" in text)


async def test_429s_are_summed_up_once_per_interval_and_once_at_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One line per interval that saw 429s, none for a quiet one, and a last line for the
    rest when the run ends (the interval shortened: the loop, not the 5 s, is pinned)."""
    monkeypatch.setattr(report_module, "RATE_LIMIT_REPORT_EVERY", 0.01)
    stats = SimpleNamespace(rate_limited=0)
    client = cast(SonoranClient, SimpleNamespace(stats=stats))
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    task = asyncio.create_task(report_module.report_rate_limits(client, console))
    stats.rate_limited = 3
    for _ in range(500):  # 5 s at most
        if "(3 in all)" in out.getvalue():
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # quiet intervals: no line
    stats.rate_limited = 5
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert out.getvalue().splitlines() == [
        "rate limited: 3 x 429 in the last 0.01 s (3 in all), waited out as the server asked",
        "rate limited: 2 x 429 in the last 0.01 s (5 in all), waited out as the server asked",
    ]

"""`sonoran-async ingest`: good and bad lines, rejects file, exit codes, the emulator's view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from rich.console import Console

from sonoran_async.cli import build_parser, main
from sonoran_async.cli._ingest import Ingest
from sonoran_async.cli._lines import LineError, parse_line
from sonoran_async.cli._recorder import default_rejects_path
from sonoran_async.cli._report import Tally
from sonoran_async.emulator import Emulator

GOOD: list[dict[str, Any]] = [
    {"caller": "Good 1", "location": "Route 68", "description": "Car fire", "isEmergency": True},
    {"caller": "Good 2", "location": "Alta St"},
    {"caller": "Good 3", "location": "Grove St", "metaData": {"postal": "2045", "x": 1.5}},
    {"caller": "Good 4", "location": "Pier", "isEmergency": False, "deleteAfterMinutes": 30},
    {"caller": "Good 5", "location": "Mirror Park", "serverId": 1, "description": None},
]

# (line text, stage, a piece of the reason)
BAD = [
    ("this is not json", "invalid", "invalid JSON"),
    ('["caller", "location"]', "invalid", "expected a JSON object, got an array"),
    ('{"caller": "", "location": "x"}', "invalid", "caller: must not be empty"),
    ('{"caller": "A", "location": "B", "is_emergency": false}', "invalid", "'isEmergency'"),
    ('{"location": "B"}', "invalid", "missing required key: caller"),
    ('{"caller": "A", "location": "B", "isEmergency": "yes"}', "invalid", "isEmergency:"),
    ('{"caller": "A", "location": "B", "deleteAfterMinutes": 0}', "invalid", "deleteAfterMinutes"),
    # Valid for the client, refused by the server, object by object:
    ('{"caller": "Bad server", "location": "B", "serverId": 7}', "refused", "Server not found"),
    ('{"caller": "Bad server 2", "location": "B", "serverId": 9}', "refused", "Server not found"),
]


def write_input(path: Path) -> dict[int, tuple[str, str]]:
    """Good and bad lines interleaved, a blank line too; returns line -> (stage, reason)."""
    lines: list[str] = []
    expected: dict[int, tuple[str, str]] = {}
    bad = iter(BAD)
    for good in GOOD:
        lines.append(orjson.dumps(good).decode())
        for _ in range(2):
            item = next(bad, None)
            if item is not None:
                lines.append(item[0])
                expected[len(lines)] = (item[1], item[2])
    lines.append("")  # blank lines are skipped, not rejected
    path.write_text("\n".join(lines) + "\n")
    return expected


def read_rejects(path: Path) -> dict[int, dict[str, object]]:
    records = [orjson.loads(line) for line in path.read_text().splitlines()]
    return {r["line"]: r for r in records}


def check_rejects(rejects: Path, expected: dict[int, tuple[str, str]], source: Path) -> None:
    records = read_rejects(rejects)
    assert set(records) == set(expected)
    source_lines = source.read_text().splitlines()
    for line, (stage, reason) in expected.items():
        record = records[line]
        assert record["stage"] == stage, record
        assert reason in str(record["reason"]), record
        assert record["input"] == source_lines[line - 1]


async def run_ingest(args: Any) -> tuple[int, Tally]:
    run = Ingest(args, Console(width=120, stderr=True))
    return await run.work(), run.tally


async def test_ingest_against_emulator(tmp_path: Path) -> None:
    source = tmp_path / "calls.jsonl"
    expected = write_input(source)
    async with Emulator("demo", "demo-key") as emu:
        args = build_parser().parse_args(
            [
                "ingest",
                str(source),
                "--url",
                emu.url,
                "--community-id",
                "demo",
                "--api-key",
                "demo-key",
                "--rate-limit",
                "0",
                "--no-progress",
            ]
        )
        code, result = await run_ingest(args)
        records = list(emu.state.emergency_calls.values())

    assert code == 1
    assert (result.lines, result.created, result.invalid, result.refused) == (14, 5, 7, 2)
    # Every good line exists exactly once, with its own fields; no bad line got in.
    callers = sorted(r["caller"] for r in records)
    assert callers == sorted(g["caller"] for g in GOOD)
    by_caller = {r["caller"]: r for r in records}
    for good in GOOD:
        record = by_caller[good["caller"]]
        assert record["location"] == good["location"]
        assert record["isEmergency"] == good.get("isEmergency", True)
    rejects = tmp_path / "calls.rejects.jsonl"
    check_rejects(rejects, expected, source)


async def test_ingest_batches_under_rate_limit(tmp_path: Path) -> None:
    source = tmp_path / "many.jsonl"
    source.write_text(
        "".join(
            orjson.dumps({"caller": f"C{i}", "location": f"{i} Main St"}).decode() + "\n"
            for i in range(500)
        )
    )
    async with Emulator("demo", "demo-key", rate_limit=5) as emu:
        args = build_parser().parse_args(
            [
                "ingest",
                str(source),
                "--url",
                emu.url,
                "--community-id",
                "demo",
                "--api-key",
                "demo-key",
                "--rate-limit",
                "4",
                "--burst",
                "2",
                "--max-items",
                "50",
                "--no-progress",
            ]
        )
        code, result = await run_ingest(args)
        assert emu.stats.rate_limited == 0
        assert emu.stats.requests <= 12
        callers = [r["caller"] for r in emu.state.emergency_calls.values()]
    assert code == 0 and result.created == 500
    assert sorted(callers) == sorted(f"C{i}" for i in range(500))
    assert not (tmp_path / "many.rejects.jsonl").exists()


def test_ingest_command_builtin_emulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    source = tmp_path / "calls.jsonl"
    expected = write_input(source)
    rejects = tmp_path / "out" / "bad.jsonl"
    rejects.parent.mkdir()
    code = main(["ingest", str(source), "--rejects", str(rejects), "--rate-limit", "0"])
    assert code == 1
    check_rejects(rejects, expected, source)
    out = capsys.readouterr().out
    assert "built-in emulator" in out
    assert "rejects" in out and "invalid (never sent)" in out


def test_clean_run_exits_zero_and_removes_stale_rejects(tmp_path: Path) -> None:
    source = tmp_path / "ok.jsonl"
    source.write_text("".join(orjson.dumps(g).decode() + "\n" for g in GOOD))
    stale = default_rejects_path(source)
    stale.write_text('{"line": 1}\n')
    assert main(["ingest", str(source), "--no-progress", "--max-items", "2"]) == 0
    assert not stale.exists()


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["ingest", str(tmp_path / "nope.jsonl"), "--no-progress"]) == 2


def test_url_needs_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SONORAN_COMMUNITY_ID", raising=False)
    monkeypatch.delenv("SONORAN_API_KEY", raising=False)
    source = tmp_path / "ok.jsonl"
    source.write_text(orjson.dumps(GOOD[0]).decode() + "\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", str(source), "--url", "http://127.0.0.1:9"])
    assert exit_info.value.code == 2


async def test_key_from_env_and_never_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "s3cret-key-that-must-not-show"
    monkeypatch.setenv("SONORAN_COMMUNITY_ID", "demo")
    monkeypatch.setenv("SONORAN_API_KEY", secret)
    source = tmp_path / "calls.jsonl"
    source.write_text("".join(orjson.dumps(g).decode() + "\n" for g in GOOD))
    async with Emulator("demo", "demo-key") as emu:  # a different key: refused
        args = build_parser().parse_args(
            ["ingest", str(source), "--url", emu.url, "--rate-limit", "0", "--no-progress"]
        )
        console = Console(width=200, record=True)
        run = Ingest(args, console)
        code, result = await run.work(), run.tally
        assert emu.state.emergency_calls == {}
    # A fatal reply is about the key, not the lines: they stay pending for the next run.
    assert code == 1 and result.pending == len(GOOD) and result.refused == 0
    journal = (tmp_path / "calls.jsonl.journal").read_bytes()
    out, err = capsys.readouterr()
    text = console.export_text() + out + err
    assert secret.encode() not in journal
    assert "INVALID API KEY" in text
    assert secret not in text


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"{}", "missing required keys: caller, location"),
        (b'{"caller": "A", "location": "B", "extra": 1}', "unknown key 'extra'"),
        (b'{"caller": "A", "location": "B", "serverId": -1}', "serverId: must be >= 0"),
        (b'{"caller": "A", "location": "B", "metaData": [1]}', "metaData:"),
        (b"42", "got a number"),
    ],
)
def test_parse_line_reasons(line: bytes, reason: str) -> None:
    with pytest.raises(LineError, match=None) as info:
        parse_line(line)
    assert reason in str(info.value)


def test_parse_line_maps_wire_keys() -> None:
    call = parse_line(
        b'{"caller": "A", "location": "B", "isEmergency": false, "metaData": {"x": 1},'
        b' "deleteAfterMinutes": 5, "serverId": 2}'
    )
    assert (call.is_emergency, call.meta_data, call.delete_after_minutes, call.server_id) == (
        False,
        {"x": 1},
        5,
        2,
    )

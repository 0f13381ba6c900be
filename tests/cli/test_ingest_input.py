"""`sonoran-async ingest` input and output: stdin, BOM, exact integers, --rejects checked
before sending, --json, aggregated 429 lines, option names in errors, the [cli] extra."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from sonoran_async.cli import main
from sonoran_async.cli._lines import parse_line
from sonoran_async.cli._main import missing_extra

GOOD = b'{"caller": "A", "location": "Route 68"}\n{"caller": "B", "location": "Alta St"}\n'


def run_cli(
    *args: str, stdin: bytes = b"", cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "sonoran_async", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_stdin_with_a_bom_and_json_summary(tmp_path: Path) -> None:
    done = run_cli(
        "ingest", "-", "--json", "--rate-limit", "0", stdin=b"\xef\xbb\xbf" + GOOD, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 1  # the summary is the only thing on stdout
    summary = orjson.loads(lines[0])
    assert (summary["created"], summary["invalid"], summary["exit_code"]) == (2, 0, 0)
    assert summary["journal"] is None


def test_stdin_from_a_pipe_reads_to_the_end(tmp_path: Path) -> None:
    body = b"".join(orjson.dumps({"caller": f"C{i}", "location": "x"}) + b"\n" for i in range(300))
    with subprocess.Popen(
        [sys.executable, "-c", f"import sys; sys.stdout.buffer.write({body!r})"],
        stdout=subprocess.PIPE,
    ) as producer:  # closes the pipe and waits
        assert producer.stdout is not None
        done = subprocess.run(
            [sys.executable, "-m", "sonoran_async", "ingest", "-", "--json", "--rate-limit", "0"],
            stdin=producer.stdout,
            capture_output=True,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
    assert orjson.loads(done.stdout)["created"] == 300, done.stderr.decode()


def test_integers_are_read_exactly() -> None:
    huge = 10**23  # 24 digits: not a float, and not silently rounded
    call = parse_line(
        orjson.dumps({"caller": "A", "location": "B"})[:-1]
        + f', "metaData": {{"n": {huge}}}}}'.encode()
    )
    assert call.meta_data == {"n": huge}
    line = b'{"caller": "A", "location": "B", "deleteAfterMinutes": 100000000000000000000000}'
    assert parse_line(line).delete_after_minutes == huge


def test_metadata_empty_array_is_no_metadata() -> None:
    assert parse_line(b'{"caller": "A", "location": "B", "metaData": []}').meta_data is None


def test_unwritable_rejects_is_a_usage_error_before_sending(tmp_path: Path) -> None:
    source = tmp_path / "calls.jsonl"
    source.write_bytes(GOOD)
    with pytest.raises(SystemExit) as info:
        main(["ingest", str(source), "--rejects", str(tmp_path / "no" / "such" / "dir.jsonl")])
    assert info.value.code == 2


def test_rejects_written_for_bad_lines_and_exit_1(tmp_path: Path) -> None:
    source = tmp_path / "calls.jsonl"
    too_big = b'{"caller": "C", "location": "x", "deleteAfterMinutes": 100000000000000000000000}'
    source.write_bytes(GOOD + b"not json\n" + too_big + b"\n")
    done = run_cli("ingest", str(source), "--json", "--rate-limit", "0")
    summary = orjson.loads(done.stdout)
    assert done.returncode == 1 and summary["invalid"] == 2 and summary["created"] == 2
    lines = (tmp_path / "calls.rejects.jsonl").read_bytes().splitlines()
    rejected = {r["line"]: r for r in map(orjson.loads, lines)}
    assert {n: r["stage"] for n, r in rejected.items()} == {3: "invalid", 4: "invalid"}
    assert "deleteAfterMinutes" in rejected[4]["reason"]
    assert "float" not in rejected[4]["reason"]


def test_bad_values_name_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["calls", "--closed-limit", "101"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "--closed-limit" in err and "closed_limit" not in err


def test_rate_limit_replies_are_reported_in_one_aggregated_line(tmp_path: Path) -> None:
    """Against an emulator that answers 429 to a third of the requests, the per-429
    warnings are replaced by a few summary lines (each 429 costs a real second: 20 lines
    draw five of them with this seed; the periodic line is pinned in test_ingest_report)."""
    source = tmp_path / "calls.jsonl"
    source.write_bytes(
        b"".join(orjson.dumps({"caller": f"C{i}", "location": "x"}) + b"\n" for i in range(20))
    )
    emulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sonoran_async",
            "emulate",
            "--port",
            "0",
            "--fault-429",
            "0.3",
            "--seed",
            "3",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert emulator.stdout is not None
        url = emulator.stdout.readline().split()[-1]
        env = {**os.environ, "SONORAN_COMMUNITY_ID": "demo", "SONORAN_API_KEY": "demo-key"}
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "sonoran_async",
                "ingest",
                str(source),
                "--url",
                url,
                "--json",
                "--max-items",
                "2",
                "--rate-limit",
                "0",
                "--no-journal",
            ],
            capture_output=True,
            timeout=120,
            env=env,
            check=False,
        )
    finally:
        emulator.terminate()
        emulator.communicate()  # waits, and closes its stdout
    summary = orjson.loads(done.stdout)
    err = done.stderr.decode()
    assert summary["created"] == 20 and summary["rate_limited"] >= 3, err
    assert "rate limited (429); waiting" not in err  # no line per 429
    assert 1 <= err.count("x 429 in the last") <= summary["rate_limited"] // 2 + 1


def test_missing_extra_is_named_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "rich" else real(name, *a)
    )
    message = missing_extra("ingest")
    assert message is not None and "pip install 'sonoran-async[cli]'" in message
    assert "\n" not in message
    assert missing_extra("emulate") is None


def test_without_url_there_is_no_journal_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The built-in emulator is new each run: a default journal would make the second run
    create nothing (issue 24, item 6)."""
    source = tmp_path / "calls.jsonl"
    source.write_bytes(GOOD)
    for _ in range(2):
        assert main(["ingest", str(source), "--json", "--rate-limit", "0"]) == 0
        summary = orjson.loads(capsys.readouterr().out)
        assert (summary["created"], summary["journal"]) == (2, None)
    assert not (tmp_path / "calls.jsonl.journal").exists()
    journal = tmp_path / "asked.journal"
    assert main(["ingest", str(source), "--json", "--journal", str(journal)]) == 0
    assert orjson.loads(capsys.readouterr().out)["journal"] == str(journal)

"""`sonoran-async ingest` run unattended, as real processes: one writer per journal (a
second run is refused, a run after a SIGKILLed one resumes), a damaged or full journal
ends the run at once with one line, a fatal reply leaves the lines pending."""

from __future__ import annotations

import asyncio
import os
import resource
import sqlite3
import sys
from pathlib import Path

import pytest

from sonoran_async.cli import main
from sonoran_async.emulator import Emulator

from .test_ingest_resume import (
    COMMUNITY,
    KEY,
    RESUME,
    created_counts,
    finish,
    journal_states,
    resume_until_done,
    start_ingest,
    wait_for_calls,
    write_calls,
)


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error:")]


async def test_one_writer_per_journal_and_a_killed_run_still_resumes(tmp_path: Path) -> None:
    """Issue 21, item 1: two runs on one journal made 40 lines into 75 calls."""
    source = tmp_path / "calls.jsonl"
    callers = write_calls(source, 200)
    async with Emulator(COMMUNITY, KEY, latency=0.05) as emu:
        args = ("--rate-limit", "10", "--burst", "1", "--max-items", "5")
        first = await start_ingest(source, emu, *args)
        await wait_for_calls(emu, 10)
        code, data, err = await finish(await start_ingest(source, emu, *args))
        assert code == 2 and data is None, err
        [line] = error_lines(err)
        assert f"pid {first.pid} on " in line and "in use" in line
        assert first.returncode is None  # the holder was still running all along
        first.kill()  # SIGKILL: no clean-up at all; the OS lock dies with the process
        await first.wait()
        assert len(emu.state.emergency_calls) < len(callers)
        await resume_until_done(source, emu, *RESUME)
        counts = created_counts(emu)
    assert sorted(counts) == sorted(callers)
    assert set(counts.values()) == {1}


@pytest.mark.parametrize(
    ("damage", "cause"),
    [
        ("UPDATE lines SET state = 'Created' WHERE line = 1", "'Created' is not a valid LineState"),
        ("DELETE FROM meta WHERE key = 'run_id'", "run_id"),
    ],
    ids=["bad-state", "no-run-id"],
)
async def test_a_damaged_journal_ends_the_run_with_one_line(
    tmp_path: Path, damage: str, cause: str
) -> None:
    """Issue 21, item 7: the process never exited (the SQLite connection stayed open)."""
    source = tmp_path / "calls.jsonl"
    write_calls(source, 5)
    async with Emulator(COMMUNITY, KEY) as emu:
        code, _, _ = await finish(await start_ingest(source, emu))
        assert code == 0
        with sqlite3.connect(source.with_name("calls.jsonl.journal")) as db:
            db.execute(damage)
        db.close()
        code, _, err = await finish(await start_ingest(source, emu))  # 60 s at most
        assert len(emu.state.emergency_calls) == 5
    assert code == 1, err
    assert "Traceback" not in err
    [line] = error_lines(err)
    assert "journal" in line and cause in line


def _small_files() -> None:  # in the child: writes beyond 48 KiB fail (EFBIG), as on a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (48 << 10, 48 << 10))


async def test_a_journal_that_cannot_be_written_ends_the_run_then_resumes(
    tmp_path: Path,
) -> None:
    """Issue 21, item 7: a full disk (here a file size limit) must not hang the run."""
    source = tmp_path / "calls.jsonl"
    callers = write_calls(source, 1500)
    env = {**os.environ, "SONORAN_COMMUNITY_ID": COMMUNITY, "SONORAN_API_KEY": KEY}
    # Not measured under `make coverage`: its data file would not fit the size limit either.
    env.pop("COVERAGE_PROCESS_CONFIG", None)
    async with Emulator(COMMUNITY, KEY) as emu:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "sonoran_async", "ingest", str(source), "--url", emu.url),
            *("--json", "--rate-limit", "0", "--max-items", "50"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            preexec_fn=_small_files,
        )
        code, data, err = await finish(process)
        assert code == 1, err
        assert "Traceback" not in err
        [line] = error_lines(err)
        assert "journal" in line and "stopped" in line
        assert data is not None and data["stopped_by"] is not None
        assert len(emu.state.emergency_calls) < len(callers)
        await resume_until_done(source, emu, *RESUME)
        counts = created_counts(emu)
    assert sorted(counts) == sorted(callers)
    assert set(counts.values()) == {1}


async def test_a_fatal_reply_leaves_the_lines_pending_and_the_next_run_sends_them(
    tmp_path: Path,
) -> None:
    """Issue 24, item 1: a wrong key marked every line refused, and the rerun sent none."""
    source = tmp_path / "calls.jsonl"
    callers = write_calls(source, 300)
    async with Emulator(COMMUNITY, "the-right-key") as emu:
        args = ("--max-items", "10", "--max-in-flight", "2", "--rate-limit", "0")
        code, data, err = await finish(await start_ingest(source, emu, *args))  # KEY: wrong
        assert code == 1, err
        [line] = error_lines(err)
        assert "INVALID API KEY" in line and "pending" in line
        assert data is not None
        assert (data["pending"], data["refused"], data["created"]) == (300, 0, 0)
        assert data["requests"] <= 2  # stopped at the first fatal replies
        states = journal_states(source.with_name("calls.jsonl.journal"))
        assert states == {"pending": 300}
        assert not source.with_name("calls.rejects.jsonl").exists()
        fixed = {"SONORAN_API_KEY": "the-right-key"}
        code, data, err = await finish(await start_ingest(source, emu, *args, env=fixed))
        assert code == 0, err
        assert data is not None and data["created"] == 300
        counts = created_counts(emu)
    assert sorted(counts) == sorted(callers)


def test_a_file_journal_is_refused_for_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 21, item 8: its lines were silently skipped as created."""
    source = tmp_path / "calls.jsonl"
    write_calls(source, 3)
    journal = tmp_path / "j"
    assert main(["ingest", str(source), "--journal", str(journal), "--json"]) == 0
    capsys.readouterr()
    assert main(["ingest", "-", "--journal", str(journal), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "made for a file, not standard input" in err

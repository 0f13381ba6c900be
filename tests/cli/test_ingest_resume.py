"""`sonoran-async ingest` as a real process: killed at random points, stopped by SIGTERM
and by a double Ctrl-C, resumed, against an emulator whose faults leave outcomes unknown.
Every line must end up created exactly once, as the emulator's own state shows."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from sonoran_async.emulator import Emulator, Faults

COMMUNITY, KEY = "resume", "resume-key"


#: How a resume runs once the interrupted run is over: unpaced (the pacing only served to
#: interrupt that run midway).
RESUME = ("--rate-limit", "0", "--max-items", "50")


def write_calls(path: Path, n: int) -> list[str]:
    callers = [f"Caller {i:05d}" for i in range(n)]
    path.write_bytes(
        b"".join(
            orjson.dumps({"caller": c, "location": f"{i} Main St"}) + b"\n"
            for i, c in enumerate(callers)
        )
    )
    return callers


async def start_ingest(
    source: Path, emu: Emulator, *extra: str, env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    env = {**os.environ, "SONORAN_COMMUNITY_ID": COMMUNITY, "SONORAN_API_KEY": KEY, **(env or {})}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sonoran_async",
        "ingest",
        str(source),
        "--url",
        emu.url,
        "--no-progress",
        "--json",
        # The emulator's snapshots are never stale: a short recheck proves absence as well.
        "--recheck-after",
        "0.1",
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )


async def finish(process: asyncio.subprocess.Process) -> tuple[int, dict[str, Any] | None, str]:
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    lines = out.decode().strip().splitlines()
    return process.returncode, orjson.loads(lines[-1]) if lines else None, err.decode()


async def wait_for_calls(emu: Emulator, at_least: int) -> None:
    for _ in range(600):
        if len(emu.state.emergency_calls) >= at_least:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the ingest process never created {at_least} calls")


def created_counts(emu: Emulator) -> Counter[str]:
    return Counter(record["caller"] for record in emu.state.emergency_calls.values())


def journal_states(path: Path) -> Counter[str]:
    with sqlite3.connect(path) as db:
        return Counter(dict(db.execute("SELECT state, count(*) FROM lines GROUP BY state")))


async def resume_until_done(source: Path, emu: Emulator, *extra: str) -> dict[str, Any]:
    for _ in range(12):
        code, data, err = await finish(await start_ingest(source, emu, *extra))
        assert "Traceback" not in err, err
        assert data is not None and data["exit_code"] == code
        if code == 0:
            return data
        assert code == 1, err  # some lines still in doubt: the next run looks them up
    raise AssertionError("ingest did not finish in 12 runs")


async def test_killed_at_random_points_then_resumed_creates_each_line_once(
    tmp_path: Path,
) -> None:
    source = tmp_path / "calls.jsonl"
    callers = write_calls(source, 400)
    rng = random.Random(1234)
    # Faults that apply a request and then fail it: the client cannot know the outcome.
    faults = Faults(error_500_after=0.1, reset_after=0.1, error_503=0.05, seed=7)
    async with Emulator(COMMUNITY, KEY, faults=faults, latency=0.02) as emu:
        args = ("--rate-limit", "20", "--burst", "1", "--max-items", "8")
        kills = 0
        for _ in range(4):
            process = await start_ingest(source, emu, *args)
            await wait_for_calls(emu, min(len(emu.state.emergency_calls) + 20, len(callers)))
            await asyncio.sleep(rng.uniform(0.0, 0.4))
            if process.returncode is None:
                process.kill()
                kills += 1
            await process.wait()
        assert kills >= 2, "the runs finished before they could be killed"
        states = journal_states(source.with_name("calls.jsonl.journal"))
        assert states["sent"] + states["unknown"] > 0  # something really was left in doubt
        data = await resume_until_done(source, emu, "--rate-limit", "0", "--max-items", "8")
        counts = created_counts(emu)
    assert sorted(counts) == sorted(callers)
    assert set(counts.values()) == {1}, [c for c, n in counts.items() if n > 1]
    assert data["found_on_server"] + data["skipped_created_before"] > 0


@pytest.mark.parametrize(
    ("signals", "code"),
    [((signal.SIGTERM,), 143), ((signal.SIGINT,), 130), ((signal.SIGINT, signal.SIGINT), 130)],
    ids=["sigterm", "ctrl-c", "double-ctrl-c"],
)
async def test_signals_stop_cleanly_and_resume(
    tmp_path: Path, signals: tuple[signal.Signals, ...], code: int
) -> None:
    source = tmp_path / "calls.jsonl"
    callers = write_calls(source, 300)
    async with Emulator(COMMUNITY, KEY, latency=0.3) as emu:
        args = ("--rate-limit", "10", "--max-items", "10")
        process = await start_ingest(source, emu, *args)
        await wait_for_calls(emu, 20)
        for sig in signals:
            process.send_signal(sig)
            await asyncio.sleep(0.05)
        got, data, err = await finish(process)
        assert got == code, err
        assert "Traceback" not in err, err
        created_before = len(emu.state.emergency_calls)
        assert created_before < len(callers)  # it stopped sending
        if len(signals) == 1:
            # A clean stop: the summary is printed and nothing queued was sent.
            assert data is not None and data["interrupted"] == signals[0].name
            assert data["pending"] > 0
            states = journal_states(source.with_name("calls.jsonl.journal"))
            assert states["sent"] == 0  # every line handed out has its outcome
            assert states["created"] == created_before
        await resume_until_done(source, emu, *RESUME)
        counts = created_counts(emu)
    assert sorted(counts) == sorted(callers)
    assert set(counts.values()) == {1}


async def test_appended_input_resumes_and_other_changes_are_refused(tmp_path: Path) -> None:
    """Issue 24, item 2: lines added at the end resume (the old content is an unchanged
    prefix); any other change is still refused unless --force."""
    source = tmp_path / "calls.jsonl"
    write_calls(source, 5)
    async with Emulator(COMMUNITY, KEY) as emu:
        code, _, _ = await finish(await start_ingest(source, emu))
        assert code == 0
        write_calls(source, 7)  # the same 5 lines, and 2 more
        code, data, err = await finish(await start_ingest(source, emu))
        assert code == 0, err
        assert data is not None and "grew" in err
        assert (data["skipped_created_before"], data["created"]) == (5, 2)
        with source.open("ab") as f:  # an appended line without its newline, then completed
            f.write(b'{"caller": "Caller 00007", "location": "x"')
        code, data, _ = await finish(await start_ingest(source, emu))
        assert code == 1 and data is not None and data["invalid"] == 1
        with source.open("ab") as f:
            f.write(b"}\n")
        code, data, err = await finish(await start_ingest(source, emu))
        # The half-written last line (invalid, never sent) is complete now: it is sent.
        assert code == 0, err
        assert data is not None and (data["skipped_created_before"], data["created"]) == (7, 1)
        source.write_bytes(source.read_bytes().replace(b"Caller 00001", b"Caller 0000X"))
        code, data, err = await finish(await start_ingest(source, emu))
        assert code == 2 and "input changed" in err and data is None
        code, data, _ = await finish(await start_ingest(source, emu, "--force"))
        assert code == 0 and data is not None
        assert len(emu.state.emergency_calls) == 8


async def test_stdin_resumes_with_a_journal_and_refuses_a_changed_line(tmp_path: Path) -> None:
    journal = tmp_path / "stdin.journal"
    lines = [orjson.dumps({"caller": f"S{i}", "location": "x"}) + b"\n" for i in range(5)]
    env = {**os.environ, "SONORAN_COMMUNITY_ID": COMMUNITY, "SONORAN_API_KEY": KEY}

    async def run(body: bytes, emu: Emulator) -> tuple[int, bytes, bytes]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sonoran_async",
            "ingest",
            "-",
            "--journal",
            str(journal),
            "--url",
            emu.url,
            "--json",
            "--no-progress",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=tmp_path,
        )
        out, err = await asyncio.wait_for(process.communicate(body), 60)
        assert process.returncode is not None
        return process.returncode, out, err

    async with Emulator(COMMUNITY, KEY) as emu:
        code, out, _ = await run(b"".join(lines), emu)
        assert code == 0 and orjson.loads(out)["created"] == 5
        code, out, _ = await run(b"".join(lines), emu)  # the same input: nothing to do
        assert code == 0 and orjson.loads(out)["skipped_created_before"] == 5
        changed = [*lines[:2], b'{"caller": "other", "location": "x"}\n', *lines[3:]]
        code, _, err = await run(b"".join(changed), emu)
        assert code == 2 and b"line 3 differs" in err, err
        assert len(emu.state.emergency_calls) == 5

"""The ingest journal and the resume decisions, in-process: what is recorded, what a
changed input or server does, what each state means for the next run, and the look-up."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
from rich.console import Console

from sonoran_async import TOKEN_KEY, Call911, ReconcilePolicy, SonoranClient
from sonoran_async.cli._common import UsageError
from sonoran_async.cli._journal import (
    Journal,
    JournalError,
    JournalMismatch,
    LineState,
    Outcome,
    Row,
    Source,
)
from sonoran_async.cli._lock import JournalBusy
from sonoran_async.cli._report import Tally
from sonoran_async.cli._resume import Next, look_up, next_step
from sonoran_async.testing import EmulatorFactory


async def test_states_round_trip_and_counts(tmp_path: Path) -> None:
    journal = await Journal.open(tmp_path / "j", source=file_a(tmp_path), target="t", force=False)
    await journal.mark_sent([(1, 1, ""), (2, 1, ""), (3, 2, "d3")])
    await journal.record(
        [
            Outcome(1, LineState.CREATED, 41),
            Outcome(2, LineState.REFUSED, reason="Server not found"),
            Outcome(4, LineState.INVALID, reason="caller: must not be empty"),
        ],
        {4: "d4"},
    )
    rows = await journal.rows()
    assert rows[1] == Row(LineState.CREATED, journal.token(1), 1, "")
    assert rows[2].state is LineState.REFUSED
    assert rows[3] == Row(LineState.SENT, journal.token(3), 2, "d3")
    assert rows[4] == Row(LineState.INVALID, journal.token(4), None, "d4")
    counts = await journal.counts()
    assert (counts[LineState.CREATED], counts[LineState.SENT], counts[LineState.PENDING]) == (
        1,
        1,
        0,
    )
    await journal.close()


def file_a(tmp_path: Path, content: bytes = b"a\n") -> Source:
    path = tmp_path / "input.jsonl"
    path.write_bytes(content)
    return Source(path, hashlib.sha256(content).hexdigest(), len(content))


async def test_a_journal_for_another_input_or_server_is_refused_unless_forced(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j"
    first = await Journal.open(path, source=file_a(tmp_path), target="t", force=False)
    run_id = first.run_id
    await first.close()
    changed = file_a(tmp_path, b"b\n")
    for source, target in ((changed, "t"), (file_a(tmp_path), "other server")):
        with pytest.raises(JournalMismatch):
            await Journal.open(path, source=source, target=target, force=False)
    forced = await Journal.open(path, source=changed, target="t", force=True)
    assert forced.run_id == run_id  # the same journal: its tokens stay valid
    await forced.close()
    again = await Journal.open(path, source=changed, target="t", force=False)
    await again.close()


@pytest.mark.parametrize("made_for", ["file", "stdin"])
async def test_a_file_journal_is_refused_for_stdin_and_back(tmp_path: Path, made_for: str) -> None:
    """Issue 21, item 8: the lines of one input were skipped as done in the other."""
    path = tmp_path / "j"
    file, stdin = file_a(tmp_path), Source(None)
    first, other = (file, stdin) if made_for == "file" else (stdin, file)
    await (await Journal.open(path, source=first, target="t", force=False)).close()
    with pytest.raises(JournalMismatch, match=r"made for (a file|standard input)"):
        await Journal.open(path, source=other, target="t", force=False)


async def test_a_second_open_is_refused_until_the_first_closes(tmp_path: Path) -> None:
    path = tmp_path / "j"
    first = await Journal.open(path, source=file_a(tmp_path), target="t", force=False)
    with pytest.raises(JournalBusy, match=f"pid {os.getpid()} on "):
        await Journal.open(path, source=file_a(tmp_path), target="t", force=False)
    await first.close()
    await (await Journal.open(path, source=file_a(tmp_path), target="t", force=False)).close()


@pytest.mark.parametrize(
    ("damage", "cause"),
    [
        ("UPDATE lines SET state = 'Created'", "'Created' is not a valid LineState"),
        ("DELETE FROM meta WHERE key = 'run_id'", "run_id"),
        ("DROP TABLE lines; CREATE TABLE lines (x)", "no such column"),
    ],
)
async def test_a_damaged_journal_is_a_journal_error_and_releases_everything(
    tmp_path: Path, damage: str, cause: str
) -> None:
    path = tmp_path / "j"
    journal = await Journal.open(path, source=file_a(tmp_path), target="t", force=False)
    await journal.mark_sent([(1, 1, "")])
    await journal.close()
    with sqlite3.connect(path) as db:
        db.executescript(damage)
    db.close()

    async def open_and_read() -> None:
        reopened = await Journal.open(path, source=file_a(tmp_path), target="t", force=False)
        try:
            await reopened.rows()
        finally:
            await reopened.close()

    with pytest.raises(JournalError, match=cause):
        await open_and_read()
    # The lock was released, so the next open gets as far as the same error, not "in use".
    with pytest.raises(JournalError, match=cause):
        await open_and_read()


@pytest.mark.parametrize(
    ("state", "retry", "expected"),
    [
        (LineState.CREATED, False, Next.SKIP),
        (LineState.PENDING, False, Next.SEND),
        (LineState.FAILED, False, Next.SEND),
        (LineState.REFUSED, False, Next.KEEP),
        (LineState.INVALID, False, Next.KEEP),
        (LineState.REFUSED, True, Next.SEND),
        (LineState.INVALID, True, Next.SEND),
        (LineState.UNKNOWN, True, Next.KEEP),  # still in doubt after the look-up
        (LineState.SENT, True, Next.KEEP),
    ],
)
def test_next_step_per_state(state: LineState, retry: bool, expected: Next) -> None:
    assert next_step(7, Row(state, "t", 1, ""), "", force=False, retry=retry) is expected


def test_a_changed_stdin_line_is_refused_unless_forced() -> None:
    row = Row(LineState.PENDING, "t", 1, "aaaa")
    with pytest.raises(UsageError, match="line 7"):
        next_step(7, row, "bbbb", force=False, retry=False)
    assert next_step(7, row, "bbbb", force=True, retry=False) is Next.SEND


async def test_look_up_finds_absent_and_ambiguous_lines(
    sonoran_emulator_factory: EmulatorFactory,
) -> None:
    emu = await sonoran_emulator_factory()
    async with SonoranClient("demo", "demo-key", base_url=emu.url, rate_limit=None) as cad:
        made = await cad.call_911(Call911(caller="a", location="x", meta_data={TOKEN_KEY: "r-1"}))
        for _ in range(2):  # the same token twice: no proof which one is line 3's
            await cad.call_911(Call911(caller="b", location="x", meta_data={TOKEN_KEY: "r-3"}))
        rows = {
            1: Row(LineState.SENT, "r-1", 1, ""),
            2: Row(LineState.UNKNOWN, "r-2", 1, ""),
            3: Row(LineState.SENT, "r-3", 1, ""),
            4: Row(LineState.CREATED, "r-4", 1, ""),  # not in doubt: not looked up
            5: Row(LineState.SENT, "r-5", 9, ""),  # no server 9: the look-up fails
        }
        tally = Tally()
        quick = ReconcilePolicy(recheck_after=0.01)  # the emulator's snapshots are never stale
        outcomes = await look_up(cad, rows, tally, Console(quiet=True), asyncio.Event(), quick)
    by_line = {o.line: o for o in outcomes}
    assert by_line[1] == Outcome(1, LineState.CREATED, made)
    assert by_line[2] == Outcome(2, LineState.PENDING)
    assert by_line[3].state is LineState.UNKNOWN
    assert set(by_line) == {1, 2, 3}  # line 5 keeps its state: nothing proven
    assert (tally.found, tally.absent) == (1, 1)

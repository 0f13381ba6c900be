"""Attacks on the ingest promises that once broke them: each test failed before its fix."""

from __future__ import annotations

import errno
import hashlib
import io
import os
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from sonoran_async.cli import build_parser, main
from sonoran_async.cli._ingest import Ingest
from sonoran_async.cli._journal import Journal, JournalMismatch, LineState, Outcome, Source
from sonoran_async.cli._lines import input_facts, read_lines
from sonoran_async.cli._lock import JournalBusy, lock_path
from sonoran_async.cli._recorder import RejectsWriter


def source_of(path: Path, content: bytes) -> Source:
    path.write_bytes(content)
    facts = input_facts(path)
    assert facts.sha256 == hashlib.sha256(content).hexdigest()
    return Source(path, facts.sha256, facts.size, facts.lines, facts.lines_sha256, facts.lines_size)


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_a_lock_file_deleted_or_replaced_while_held_lets_no_second_run_in(
    tmp_path: Path, how: str
) -> None:
    source = source_of(tmp_path / "in.jsonl", b"a\n")
    first = await Journal.open(tmp_path / "j", source=source, target="t", force=False)
    lock = lock_path(tmp_path / "j")
    lock.unlink()
    if how == "replaced":
        lock.write_text("not a lock\n")
    with pytest.raises(JournalBusy, match="one journal has one writer"):
        await Journal.open(tmp_path / "j", source=source, target="t", force=False)
    await first.close()
    second = await Journal.open(tmp_path / "j", source=source, target="t", force=False)
    await second.close()


async def test_an_input_whose_old_last_line_had_no_newline_resumes_when_lines_follow_it(
    tmp_path: Path,
) -> None:
    """Appending `\\n` + new lines to a file without a final newline keeps its old last
    line as it was: that resumes. Appending to a sent old last line itself is refused."""
    path = tmp_path / "in.jsonl"
    old = source_of(path, b'{"a": 1}\n{"b": 2}')
    journal = await Journal.open(tmp_path / "j", source=old, target="t", force=False)
    await journal.close()
    grown = source_of(path, b'{"a": 1}\n{"b": 2}\n{"c": 3}\n')
    journal = await Journal.open(tmp_path / "j", source=grown, target="t", force=False)
    assert journal.appended == len(b'\n{"c": 3}\n')
    await journal.close()
    extended = source_of(path, b'{"a": 1}\n{"b": 2}\n{"c": 3}\n{"d": 4}')
    journal = await Journal.open(tmp_path / "j", source=extended, target="t", force=False)
    await journal.record([Outcome(4, LineState.CREATED, 4)])
    await journal.close()
    with pytest.raises(JournalMismatch, match="line 4, the last one, was sent"):
        await Journal.open(
            tmp_path / "j",
            source=source_of(path, b'{"a": 1}\n{"b": 2}\n{"c": 3}\n{"d": 45}\n'),
            target="t",
            force=False,
        )


@pytest.mark.parametrize(
    ("state", "resumes"),
    [(LineState.INVALID, True), (LineState.PENDING, True), (LineState.CREATED, False)],
)
async def test_a_last_line_read_half_written_is_read_again_once_complete(
    tmp_path: Path, state: LineState, resumes: bool
) -> None:
    """A cron run that read a daily file while its writer was mid-line recorded that
    half line as invalid: the next run was refused (exit 2) forever. Now the line is read
    again once complete, unless it had been sent as it was."""
    path, journal_path = tmp_path / "in.jsonl", tmp_path / "j"
    half = source_of(path, b'{"a": 1}\n{"b": 2}\n{"c": ')
    journal = await Journal.open(journal_path, source=half, target="t", force=False)
    await journal.record([Outcome(1, LineState.CREATED, 1), Outcome(2, LineState.CREATED, 2)])
    await journal.record([Outcome(3, state, reason="invalid JSON")], {3: ""})
    await journal.close()
    done = source_of(path, b'{"a": 1}\n{"b": 2}\n{"c": 3}\n{"d": 4}\n')
    if not resumes:
        with pytest.raises(JournalMismatch, match="line 3, the last one, was sent"):
            await Journal.open(journal_path, source=done, target="t", force=False)
        return
    journal = await Journal.open(journal_path, source=done, target="t", force=False)
    rows = await journal.rows()
    await journal.close()
    assert sorted(rows) == [1, 2]  # line 3 is new again
    with pytest.raises(JournalMismatch, match="input changed"):  # the complete lines changed
        await Journal.open(
            journal_path,
            source=source_of(path, b'{"a": 9}\n{"b": 2}\n{"c": 3}\n{"d": 4}\n'),
            target="t",
            force=False,
        )


async def test_a_run_reads_only_the_input_it_hashed(tmp_path: Path) -> None:
    """Lines appended while a run reads (maybe half written) are the next run's: the
    journal's size and hash are of what this run read."""
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"1\n2\n3 half")
    read = [line async for chunk in read_lines(path, limit=4) for line in chunk]
    assert read == [(1, b"1"), (2, b"2")]


async def test_an_unwritable_journal_file_is_not_taken_for_a_busy_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EACCES from opening the journal (a read-only file, as a non-root user) is an
    OSError to report, not "in use by another ingest run" (EACCES is also how a lock
    held elsewhere fails on some systems)."""
    source = source_of(tmp_path / "in.jsonl", b"a\n")
    real_open = os.open

    def read_only(path: Any, flags: int, *args: Any) -> int:
        if Path(path) == tmp_path / "j" and flags & os.O_RDWR:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return int(real_open(path, flags, *args))

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(PermissionError):
        await Journal.open(tmp_path / "j", source=source, target="t", force=False)
    monkeypatch.setattr(os, "open", real_open)
    journal = await Journal.open(tmp_path / "j", source=source, target="t", force=False)
    await journal.close()  # nothing was left locked


class _FullDisk(io.BytesIO):
    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


async def test_a_rejects_file_on_a_full_disk_ends_with_a_summary_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writing the rejects file failed (ENOSPC) mid-run: the OSError escaped `ingest` as
    a traceback (raw even with --log-format json), and no summary was shown."""
    monkeypatch.setattr(RejectsWriter, "_open", lambda self: _FullDisk())
    source = tmp_path / "calls.jsonl"
    source.write_bytes(b'{"caller": "A", "location": "x"}\n{"caller": ""}\n{"bad": 1}\n')
    args = build_parser().parse_args(
        [
            *("ingest", str(source), "--community-id", "demo", "--api-key", "demo-key"),
            "--no-progress",
        ]
    )
    out = io.StringIO()
    console = Console(file=out, width=400, color_system=None)
    assert await Ingest(args, console, summary_to=console).work() == 1
    text = out.getvalue()
    assert "error: cannot write the rejects file" in text and "No space left" in text
    assert "invalid" in text and "created" in text  # the summary, with its counts


@pytest.mark.parametrize(
    "options",
    [
        ["--rejects", "{dir}/in.jsonl"],
        ["--journal", "{dir}/in.jsonl"],
        ["--journal", "{dir}/x", "--rejects", "{dir}/./x"],
        ["--url", "http://127.0.0.1:9", "--rejects", "{dir}/in.jsonl.journal"],
    ],
    ids=[
        "rejects-is-input",
        "journal-is-input",
        "rejects-is-journal",
        "rejects-is-default-journal",
    ],
)
def test_one_file_in_two_roles_is_refused_before_anything_is_touched(
    tmp_path: Path, options: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`--rejects calls.jsonl` deleted the input (a fresh run removes an old rejects
    file); as the journal, the rejects file would have been removed under SQLite."""
    source = tmp_path / "in.jsonl"
    content = b'{"caller": "A", "location": "x"}\n{"caller": ""}\n'
    source.write_bytes(content)
    argv = ["ingest", str(source), "--community-id", "demo", "--api-key", "demo-key"]
    with pytest.raises(SystemExit) as info:
        main([*argv, *(o.format(dir=tmp_path) for o in options), "--no-progress"])
    assert info.value.code == 2
    assert "give each its own file" in capsys.readouterr().err
    assert source.read_bytes() == content

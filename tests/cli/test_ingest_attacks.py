"""Attacks on the ingest promises that once broke them: each test failed before its fix."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sonoran_async.cli._journal import Journal, JournalMismatch, Source
from sonoran_async.cli._lock import JournalBusy, lock_path


def source_of(path: Path, content: bytes) -> Source:
    path.write_bytes(content)
    return Source(path, hashlib.sha256(content).hexdigest(), len(content))


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
    line as it was: that resumes. Appending to the old last line itself is refused."""
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
    await journal.close()
    with pytest.raises(JournalMismatch, match="input changed"):
        await Journal.open(
            tmp_path / "j",
            source=source_of(path, b'{"a": 1}\n{"b": 2}\n{"c": 3}\n{"d": 45}\n'),
            target="t",
            force=False,
        )

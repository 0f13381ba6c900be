"""Attacks on the ingest promises that once broke them: each test failed before its fix."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sonoran_async.cli._journal import Journal, Source
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

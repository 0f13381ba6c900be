"""The journal lock's refusals and error paths, in-process (flock conflicts between two open
file descriptions even within one process)."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sonoran_async.cli import _lock
from sonoran_async.cli._lock import JournalBusy, JournalLock, lock_path

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock semantics")


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else set()


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Path]:
    before = _open_fds()
    yield tmp_path / "calls.journal"
    assert _open_fds() <= before, "a descriptor leaked"


def test_the_holder_is_named_and_released_lock_is_taken_again(journal: Path) -> None:
    first = JournalLock.acquire(journal)
    with pytest.raises(JournalBusy, match=rf"pid {os.getpid()} on .*, started "):
        JournalLock.acquire(journal)
    first.release()
    first.release()  # twice is harmless
    assert lock_path(journal).read_bytes() == b""  # the record goes with the lock
    JournalLock.acquire(journal).release()


@pytest.mark.parametrize("record", [b"", b"not json", b'{"pid": 1}', b"[1, 2]"])
def test_an_unreadable_holder_record_still_refuses(journal: Path, record: bytes) -> None:
    first = JournalLock.acquire(journal)
    lock_path(journal).write_bytes(record)  # torn, foreign or half-written record
    try:
        with pytest.raises(JournalBusy, match="has not written its name yet"):
            JournalLock.acquire(journal)
    finally:
        first.release()


def test_a_replaced_lock_file_does_not_let_a_second_writer_in(journal: Path) -> None:
    first = JournalLock.acquire(journal)
    try:
        lock_path(journal).unlink()  # the next run opens (and locks) a fresh file
        with pytest.raises(JournalBusy, match=r"journal itself is locked.*\.lock was replaced"):
            JournalLock.acquire(journal)
    finally:
        first.release()


def test_an_unopenable_journal_is_its_own_error_and_frees_the_lock(journal: Path) -> None:
    journal.mkdir()  # cannot be opened read-write
    with pytest.raises(IsADirectoryError):
        JournalLock.acquire(journal)
    journal.rmdir()
    JournalLock.acquire(journal).release()  # the lock file was not left locked


def _failing_lock(monkeypatch: pytest.MonkeyPatch, fail_on: int, exc: BaseException) -> None:
    real, calls = _lock._try_lock, [0]

    def fake(fd: int) -> None:
        calls[0] += 1
        if calls[0] == fail_on:
            raise exc
        real(fd)

    monkeypatch.setattr(_lock, "_try_lock", fake)


@pytest.mark.parametrize("fail_on", [1, 2], ids=["lock-file", "journal"])
@pytest.mark.parametrize(
    "exc", [OSError(errno.ENOLCK, "no locks available"), KeyboardInterrupt()], ids=repr
)
def test_other_lock_errors_propagate_without_leaking(
    journal: Path, monkeypatch: pytest.MonkeyPatch, fail_on: int, exc: BaseException
) -> None:
    _failing_lock(monkeypatch, fail_on, exc)
    with pytest.raises(type(exc)) as caught:
        JournalLock.acquire(journal)
    assert not isinstance(caught.value, JournalBusy)
    monkeypatch.undo()
    JournalLock.acquire(journal).release()


def test_without_a_journal_descriptor_only_the_lock_file_is_locked(
    journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "win32")  # _open_journal's Windows answer
    lock = JournalLock.acquire(journal)
    assert not journal.exists()
    with pytest.raises(JournalBusy):
        JournalLock.acquire(journal)
    lock.release()
    JournalLock.acquire(journal).release()

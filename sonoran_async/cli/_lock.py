"""One journal, one writer: an OS file lock on a sidecar file (`JOURNAL.lock`).

The lock is `flock` on an open descriptor (on Windows, `msvcrt.locking` of one byte): it
belongs to the process and dies with it (exit, crash, SIGKILL), so a run started after a
crashed one takes it at once. The file holds who has it (pid, host, start time) for the
refusal's message; it is left in place, never unlinked (removing a lock file races with
the next run opening it). Off Windows the journal file itself is locked too, the same
way (`flock` does not touch SQLite's own `fcntl` locks): a lock file deleted or replaced
while a run holds it still lets no second run in.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sys
import time
from pathlib import Path

import orjson

#: errno of a lock held by another process (flock: EWOULDBLOCK; msvcrt: EACCES, EDEADLK).
_HELD = frozenset({errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES, errno.EDEADLK})

if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> None:
        os.lseek(fd, 1 << 20, os.SEEK_SET)  # a byte past the holder's record, which stays readable
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


class JournalBusy(Exception):
    """Another live process holds the journal; the message names it."""


def lock_path(journal: Path) -> Path:
    return journal.with_name(journal.name + ".lock")


class JournalLock:
    """Held from `acquire` until `release` (or until the process ends)."""

    def __init__(self, fd: int, path: Path, journal_fd: int | None = None) -> None:
        self._fd: int | None = fd
        self._journal_fd = journal_fd
        self.path = path

    @classmethod
    def acquire(cls, journal: Path) -> JournalLock:
        """Take the lock without waiting; JournalBusy if another process has it. Blocking
        calls, but each returns at once (local file, LOCK_NB)."""
        path = lock_path(journal)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _try_lock(fd)
        except OSError as exc:
            holder = _holder(fd) if exc.errno in _HELD else None
            os.close(fd)
            if holder is None:
                raise
            raise JournalBusy(
                f"in use by another ingest run ({holder}); one journal has one writer "
                f"(the lock: {path})"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            journal_fd = _open_journal(journal)  # an unwritable journal: its own error
        except BaseException:
            os.close(fd)
            raise
        try:
            if journal_fd is not None:
                _try_lock(journal_fd)
        except OSError as exc:
            holder = _holder(fd) if exc.errno in _HELD else None
            os.close(fd)
            assert journal_fd is not None
            os.close(journal_fd)
            if holder is None:
                raise
            raise JournalBusy(
                f"in use by another ingest run ({holder}); one journal has one writer "
                f"(the journal itself is locked, though {path.name} was replaced)"
            ) from None
        except BaseException:
            os.close(fd)
            if journal_fd is not None:
                os.close(journal_fd)
            raise
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        record = {"pid": os.getpid(), "host": socket.gethostname(), "started": started}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, orjson.dumps(record) + b"\n")
        return cls(fd, path, journal_fd)

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the descriptor releases the lock
        if self._journal_fd is not None:  # only once SQLite has closed the file
            journal_fd, self._journal_fd = self._journal_fd, None
            os.close(journal_fd)


def _open_journal(journal: Path) -> int | None:
    """A descriptor of the journal file, for its own lock (a new journal starts as an
    empty file, which SQLite takes as a new database); None on Windows, where locks are
    on byte ranges that SQLite reads."""
    if sys.platform == "win32":
        return None
    return os.open(journal, os.O_RDWR | os.O_CREAT, 0o644)


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        record = orjson.loads(os.read(fd, 4096))
        return f"pid {record['pid']} on {record['host']}, started {record['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that has not written its name yet"

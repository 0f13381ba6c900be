"""One journal, one writer: an OS file lock on a sidecar file (`JOURNAL.lock`).

The lock is `flock` on an open descriptor: it belongs to the process and dies with it
(exit, crash, SIGKILL), so a run started after a crashed one takes it at once. The file
holds who has it (pid, host, start time) for the refusal's message; it is left in place,
never unlinked (removing a lock file races with the next run opening it).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import time
from pathlib import Path

import orjson


class JournalBusy(Exception):
    """Another live process holds the journal; the message names it."""


def lock_path(journal: Path) -> Path:
    return journal.with_name(journal.name + ".lock")


class JournalLock:
    """Held from `acquire` until `release` (or until the process ends)."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def acquire(cls, journal: Path) -> JournalLock:
        """Take the lock without waiting; JournalBusy if another process has it. Blocking
        calls, but each returns at once (local file, LOCK_NB)."""
        path = lock_path(journal)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise JournalBusy(
                f"in use by another ingest run ({holder}); one journal has one writer "
                f"(the lock: {path})"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        record = {"pid": os.getpid(), "host": socket.gethostname(), "started": started}
        os.ftruncate(fd, 0)
        os.pwrite(fd, orjson.dumps(record) + b"\n", 0)
        return cls(fd, path)

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the descriptor releases the lock


def _holder(fd: int) -> str:
    try:
        record = orjson.loads(os.pread(fd, 4096, 0))
        return f"pid {record['pid']} on {record['host']}, started {record['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that has not written its name yet"

"""The ingest journal: every line's state in SQLite, so an interrupted run resumes.

Write-ahead: a line is recorded as `sent`, with the token it carries in its metaData,
in a committed transaction before it is handed to the client. Whatever kills the
process afterwards, the line is either still `sent` (looked up on the server by its
token when the run resumes) or has its outcome. Outcomes are committed in groups, one
transaction each. SQLite runs in aiosqlite's thread; the event loop never waits on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple, Self

import attrs
import orjson

from ._lines import prefix_sha256
from ._lock import JournalLock

if TYPE_CHECKING:
    import aiosqlite

_FORMAT: Final = "1"

#: Seconds between two commits of outcomes (a killed run looks up those not committed).
COMMIT_EVERY: Final = 0.25

JOURNAL_HELP: Final = f"""\
journal and resume:
  With --url, every line's state (sent, created with its id, refused, invalid, unknown,
  failed, pending) is kept in a SQLite journal, FILE.journal by default. A line is
  marked sent, in a commit synced to disk, before it is handed to the client; outcomes
  are committed every {COMMIT_EVERY:g} s. Run the same command again to continue: created
  lines are skipped; lines whose outcome is unknown are looked up on the server first
  (by the token the run put in their metaData) and re-sent only when proven absent;
  refused and invalid lines are not re-sent unless --retry-rejected. Lines added
  at the end of the file since the last run are sent too (a last line read half written,
  so invalid, is read again once complete); any other change to the input is refused
  unless --force. One run at a time per journal: another one is refused
  (exit 2, naming the holder's pid, host and start time); the lock dies with its process,
  so a run after a crash resumes. A fatal reply (invalid key, API not enabled, community
  not found) stops the run at once; the lines not created stay pending for the next run.
  With FILE = -, or without --url (the built-in emulator is new each run), there is a
  journal only with --journal; --no-journal keeps none.
"""

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lines (
    line INTEGER PRIMARY KEY,      -- 1-based line number in the input
    state TEXT NOT NULL,           -- a LineState value
    server_id INTEGER,             -- where it was sent (for the look-up on resume)
    call_id INTEGER,               -- the created call's id
    reason TEXT,                   -- why it was not created
    digest TEXT NOT NULL           -- the line's hash: a changed input is noticed
);
"""


class LineState(enum.StrEnum):
    SENT = "sent"  # handed to the client; outcome not recorded (yet)
    CREATED = "created"
    REFUSED = "refused"  # the server answered an error for it
    INVALID = "invalid"  # never sent: not a valid CALL_911 object
    UNKNOWN = "unknown"  # may have been created: looked up when the run resumes
    FAILED = "failed"  # not delivered (proven not created): re-sent when the run resumes
    PENDING = "pending"  # read but not sent before the run stopped


#: States a resumed run sends again; REFUSED and INVALID only with --retry-rejected.
RESEND: Final = frozenset({LineState.PENDING, LineState.FAILED})
REJECTED: Final = frozenset({LineState.REFUSED, LineState.INVALID})
#: States whose line may exist on the server: looked up before anything else is sent.
IN_DOUBT: Final = frozenset({LineState.SENT, LineState.UNKNOWN})


class Row(NamedTuple):
    state: LineState
    token: str  # the token the line carries when it is sent (derived from the line)
    server_id: int | None
    digest: str


class Outcome(NamedTuple):
    line: int
    state: LineState
    call_id: int | None = None
    reason: str | None = None


class JournalMismatch(Exception):
    """The journal was made for another input or another server (exit 2 unless --force)."""


class JournalError(Exception):
    """The journal cannot be read or written (corrupt, disk full...); one line of cause."""


@contextlib.contextmanager
def _failures(path: Path) -> Iterator[None]:
    """Any failure of SQLite or of the journal's content, as a JournalError."""
    try:
        yield
    except (sqlite3.Error, OSError, ValueError, KeyError, TypeError) as exc:
        cause = f"{type(exc).__name__}: {exc}" if isinstance(exc, KeyError) else str(exc)
        raise JournalError(f"journal {path}: {cause}") from exc


@attrs.frozen
class Source:
    """What the journal is for: a file (its content's size and hash) or standard input."""

    path: Path | None  # None: standard input
    sha256: str = ""
    size: int = 0
    lines: int = 0
    # Up to its last newline (see InputFacts): a last line still being written when the
    # run read it may be completed by the next run. Size -1: not known.
    lines_sha256: str = ""
    lines_size: int = -1

    @property
    def id(self) -> str:
        return "stdin" if self.path is None else f"sha256:{self.sha256}"


class Journal:
    """One ingest input's journal. Open with `await Journal.open(path, ...)`; `close()`
    always (it releases the connection's thread and the lock)."""

    def __init__(self, db: aiosqlite.Connection, lock: JournalLock, path: Path, run_id: str):
        self._db = db
        self._lock = lock
        self.path = path
        self.run_id = run_id  # prefix of every token this journal hands out
        self.appended = 0  # bytes the input grew by since the journal's last run
        self._writing = asyncio.Lock()  # one transaction at a time (two tasks write)

    @classmethod
    async def open(cls, path: Path, *, source: Source, target: str, force: bool) -> Self:
        """Lock, then open or create; `target` names the server. JournalBusy if another
        process holds it, JournalMismatch if it was made for another input or server,
        JournalError if it cannot be used. An input that only grew resumes."""
        import aiosqlite  # the [cli] extra; imported here so that --help works without it

        lock = JournalLock.acquire(path)
        db: aiosqlite.Connection | None = None
        try:
            with _failures(path):
                db = await aiosqlite.connect(path)
                # FULL: a commit survives power loss too, so a line marked `sent` stays so.
                await db.executescript(
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;" + _SCHEMA
                )
                found = await db.execute_fetchall("SELECT key, value FROM meta")
                meta: dict[str, str] = {key: value for key, value in found}
                update = {"source": source.id, "size": str(source.size), "target": target}
                if source.path is not None:
                    update |= {
                        "lines_source": f"sha256:{source.lines_sha256}",
                        "lines_size": str(source.lines_size),
                        "lines": str(source.lines),
                    }
                appended = 0
                if not meta:
                    update |= {"format": _FORMAT, "run_id": secrets.token_hex(6)}
                elif not force:
                    appended, reopened = await _check(meta, source=source, target=target)
                    if reopened is not None:
                        await _reopen(db, reopened)
                await db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", update.items())
                await db.commit()
                journal = cls(db, lock, path, (meta | update)["run_id"])
            journal.appended = appended
            return journal
        except BaseException:
            if db is not None:
                await db.close()
            lock.release()
            raise

    def token(self, line: int) -> str:
        return f"{self.run_id}-{line}"

    async def rows(self) -> dict[int, Row]:
        """Every recorded line (a journal holds one row per line read, ~100 bytes each)."""
        with _failures(self.path):
            found = await self._db.execute_fetchall(
                "SELECT line, state, server_id, digest FROM lines"
            )
            return {r[0]: Row(LineState(r[1]), self.token(r[0]), r[2], r[3]) for r in found}

    # Rows go to SQLite as one JSON array per statement, expanded by json_each: one
    # parameter to bind instead of one per row, so the statement runs in C without
    # taking the GIL back row by row from the event loop.

    async def mark_sent(self, lines: Iterable[tuple[int, int | None, str]]) -> None:
        """(line, server id, digest) of lines about to be handed to the client; each
        carries the token `token(line)`. This commit is synced to disk (and with it every
        earlier one): a line sent must never be forgotten, even on power loss. Outcomes
        need not be: a lost one leaves its line `sent`, looked up on resume."""
        db = self._db
        async with self._writing:
            with _failures(self.path):
                await self._mark_sent(db, orjson.dumps(list(lines)))

    @staticmethod
    async def _mark_sent(db: aiosqlite.Connection, lines: bytes) -> None:
        await db.execute("PRAGMA synchronous=FULL")
        await db.execute(
            "INSERT OR REPLACE INTO lines (line, state, server_id, digest) "
            "SELECT value ->> 0, 'sent', value ->> 1, value ->> 2 FROM json_each(?)",
            (lines,),
        )
        await db.commit()
        await db.execute("PRAGMA synchronous=NORMAL")

    async def record(
        self, outcomes: Iterable[Outcome], digests: Mapping[int, str] | None = None
    ) -> None:
        """Outcomes, in one transaction. Lines never marked sent (invalid ones) need
        their digest in `digests`."""
        digests = digests or {}
        rows = [(o.line, o.state, o.call_id, o.reason, digests.get(o.line, "")) for o in outcomes]
        async with self._writing:
            with _failures(self.path):
                await self._write_outcomes(orjson.dumps(rows))

    async def _write_outcomes(self, rows: bytes) -> None:
        await self._db.execute(
            "INSERT INTO lines (line, state, call_id, reason, digest) "
            "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 "
            "FROM json_each(?) WHERE true "
            "ON CONFLICT (line) DO UPDATE SET state = excluded.state, "
            "call_id = excluded.call_id, reason = excluded.reason",
            (rows,),
        )
        await self._db.commit()

    async def counts(self) -> dict[LineState, int]:
        with _failures(self.path):
            found = await self._db.execute_fetchall(
                "SELECT state, count(*) FROM lines GROUP BY state"
            )
            counts = dict.fromkeys(LineState, 0)
            counts.update({LineState(state): n for state, n in found})
            return counts

    async def close(self) -> None:
        """Close the connection (its thread) and release the lock, whatever fails."""
        try:
            with _failures(self.path):
                await self._db.close()
        finally:
            self._lock.release()


async def _check(meta: Mapping[str, str], *, source: Source, target: str) -> tuple[int, int | None]:
    """Raise JournalMismatch unless the journal fits; the bytes the input grew by, and
    the number of an old last line without a newline that has grown since (or None)."""
    if meta.get("format") != _FORMAT:
        raise JournalMismatch(f"journal format {meta.get('format')!r} is not {_FORMAT!r}")
    made_for, appended, reopened = meta["source"], 0, None
    if made_for != source.id:
        if "stdin" in (made_for, source.id):
            kinds = {True: "standard input", False: "a file"}
            raise JournalMismatch(
                f"the journal was made for {kinds[made_for == 'stdin']}, not "
                f"{kinds[source.path is None]} (use --force to continue anyway)"
            )
        old_size = int(meta.get("size", -1))
        assert source.path is not None
        if 0 <= old_size < source.size and made_for == "sha256:" + str(
            await asyncio.to_thread(prefix_sha256, source.path, old_size)
        ):
            appended = source.size - old_size
        elif await _only_the_last_line_grew(meta, source):
            appended, reopened = max(source.size - old_size, 0), int(meta["lines"])
        else:
            raise JournalMismatch(
                "the input changed since the journal was made, other than by lines added "
                "at its end (use --force to continue anyway)"
            )
    if meta["target"] != target:
        raise JournalMismatch(
            f"the journal was made for {meta['target']}, not {target} "
            "(use --force to continue anyway)"
        )
    return appended, reopened


async def _only_the_last_line_grew(meta: Mapping[str, str], source: Source) -> bool:
    """The old content up to its last newline is unchanged, and a last line without a
    newline after it (e.g. read while still being written) has grown."""
    lines_size = int(meta.get("lines_size", -1))
    if not 0 <= lines_size < int(meta["size"]) or "lines" not in meta:
        return False
    assert source.path is not None
    return meta.get("lines_source") == "sha256:" + str(
        await asyncio.to_thread(prefix_sha256, source.path, lines_size)
    )


#: States of a line that never reached the server: it may be read again as a new line.
_UNSENT: Final = (LineState.INVALID, LineState.PENDING, LineState.FAILED)


async def _reopen(db: aiosqlite.Connection, line: int) -> None:
    """The old last line grew: forget it if it never reached the server (typically it was
    read half written, so invalid), else the input changed under a line sent."""
    found = [
        state
        for (state,) in await db.execute_fetchall("SELECT state FROM lines WHERE line = ?", (line,))
    ]
    if found and LineState(found[0]) not in _UNSENT:
        raise JournalMismatch(
            f"line {line}, the last one, was sent as it was and has changed since (it had "
            "no newline; use --force to continue anyway)"
        )
    await db.execute("DELETE FROM lines WHERE line = ?", (line,))

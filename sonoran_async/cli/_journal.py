"""The ingest journal: every line's state in SQLite, so an interrupted run resumes.

Write-ahead: a line is recorded as `sent`, with the token it carries in its metaData,
in a committed transaction before it is handed to the client. Whatever kills the
process afterwards, the line is either still `sent` (looked up on the server by its
token when the run resumes) or has its outcome. Outcomes are committed in groups, one
transaction each. SQLite runs in aiosqlite's thread; the event loop never waits on disk.
"""

from __future__ import annotations

import asyncio
import enum
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple, Self

import orjson

if TYPE_CHECKING:
    import aiosqlite

_FORMAT: Final = "1"

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


class Journal:
    """One ingest input's journal. Open with `await Journal.open(path, ...)`."""

    def __init__(self, db: aiosqlite.Connection, path: Path, run_id: str) -> None:
        self._db = db
        self.path = path
        self.run_id = run_id  # prefix of every token this journal hands out
        self._writing = asyncio.Lock()  # one transaction at a time (two tasks write)

    @classmethod
    async def open(cls, path: Path, *, source: str, target: str, force: bool) -> Self:
        """Open or create; `source` identifies the input (its hash, or "stdin"),
        `target` the server. A journal made for others raises JournalMismatch."""
        import aiosqlite  # the [cli] extra; imported here so that --help works without it

        db = await aiosqlite.connect(path)
        try:
            # FULL: a commit survives power loss too, so a line marked `sent` stays so.
            await db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;" + _SCHEMA)
            found = await db.execute_fetchall("SELECT key, value FROM meta")
            meta: dict[str, str] = {key: value for key, value in found}
            if not meta:
                meta = {
                    "format": _FORMAT,
                    "source": source,
                    "target": target,
                    "run_id": secrets.token_hex(6),
                }
                await db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
                await db.commit()
            elif not force:
                _check(meta, source=source, target=target)
            else:
                await db.executemany(
                    "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    (("source", source), ("target", target)),
                )
                await db.commit()
        except BaseException:
            await db.close()
            raise
        return cls(db, path, meta["run_id"])

    def token(self, line: int) -> str:
        return f"{self.run_id}-{line}"

    async def rows(self) -> dict[int, Row]:
        """Every recorded line (a journal holds one row per line read, ~100 bytes each)."""
        found = await self._db.execute_fetchall("SELECT line, state, server_id, digest FROM lines")
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
            await db.execute("PRAGMA synchronous=FULL")
            await db.execute(
                "INSERT OR REPLACE INTO lines (line, state, server_id, digest) "
                "SELECT value ->> 0, 'sent', value ->> 1, value ->> 2 FROM json_each(?)",
                (orjson.dumps(list(lines)),),
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
        found = await self._db.execute_fetchall("SELECT state, count(*) FROM lines GROUP BY state")
        counts = dict.fromkeys(LineState, 0)
        counts.update({LineState(state): n for state, n in found})
        return counts

    async def close(self) -> None:
        await self._db.close()


def _check(meta: Mapping[str, str], *, source: str, target: str) -> None:
    if meta.get("format") != _FORMAT:
        raise JournalMismatch(f"journal format {meta.get('format')!r} is not {_FORMAT!r}")
    if meta["source"] != source and "stdin" not in (meta["source"], source):
        raise JournalMismatch(
            "the input changed since the journal was made (use --force to continue anyway)"
        )
    if meta["target"] != target:
        raise JournalMismatch(
            f"the journal was made for {meta['target']}, not {target} "
            "(use --force to continue anyway)"
        )

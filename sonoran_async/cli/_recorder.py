"""Where each line's outcome goes: the run's tally, the rejects file and the journal
(committed as outcomes come: the replies of one request settle, and commit, together)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

import orjson

from .._errors import (
    ApiError,
    ClientClosedError,
    DeliveryTimeoutError,
    QueueFullError,
    RateLimitedError,
    SonoranError,
    TransportError,
    ValidationError,
)
from ._common import UsageError
from ._journal import COMMIT_EVERY, Journal, JournalError, LineState, Outcome
from ._lines import FIELD_TO_WIRE
from ._report import Tally


def default_rejects_path(path: Path) -> Path:
    """calls.jsonl -> calls.rejects.jsonl (next to the input)."""
    stem = path.name
    for suffix in (".jsonl", ".ndjson"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return path.with_name(stem + ".rejects.jsonl")


def line_digest(raw: bytes) -> str:
    return hashlib.blake2b(raw.rstrip(b"\r\n"), digest_size=8).hexdigest()


def is_fatal(error: BaseException) -> bool:
    """A reply about the key, the community or the API, not about the line: the client
    stops, and the line is sent again by the next run."""
    return isinstance(error, ApiError) and error.fatal


def state_of(error: BaseException) -> LineState:
    """The journal state of a line whose future failed with `error`."""
    if isinstance(error, ValidationError):
        return LineState.INVALID
    if isinstance(error, ClientClosedError) or is_fatal(error):
        return LineState.PENDING  # not created, for no fault of the line: sent next run
    if isinstance(error, ApiError):
        return LineState.REFUSED
    if isinstance(error, TransportError | RateLimitedError | DeliveryTimeoutError | QueueFullError):
        return LineState.FAILED  # not delivered, so not created
    return LineState.UNKNOWN  # OutcomeUnknownError, and anything unexpected


def reason_of(error: BaseException) -> str:
    if isinstance(error, ValidationError):  # named as the line names it
        return f"{FIELD_TO_WIRE.get(error.field, error.field)}: {error.message}"
    if isinstance(error, ApiError):
        return error.text
    if isinstance(error, SonoranError):
        return f"{type(error).__name__}: {error}"
    if isinstance(error, asyncio.CancelledError):
        return "cancelled while in flight"
    return f"unexpected {type(error).__name__}: {error}"


class RejectsWriter:
    """Opens the rejects file on the first reject, so that a clean run leaves none. A run
    that resumes a journal appends; a fresh run replaces an old file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None
        self.error: str | None = None  # why the file could not be written (disk full...)

    def check_writable(self) -> None:
        """Before anything is sent: a rejects file that can't be written is a usage error."""
        existed = self.path.exists()
        try:
            with self.path.open("ab"):
                pass
        except OSError as exc:
            raise UsageError(
                f"--rejects: cannot write {self.path}: {exc.strerror or exc}"
            ) from None
        if not existed:
            self.path.unlink()

    def discard_old(self) -> None:
        self.path.unlink(missing_ok=True)

    def write(self, line: int, stage: str, reason: str, raw: bytes) -> None:
        """One record; a file that cannot be written is given up, with its `error` (the
        run goes on: the journal, and the summary's causes, still have every outcome)."""
        if self.error is not None:
            return
        record = {
            "line": line,
            "stage": stage,
            "reason": reason,
            "input": raw.decode("utf-8", "replace").rstrip("\r\n"),
        }
        try:
            if self._file is None:
                self._file = self._open()
            self._file.write(orjson.dumps(record) + b"\n")
        except OSError as exc:
            self._give_up(exc)

    def _open(self) -> IO[bytes]:
        return self.path.open("ab")

    @property
    def written(self) -> bool:
        return self._file is not None

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError as exc:
                self._give_up(exc)

    def _give_up(self, exc: OSError) -> None:
        if self.error is None:
            self.error = f"cannot write the rejects file {self.path}: {exc.strerror or exc}"
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()  # its buffer is flushed again, and fails again


class Recorder:
    """`on_stop` is called with the cause when the run must stop: a fatal reply (the
    exception), or a journal that can no longer be written (its JournalError)."""

    def __init__(
        self,
        tally: Tally,
        rejects: RejectsWriter,
        journal: Journal | None,
        on_stop: Callable[[BaseException], None],
    ) -> None:
        self.tally = tally
        self.rejects = rejects
        self.journal = journal
        self._on_stop = on_stop
        self.outstanding = 0  # futures handed out, not settled yet
        self.all_settled = asyncio.Event()
        self._outcomes: list[Outcome] = []
        self._digests: dict[int, str] = {}  # of invalid lines, never marked sent
        self._wake = asyncio.Event()
        self._finishing = False
        self._broken = False  # the journal failed: outcomes are no longer written
        self._writer: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._writer = asyncio.get_running_loop().create_task(self._write())

    def track(self, number: int, raw: bytes, future: asyncio.Future[int]) -> None:
        self.outstanding += 1
        self.all_settled.clear()
        future.add_done_callback(functools.partial(self._done, number, raw))

    def _done(self, number: int, raw: bytes, future: asyncio.Future[int]) -> None:
        if future.cancelled():
            self.fail(number, raw, asyncio.CancelledError())
        elif (error := future.exception()) is not None:
            self.fail(number, raw, error)
        else:
            self.settle(Outcome(number, LineState.CREATED, future.result()), raw)
        self.outstanding -= 1
        if not self.outstanding:
            self.all_settled.set()

    def fail(self, number: int, raw: bytes, error: BaseException) -> None:
        if is_fatal(error):
            self._on_stop(error)
        self.settle(Outcome(number, state_of(error), reason=reason_of(error)), raw)

    def invalid(self, number: int, raw: bytes, digest: str, reason: str) -> None:
        self._digests[number] = digest
        self.settle(Outcome(number, LineState.INVALID, reason=reason), raw)

    def settle(self, outcome: Outcome, raw: bytes) -> None:
        state = outcome.state
        setattr(self.tally, state.value, getattr(self.tally, state.value) + 1)
        if state is not LineState.CREATED and state is not LineState.PENDING:
            self.rejects.write(outcome.line, state.value, outcome.reason or "", raw)
            self.tally.causes[outcome.reason or state.value] += 1
        if self.journal is not None and not self._broken:
            self._outcomes.append(outcome)
            self._wake.set()

    async def _write(self) -> None:
        """Commit outcomes until `finish`; after a journal error, stop the run and commit
        nothing more (lines whose outcome is lost stay `sent`: looked up next run)."""
        try:
            while not self._finishing:
                await self._wake.wait()
                self._wake.clear()
                await self._commit()
                await asyncio.sleep(COMMIT_EVERY)  # outcomes of many requests, one commit
            await self._commit()
        except JournalError as exc:
            self._broken = True
            self._outcomes.clear()
            self._on_stop(exc)

    async def _commit(self) -> None:
        if self.journal is None or not self._outcomes:
            return
        outcomes, self._outcomes = self._outcomes, []
        digests, self._digests = self._digests, {}
        await self.journal.record(outcomes, digests)

    async def finish(self) -> None:
        """Commit what is left and stop; the writer is never cancelled, so no outcome is
        dropped mid-commit."""
        self._finishing = True
        self._wake.set()
        if self._writer is not None:
            await self._writer
        self.rejects.close()

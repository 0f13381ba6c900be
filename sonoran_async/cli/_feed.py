"""Feeding the client: lines are read, parsed and marked `sent` in the journal a few
chunks ahead of the client, so the journal's commits stay off the sending path; the
client gets them in order. A stop leaves the lines marked but not handed over `pending`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

from .._errors import SonoranError
from .._models import Call911
from ._journal import JournalError, LineState, Outcome, Row
from ._lines import LineError, parse_line, read_lines
from ._recorder import Recorder, line_digest
from ._report import Tally
from ._resume import Next, next_step

#: Chunks (of up to 256 KiB of input each) read and marked ahead of the client.
READ_AHEAD: Final = 2

Chunk = list[tuple[int, bytes, Call911]]


class Feeder:
    def __init__(
        self,
        submit: Callable[[Call911], Awaitable[asyncio.Future[int]]],
        recorder: Recorder,
        tally: Tally,
        stopping: asyncio.Event,
        *,
        force: bool,
        retry_rejected: bool,
        default_server: int,
    ) -> None:
        self._submit = submit
        self._recorder = recorder
        self._tally = tally
        self._stopping = stopping
        self._force = force
        self._retry = retry_rejected
        self._default_server = default_server

    async def feed(
        self, source: Path | None, rows: dict[int, Row], limit: int | None = None
    ) -> None:
        """Hand `source`'s lines (of a file, its first `limit` bytes) to the client."""
        ready: asyncio.Queue[Chunk | None] = asyncio.Queue(READ_AHEAD)
        reader = asyncio.create_task(self._read(source, rows, ready, limit))
        try:
            while (chunk := await ready.get()) is not None:
                await self._hand_over(chunk)
            await reader  # its error, if it stopped on one
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    async def _read(
        self,
        source: Path | None,
        rows: dict[int, Row],
        ready: asyncio.Queue[Chunk | None],
        limit: int | None,
    ) -> None:
        journal = self._recorder.journal
        try:
            async for lines in read_lines(source, limit):
                if self._stopping.is_set():
                    break
                chunk, marks = self._prepare(lines, rows, check_lines=source is None)
                if journal is not None and marks:
                    try:
                        await journal.mark_sent(marks)
                    except JournalError:
                        for number, raw, _ in chunk:  # never handed over
                            self._recorder.settle(Outcome(number, LineState.PENDING), raw)
                        raise
                await ready.put(chunk)
        except asyncio.CancelledError:
            raise  # the consumer is gone: nobody to tell
        except BaseException:
            await ready.put(None)  # wake the consumer, which re-raises this via `await reader`
            raise
        await ready.put(None)

    def _prepare(
        self, lines: list[tuple[int, bytes]], rows: dict[int, Row], *, check_lines: bool
    ) -> tuple[Chunk, list[tuple[int, int | None, str]]]:
        """The chunk's lines to send, parsed (with their tokens), and the journal marks."""
        journal = self._recorder.journal
        tally = self._tally
        chunk: Chunk = []
        marks: list[tuple[int, int | None, str]] = []
        for number, raw in lines:
            if not raw.strip():
                continue
            # A file is checked whole (its hash) when the journal opens; stdin line by line.
            digest = line_digest(raw) if check_lines else ""
            row = rows.get(number)
            if row is not None:
                step = next_step(number, row, digest, force=self._force, retry=self._retry)
                if step is Next.SKIP:
                    tally.skipped += 1
                    continue
                if step is Next.KEEP:
                    tally.kept += 1
                    continue
            tally.lines += 1
            token = None if journal is None else journal.token(number)
            try:
                call = parse_line(raw, token)
            except LineError as exc:
                self._recorder.invalid(number, raw, digest, str(exc))
                continue
            if token is not None:
                server = self._default_server if call.server_id is None else call.server_id
                marks.append((number, server, digest))
            chunk.append((number, raw, call))
        return chunk, marks

    async def _hand_over(self, chunk: Chunk) -> None:
        recorder = self._recorder
        for index, (number, raw, call) in enumerate(chunk):
            if self._stopping.is_set():
                for number, raw, _ in chunk[index:]:
                    recorder.settle(Outcome(number, LineState.PENDING), raw)
                return
            try:
                recorder.track(number, raw, await self._submit(call))
            except SonoranError as exc:
                recorder.fail(number, raw, exc)
        await asyncio.sleep(0)  # let requests leave while more of the input is read

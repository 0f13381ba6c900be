"""The ingest progress: on a terminal a live bar, refreshed a few times a second; off a
terminal (cron, journald, a pipe) a plain line every `PLAIN_EVERY` seconds. Either ends
with a last update from the final counts, so it always agrees with the summary."""

from __future__ import annotations

import asyncio
import math
import time
from typing import TYPE_CHECKING, Final

from ._report import Tally

if TYPE_CHECKING:
    from types import TracebackType

    from rich.console import Console
    from rich.progress import Progress, TaskID

#: Seconds between two plain progress lines when the output is not a terminal.
PLAIN_EVERY: Final = 10.0
#: Seconds between two refreshes of the bar on a terminal.
BAR_EVERY: Final = 0.2


def eta(remaining: int, done: int, elapsed: float, max_items: int, rate: float | None) -> str:
    """The later of: what the rate budget allows at best, and the pace so far."""
    seconds = 0.0
    if rate:
        seconds = math.ceil(remaining / max_items) / rate
    if done and elapsed > 0:
        seconds = max(seconds, remaining * elapsed / done)
    elif not rate:
        return "?"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


class IngestProgress:
    """`async with IngestProgress(...)`: shows the tally's progress while the block runs."""

    def __init__(
        self,
        console: Console,
        tally: Tally,
        *,
        name: str,
        total: int | None,
        max_items: int,
        rate: float | None,
        enabled: bool,
    ) -> None:
        self._console = console
        self._tally = tally
        self._name = name
        self._total = total
        self._max_items = max_items
        self._rate = rate
        self._enabled = enabled
        self._started = time.perf_counter()
        self._bar: tuple[Progress, TaskID] | None = None
        self._task: asyncio.Task[None] | None = None

    def _counts(self) -> tuple[int, str]:
        """Lines done (this run and earlier ones) and the ETA."""
        tally = self._tally
        done = tally.settled
        if self._total is None:
            return done + tally.skipped + tally.kept, "?"
        remaining = max(self._total - tally.skipped - tally.kept - done, 0)
        elapsed = time.perf_counter() - self._started
        return done + tally.skipped + tally.kept, eta(
            remaining, done, elapsed, self._max_items, self._rate
        )

    def line(self) -> str:
        """The plain progress line."""
        tally = self._tally
        completed, left = self._counts()
        of = f"/{self._total:,}" if self._total is not None else ""
        return (
            f"progress {self._name}: {completed:,}{of} lines, {tally.created + tally.skipped:,} "
            f"created, {tally.refused:,} refused, {tally.unknown:,} unknown, "
            f"{tally.failed + tally.invalid:,} failed or invalid, "
            f"{time.perf_counter() - self._started:,.0f} s, ETA {left}"
        )

    def _update_bar(self) -> None:
        assert self._bar is not None
        progress, task = self._bar
        tally = self._tally
        completed, left = self._counts()
        progress.update(
            task,
            completed=completed,
            created=tally.created + tally.skipped,
            refused=tally.refused,
            unknown=tally.unknown,
            eta=left,
        )

    async def _refresh(self) -> None:
        while True:
            if self._bar is not None:
                self._update_bar()
                await asyncio.sleep(BAR_EVERY)
            else:
                await asyncio.sleep(PLAIN_EVERY)
                self._console.print(self.line(), markup=False, highlight=False)

    async def __aenter__(self) -> None:
        if not self._enabled:
            return
        if self._console.is_terminal:
            progress = _make_bar(self._console)
            task = progress.add_task(
                self._name, total=self._total, eta="?", created=0, refused=0, unknown=0
            )
            self._bar = progress, task
            progress.start()
        self._task = asyncio.create_task(self._refresh())

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is None:
            return
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        if self._bar is not None:  # the last frame shows the final counts
            self._update_bar()
            self._bar[0].stop()
        else:
            self._console.print(self.line(), markup=False, highlight=False)


def _make_bar(console: Console) -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "[green]{task.fields[created]:,} created[/] [red]{task.fields[refused]:,} "
            "refused[/] [yellow]{task.fields[unknown]:,} unknown[/]"
        ),
        TimeElapsedColumn(),
        TextColumn("ETA {task.fields[eta]}"),
        console=console,
        auto_refresh=True,
    )

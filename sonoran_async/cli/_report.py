"""What `ingest` reports: the run's counts, 429s aggregated into one line every few
seconds, and the summary (a table, or one line of JSON with `--json`) ending with the
causes of the failures. The progress line is `_progress.py`."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs
import orjson

if TYPE_CHECKING:
    from rich.console import Console

    from .._client import SonoranClient

#: Seconds between two "rate limited" lines.
RATE_LIMIT_REPORT_EVERY: Final = 5.0
#: Distinct causes the summary table lists (the JSON summary has them all).
MAX_CAUSES: Final = 10


@attrs.define
class Tally:
    """This run's counts; `skipped` lines were created by an earlier run."""

    lines: int = 0  # non-blank lines this run dealt with
    created: int = 0
    invalid: int = 0
    refused: int = 0
    unknown: int = 0
    failed: int = 0
    pending: int = 0  # not sent: the run stopped first (a signal, a fatal reply)
    skipped: int = 0  # created by an earlier run (journal)
    kept: int = 0  # refused, invalid or unknown in the journal, not sent again
    found: int = 0  # in doubt after an earlier run, found on the server
    absent: int = 0  # in doubt after an earlier run, proven absent (sent again)
    elapsed: float = 0.0
    #: Why lines were not created: reason -> lines (the summary's last lines).
    causes: collections.Counter[str] = attrs.field(factory=collections.Counter)

    @property
    def settled(self) -> int:
        return self.created + self.invalid + self.refused + self.unknown + self.failed

    @property
    def not_created(self) -> int:
        return self.invalid + self.refused + self.unknown + self.failed + self.pending


class QuietRateLimits(logging.Filter):
    """Drops the client's one-line-per-429 warnings; `RateLimitReporter` sums them up."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "sonoran_event", None) != "rate_limited"


@contextlib.contextmanager
def library_logs_to(console: Console) -> Iterator[None]:
    """While the command runs, the library's warnings go to the console (above the
    progress bar), without the per-429 lines; the logger is restored afterwards."""
    from rich.logging import RichHandler

    handler = RichHandler(console=console, show_path=False, show_time=False)
    handler.addFilter(QuietRateLimits())
    library = logging.getLogger("sonoran_async")
    saved = library.level, library.propagate
    library.addHandler(handler)
    library.setLevel(logging.WARNING)
    library.propagate = False
    try:
        yield
    finally:
        library.removeHandler(handler)
        library.setLevel(saved[0])
        library.propagate = saved[1]


async def report_rate_limits(client: SonoranClient, console: Console) -> None:
    """Every few seconds, one line if 429s were waited out since the last one (and a
    last line for the rest when the run ends and this task is cancelled)."""
    reported = 0

    def report() -> None:
        nonlocal reported
        total = client.stats.rate_limited
        if total > reported:
            console.print(
                f"[yellow]rate limited:[/] {total - reported:,} x 429 in the last "
                f"{RATE_LIMIT_REPORT_EVERY:g} s ({total:,} in all), waited out as the "
                "server asked"
            )
            reported = total

    try:
        while True:
            await asyncio.sleep(RATE_LIMIT_REPORT_EVERY)
            report()
    finally:
        report()


def summary(
    tally: Tally,
    client: SonoranClient,
    *,
    journal: dict[str, int] | None,
    journal_path: Path | None,
    rejects_path: Path | None,
    interrupted: str | None,
    stopped_by: str | None,
    exit_code: int,
) -> dict[str, Any]:
    """The run's summary as plain data (the `--json` line, and the table's rows)."""
    stats = client.stats
    return {
        "exit_code": exit_code,
        "interrupted": interrupted,
        "stopped_by": stopped_by,
        "lines": tally.lines,
        "created": tally.created,
        "refused": tally.refused,
        "invalid": tally.invalid,
        "unknown": tally.unknown,
        "failed": tally.failed,
        "pending": tally.pending,
        "skipped_created_before": tally.skipped,
        "kept_rejected_or_unknown": tally.kept,
        "found_on_server": tally.found,
        "proven_absent": tally.absent,
        "requests": stats.requests,
        "rate_limited": stats.rate_limited,
        "elapsed_seconds": round(tally.elapsed, 3),
        "journal": str(journal_path) if journal_path else None,
        "journal_states": journal,
        "rejects": str(rejects_path) if rejects_path else None,
        "causes": [{"cause": c, "lines": n} for c, n in tally.causes.most_common()],
    }


def json_line(data: dict[str, Any]) -> str:
    return orjson.dumps(data).decode()


def summary_table(data: dict[str, Any], title: str) -> Any:
    """The summary as a table; its last rows are the causes of the lines not created, one
    per distinct cause with its count."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    elapsed = data["elapsed_seconds"]
    rows: list[tuple[str, Any, str]] = [
        ("lines read", data["lines"], ""),
        ("created", data["created"], "green"),
        ("invalid (never sent)", data["invalid"], "red"),
        ("refused by the server", data["refused"], "red"),
        ("outcome unknown", data["unknown"], "red"),
        ("failed (not delivered)", data["failed"], "red"),
        ("pending (not sent; sent next run)", data["pending"], "yellow"),
        ("created by an earlier run", data["skipped_created_before"], ""),
        ("kept from an earlier run", data["kept_rejected_or_unknown"], ""),
        ("in doubt, found on the server", data["found_on_server"], ""),
        ("in doubt, proven absent", data["proven_absent"], ""),
        ("requests", data["requests"], ""),
        ("429s waited out", data["rate_limited"], ""),
    ]
    for name, value, style in rows:
        if value or name in ("lines read", "created", "requests"):
            table.add_row(name, f"[{style}]{value:,}[/]" if style else f"{value:,}")
    table.add_row("elapsed", f"{elapsed:.2f} s")
    if elapsed > 0:
        table.add_row("created per second", f"{data['created'] / elapsed:,.0f}")
    for name in ("journal", "rejects"):
        if data[name]:
            table.add_row(name, f"[yellow]{data[name]}[/]")
    if data["interrupted"]:
        table.add_row("interrupted by", f"[yellow]{data['interrupted']}[/]")
    causes = data["causes"]
    for cause in causes[:MAX_CAUSES]:
        table.add_row(f"[red]{escape(cause['cause'])}[/]", f"{cause['lines']:,}")
    if len(causes) > MAX_CAUSES:
        rest = sum(cause["lines"] for cause in causes[MAX_CAUSES:])
        others = f"{len(causes) - MAX_CAUSES:,} other causes (see the rejects file)"
        table.add_row(others, f"{rest:,}")
    return table

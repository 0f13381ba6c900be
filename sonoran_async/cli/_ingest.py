"""`sonoran-async ingest FILE.jsonl`: stream 911 calls from a file through the batcher.

Every line goes through `SonoranClient.submit()` (no task per line); a done callback
counts the outcome and writes rejected lines to the rejects file. `submit()` suspends
when `max_pending` lines are queued, so memory stays bounded whatever the file's size.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

import attrs
import orjson

from ._cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, connect, rate_limit_from, target_label
from ._codec import wire_name
from ._errors import (
    ApiError,
    OutcomeUnknownError,
    SonoranError,
    ValidationError,
)
from ._models import Call911
from ._policies import BatchPolicy

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from ._client import SonoranClient

#: Line keys (the wire names Sonoran documents for a CALL_911 object) -> Call911 fields,
#: taken from the codec so that the two can never disagree.
WIRE_KEYS: Final = {wire_name(field): field.name for field in attrs.fields(Call911)}
_FIELD_TO_WIRE: Final = {field: key for key, field in WIRE_KEYS.items()}
_SNAKE_HINTS: Final = {field: key for key, field in WIRE_KEYS.items() if field != key}
_REQUIRED: Final = ("caller", "location")

SCHEMA_HELP: Final = """\
input format (JSON Lines):
  One JSON object per line: the CALL_911 `data` object exactly as Sonoran documents it,
  with its camelCase keys (snake_case keys such as is_emergency are refused, with a hint):

    caller              string, required, not blank
    location            string, required, not blank
    description         string (default "")
    isEmergency         true: EMERGENCY call (default); false: CIVIL call
    metaData            object with string keys (x and y place the call on the live map;
                        priority 1-3, block, postal, code pre-fill the dispatch call)
    deleteAfterMinutes  integer >= 1: the call expires after that many minutes
    serverId            integer >= 0 (default: --server-id)

  A null value counts as absent. Blank lines are skipped. Example line:

    {"caller": "Jane Roe", "location": "Route 68", "description": "Car fire", "isEmergency": true}

rejects file:
  A bad line (not JSON, not an object, an unknown key, a bad value) never stops the run:
  it is written to the rejects file, and so is every object the server refused or that
  could not be delivered. One JSON object per rejected line, in completion order:

    {"line": 7, "stage": "invalid", "reason": "caller: must not be empty", "input": "..."}

  stage: invalid (never sent), refused (the server answered an error for it), unknown
  (it may have been applied: check `sonoran-async calls`), failed (not delivered).
  The file is written only when something was rejected (an old one is replaced).

exit status:
  0 every line created, 1 some line rejected or failed, 2 bad usage or unreadable input.
"""


_YIELD_EVERY: Final = 256  # lines parsed between two turns of the event loop


class LineError(Exception):
    """A line that cannot become a Call911; the message is the reason."""


def parse_line(raw: bytes) -> Call911:
    """One JSONL line -> Call911, or LineError naming the problem (wire key names)."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise LineError(f"invalid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise LineError(f"expected a JSON object, got {_json_kind(document)}")
    kwargs: dict[str, Any] = {}
    for key, value in document.items():
        field = WIRE_KEYS.get(key)
        if field is None:
            hint = _SNAKE_HINTS.get(key)
            known = ", ".join(WIRE_KEYS)
            raise LineError(
                f"unknown key {key!r}"
                + (f" (keys are camelCase: use {hint!r})" if hint else f" (known: {known})")
            )
        if value is not None:
            kwargs[field] = value
    missing = [_FIELD_TO_WIRE[name] for name in _REQUIRED if name not in kwargs]
    if missing:
        raise LineError(
            f"missing required key{'s' if len(missing) > 1 else ''}: " + ", ".join(missing)
        )
    try:
        return Call911(**kwargs)
    except ValidationError as exc:
        raise LineError(f"{_FIELD_TO_WIRE.get(exc.field, exc.field)}: {_detail(exc)}") from None


def _detail(exc: ValidationError) -> str:
    text = str(exc)
    prefix = f"{exc.field}: "
    return text[len(prefix) :] if text.startswith(prefix) else text


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null"


def classify(error: BaseException) -> str:
    """The rejects file's `stage` for an error raised by submit() or by a result."""
    if isinstance(error, ValidationError):
        return "invalid"
    if isinstance(error, ApiError):
        return "refused"
    if isinstance(error, OutcomeUnknownError):
        return "unknown"
    return "failed"


def reason_of(error: BaseException) -> str:
    if isinstance(error, ApiError):
        return error.text
    if isinstance(error, SonoranError):
        return f"{type(error).__name__}: {error}"
    if isinstance(error, asyncio.CancelledError):
        return "cancelled"
    return f"unexpected {type(error).__name__}: {error}"


def count_lines(path: Path) -> int:
    """Lines in a file (a last line without a newline counts), fast."""
    count = 0
    last = b"\n"
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


@attrs.define
class IngestResult:
    lines: int = 0  # non-blank lines read
    created: int = 0
    invalid: int = 0
    refused: int = 0
    unknown: int = 0
    failed: int = 0
    elapsed: float = 0.0
    rejects_path: Path | None = None  # set when a rejects file was written

    @property
    def rejected(self) -> int:
        return self.invalid + self.refused + self.unknown + self.failed

    @property
    def settled(self) -> int:
        return self.created + self.rejected


class RejectsWriter:
    """Opens the rejects file on the first reject, so that a clean run leaves none."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None
        path.unlink(missing_ok=True)

    def write(self, line: int, stage: str, reason: str, raw: bytes) -> None:
        if self._file is None:
            self._file = self.path.open("wb")
        record = {
            "line": line,
            "stage": stage,
            "reason": reason,
            "input": raw.decode("utf-8", "replace").rstrip("\r\n"),
        }
        self._file.write(orjson.dumps(record) + b"\n")

    @property
    def written(self) -> bool:
        return self._file is not None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class Ingestor:
    """Reads a JSONL file into `client.submit()` and keeps the score."""

    def __init__(self, client: SonoranClient, rejects: RejectsWriter) -> None:
        self.client = client
        self.rejects = rejects
        self.result = IngestResult()
        self._outstanding = 0
        self._reading = True
        self._all_settled = asyncio.Event()

    def _reject(self, line: int, raw: bytes, stage: str, reason: str) -> None:
        result = self.result
        setattr(result, stage, getattr(result, stage) + 1)
        self.rejects.write(line, stage, reason, raw)

    def _settled(self, line: int, raw: bytes, future: asyncio.Future[int]) -> None:
        if future.cancelled():
            self._reject(line, raw, "failed", "cancelled")
        elif (error := future.exception()) is not None:
            self._reject(line, raw, classify(error), reason_of(error))
        else:
            self.result.created += 1
        self._outstanding -= 1
        if not self._outstanding and not self._reading:
            self._all_settled.set()

    async def run(self, path: Path) -> IngestResult:
        started = time.perf_counter()
        submit = self.client.submit
        settled = self._settled
        with path.open("rb") as f:
            for number, raw in enumerate(f, 1):
                if not raw.strip():
                    continue
                self.result.lines += 1
                try:
                    call = parse_line(raw)
                except LineError as exc:
                    self._reject(number, raw, "invalid", str(exc))
                    continue
                try:
                    future = await submit(call)
                except SonoranError as exc:  # too big, unencodable, client stopped...
                    self._reject(number, raw, classify(exc), reason_of(exc))
                    continue
                self._outstanding += 1
                future.add_done_callback(functools.partial(settled, number, raw))
                if number % _YIELD_EVERY == 0:
                    # submit() only suspends when the queue is full: let requests leave
                    # (and the progress bar move) while the rest of the file is parsed.
                    await asyncio.sleep(0)
        self._reading = False
        if self._outstanding:
            await self._all_settled.wait()
        self.result.elapsed = time.perf_counter() - started
        return self.result


async def _refresh(progress: Progress, task: Any, result: IngestResult) -> None:
    while True:
        progress.update(task, completed=result.settled)
        await asyncio.sleep(0.1)


def make_progress(console: Console, *, disable: bool = False) -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed or 0:>8,.0f}/s", style="progress.data.speed")

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=disable,
    )


def summary_table(result: IngestResult, client: SonoranClient, target: str, path: Path) -> Any:
    from rich.table import Table

    stats = client.stats
    table = Table(title=f"ingest {path.name} -> {target}", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    rate = result.created / result.elapsed if result.elapsed > 0 else 0.0

    def row(name: str, value: str, style: str = "") -> None:
        table.add_row(name, f"[{style}]{value}[/]" if style else value)

    row("lines read", f"{result.lines:,}")
    row("created", f"{result.created:,}", "green")
    for name, value in (
        ("invalid (never sent)", result.invalid),
        ("refused by the server", result.refused),
        ("outcome unknown", result.unknown),
        ("failed (not delivered)", result.failed),
    ):
        row(name, f"{value:,}", "red" if value else "")
    row("requests", f"{stats.requests:,}")
    row("mean batch size", f"{stats.mean_batch_size:.1f}")
    row("429s waited out", f"{stats.rate_limited:,}")
    row("elapsed", f"{result.elapsed:.2f} s")
    row("created per second", f"{rate:,.0f}")
    if result.rejects_path is not None:
        row("rejects", str(result.rejects_path), "yellow")
    return table


def default_rejects_path(path: Path) -> Path:
    """calls.jsonl -> calls.rejects.jsonl (next to the input)."""
    stem = path.name
    for suffix in (".jsonl", ".ndjson"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return path.with_name(stem + ".rejects.jsonl")


async def ingest(
    args: argparse.Namespace,
    console: Console,
    *,
    on_client: Callable[[SonoranClient], None] | None = None,
) -> tuple[int, IngestResult]:
    path = Path(args.file)
    rejects_path = Path(args.rejects) if args.rejects else default_rejects_path(path)
    try:
        total = count_lines(path)
    except OSError as exc:
        console.print(f"[red]error:[/] cannot read {path}: {exc.strerror or exc}")
        return EXIT_USAGE, IngestResult()
    batch = BatchPolicy(
        max_items=args.max_items, max_delay=args.max_delay, max_in_flight=args.max_in_flight
    )
    rejects = RejectsWriter(rejects_path)
    try:
        async with connect(args, batch=batch, rate_limit=rate_limit_from(args)) as (
            client,
            emulator,
        ):
            if on_client is not None:
                on_client(client)
            target = target_label(args, emulator)
            ingestor = Ingestor(client, rejects)
            with make_progress(console, disable=args.no_progress) as progress:
                task = progress.add_task(f"{path.name}", total=total)
                refresher = asyncio.create_task(_refresh(progress, task, ingestor.result))
                try:
                    result = await ingestor.run(path)
                finally:
                    refresher.cancel()
                progress.update(task, completed=result.settled, total=result.settled)
            result.rejects_path = rejects_path if rejects.written else None
            console.print(summary_table(result, client, target, path))
    finally:
        rejects.close()
    return (EXIT_FAILED if result.rejected else EXIT_OK), result


async def run_ingest(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console()
    code, result = await ingest(args, console)
    if code == EXIT_FAILED:
        print(
            f"{result.rejected:,} of {result.lines:,} lines were not created; "
            f"see {result.rejects_path}",
            file=sys.stderr,
        )
    return code

"""`sonoran-async ingest FILE.jsonl`: 911 calls from a file through the batcher, with a
journal that makes an interrupted run resumable and every line created exactly once.

A run: open the journal, look up the lines an earlier run left in doubt, then read the
input in chunks; each chunk's lines are marked `sent` in the journal (one commit) before
they go to `SonoranClient.submit()`, and outcomes are committed as they settle. The
first SIGINT or SIGTERM stops reading and sending; the requests on the wire are waited
for (bounded), what was queued stays `pending`. A second one stops at once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from .._policies import BatchPolicy
from ._common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    connect,
    credentials,
    non_negative_float,
    positive_int,
    rate_limit_from,
    target_label,
)
from ._feed import Feeder
from ._journal import JOURNAL_HELP, Journal, JournalError, JournalMismatch, Source
from ._lines import SCHEMA_HELP, input_facts
from ._lock import JournalBusy
from ._observe import library_logs, metrics_served, stderr_console
from ._progress import IngestProgress
from ._recorder import Recorder, RejectsWriter, is_fatal, reason_of
from ._report import (
    Tally,
    json_line,
    report_rate_limits,
    summary,
    summary_table,
)
from ._resume import add_recheck_option, look_up, recheck_policy
from ._settings import Settings

if TYPE_CHECKING:
    from rich.console import Console

    from .._client import SonoranClient

NEEDS = ("rich", "aiosqlite")  # modules of the [cli] extra this command imports

#: Seconds the first Ctrl-C / SIGTERM waits for the replies of requests on the wire.
STOP_TIMEOUT: Final = 10.0


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    ingest = commands.add_parser(
        "ingest",
        parents=parents,
        help="send the 911 calls of a JSONL file (one Call911 object per line)",
        description="Send the 911 calls of a JSONL file, batched, under a request budget; "
        "an interrupted run resumes where it stopped.",
        epilog=SCHEMA_HELP + "\n" + JOURNAL_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ingest.add_argument(
        "file", metavar="FILE.jsonl", help="one CALL_911 object per line; - for stdin"
    )
    batching = ingest.add_argument_group("batching")
    batching.add_argument(
        "--max-items",
        type=positive_int,
        default=100,
        metavar="N",
        help="objects per request at most (default: 100; 1 turns batching off)",
    )
    batching.add_argument(
        "--max-delay",
        type=non_negative_float,
        default=0.0,
        metavar="SECONDS",
        help="how long a partial batch may wait for more objects (default: 0, none)",
    )
    batching.add_argument(
        "--max-in-flight",
        type=positive_int,
        default=4,
        metavar="N",
        help="concurrent requests (default: 4)",
    )
    journal = ingest.add_argument_group("journal and resume")
    journal.add_argument(
        "--journal",
        metavar="PATH",
        help="the SQLite journal (default with --url: FILE.journal next to the input; for "
        "stdin, or without --url, none unless given)",
    )
    journal.add_argument("--no-journal", action="store_true", help="keep no journal")
    journal.add_argument(
        "--retry-rejected",
        action="store_true",
        help="send again the lines the journal has as refused or invalid",
    )
    journal.add_argument(
        "--force",
        action="store_true",
        help="use the journal even if the input or the server changed since it was made",
    )
    add_recheck_option(journal)
    output = ingest.add_argument_group("output")
    output.add_argument(
        "--rejects",
        metavar="FILE",
        help="where rejected lines are written, one JSON object per line "
        "(default: FILE.rejects.jsonl next to the input)",
    )
    output.add_argument(
        "--json", action="store_true", help="print the summary as one line of JSON on stdout"
    )
    output.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    console = stderr_console(args)  # text, or JSON lines (--log-format)
    with library_logs(args, console):
        return asyncio.run(Ingest(args, console).main())


class Ingest:
    """One run of the command: journal, look-ups, reading, signals, summary."""

    def __init__(
        self, args: argparse.Namespace, console: Console, *, summary_to: Console | None = None
    ) -> None:
        self.args = args
        self.console = console  # progress, warnings (stderr)
        self._summary_to = summary_to  # the summary table (default: stdout)
        self.tally = Tally()
        self.interrupted: signal.Signals | None = None
        self._stopping = asyncio.Event()
        self._work: asyncio.Task[int] | None = None
        self._client: SonoranClient | None = None
        self._closing: asyncio.Task[None] | None = None
        self.stopped_by: str | None = None  # why the run stopped early (fatal, journal)

    # --- signals -------------------------------------------------------------------------

    async def main(self) -> int:
        loop = asyncio.get_running_loop()
        self._work = asyncio.create_task(self.work())
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal, sig)
        try:
            return await self._work
        except asyncio.CancelledError:
            if (task := asyncio.current_task()) is not None and task.cancelling():
                raise
            return 128 + (self.interrupted or signal.SIGINT)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        if self.interrupted is None:
            self.interrupted = sig
            self.console.print(
                f"[yellow]{sig.name}: stopping; waiting up to {STOP_TIMEOUT:g} s for the "
                "replies in flight (again to stop at once)[/]"
            )
            self._stopping.set()
            self._close_client(flush=False)
        elif self._work is not None and not self._work.done():
            self.console.print(f"[red]{sig.name}: stopping now[/]")
            self._work.cancel()

    def _close_client(self, *, flush: bool) -> None:
        if self._closing is None and self._client is not None:
            self._closing = asyncio.create_task(self._client.aclose(flush=flush))

    async def _closed(self) -> None:
        """Wait for the client to close. After a hard stop (this task is being cancelled)
        cut it off at once: what was on the wire stays in doubt, looked up next time."""
        self._close_client(flush=False)
        assert self._closing is not None
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            self._closing.cancel()
            await asyncio.gather(self._closing, return_exceptions=True)
            return
        try:
            await asyncio.shield(self._closing)
        except asyncio.CancelledError:
            self._closing.cancel()
            await asyncio.gather(self._closing, return_exceptions=True)
            raise

    # --- the run -------------------------------------------------------------------------

    async def work(self) -> int:
        args = self.args
        settings = Settings.of(args)
        rejects = RejectsWriter(settings.rejects)
        rejects.check_writable()
        total: int | None = None
        source = Source(None)
        if settings.source is not None:
            try:
                facts = await asyncio.to_thread(input_facts, settings.source)
            except OSError as exc:
                self._error(f"cannot read {settings.source}: {exc.strerror or exc}")
                return EXIT_USAGE
            total = facts.lines
            source = Source(
                settings.source,
                facts.sha256,
                facts.size,
                facts.lines,
                facts.lines_sha256,
                facts.lines_size,
            )
        batch = BatchPolicy(
            max_items=args.max_items, max_delay=args.max_delay, max_in_flight=args.max_in_flight
        )
        async with (
            connect(
                args,
                batch=batch,
                rate_limit=rate_limit_from(args),
                close_timeout=STOP_TIMEOUT,
                reconcile=recheck_policy(args),
            ) as (client, emulator),
            metrics_served(args, client),  # --metrics-port
        ):
            self._client = client
            journal = None
            if settings.journal is not None:
                opened = await self._open_journal(settings.journal, source)
                if isinstance(opened, int):
                    return opened
                journal = opened
            counts = None
            recorder = Recorder(self.tally, rejects, journal, self._stop)
            recorder.start()
            started = time.perf_counter()
            try:
                progress = IngestProgress(
                    self.console,
                    self.tally,
                    name=settings.source.name if settings.source else "stdin",
                    total=total,
                    max_items=args.max_items,
                    rate=args.rate_limit or None,
                    enabled=not (args.no_progress or args.json),
                )
                async with progress, self._reporting(client):
                    try:
                        await self._send(client, journal, recorder, rejects, source)
                    except JournalError as exc:
                        self._stop(exc)
                    finally:
                        await self._closed()
                        await recorder.finish()
                if journal is not None:
                    counts = {s.value: n for s, n in (await journal.counts()).items()}
            except JournalError as exc:
                self._stop(exc)
            finally:
                if journal is not None:
                    try:
                        await journal.close()
                    except JournalError as exc:
                        self._stop(exc)
            self.tally.elapsed = time.perf_counter() - started
            code = self._exit_code()
            if self.stopped_by is not None:
                self._error(self.stopped_by)
            if rejects.error is not None:
                self._error(rejects.error)
                code = code or EXIT_FAILED
            data = summary(
                self.tally,
                client,
                journal=counts,
                journal_path=settings.journal,
                rejects_path=settings.rejects if rejects.written else None,
                interrupted=self.interrupted.name if self.interrupted else None,
                stopped_by=self.stopped_by,
                exit_code=code,
            )
            if args.json:
                print(json_line(data), flush=True)
            else:
                from rich.console import Console

                title = f"ingest -> {target_label(args, emulator)}"
                (self._summary_to or Console()).print(summary_table(data, title))
        return code

    async def _send(
        self,
        client: SonoranClient,
        journal: Journal | None,
        recorder: Recorder,
        rejects: RejectsWriter,
        source: Source,
    ) -> None:
        """Look up the lines in doubt, then feed the input to the client and flush."""
        args = self.args
        rows = {}
        if journal is not None:
            if journal.appended:
                self.console.print(
                    f"the input grew by {journal.appended:,} bytes since the last run: resuming "
                    "it, then sending the new lines",
                    markup=False,
                )
            rows = await journal.rows()
            policy = recheck_policy(args)
            found = await look_up(client, rows, self.tally, self.console, self._stopping, policy)
            await journal.record(found)
            rows.update({o.line: rows[o.line]._replace(state=o.state) for o in found})
        if not rows:
            rejects.discard_old()
        feeder = Feeder(
            client.submit,
            recorder,
            self.tally,
            self._stopping,
            force=args.force,
            retry_rejected=args.retry_rejected,
            default_server=args.server_id,
        )
        await feeder.feed(source.path, rows, None if source.path is None else source.size)
        await client.flush()  # a signal now still stops what is queued

    def _stop(self, cause: BaseException) -> None:
        """Stop early, once, for `cause`: a fatal reply, or a journal that failed. Nothing
        more is sent; what is queued stays pending."""
        if self.stopped_by is not None:
            return
        if is_fatal(cause):
            self.stopped_by = (
                f"the server answered {reason_of(cause)!r} (a problem of the key, the community "
                "or the API, not of the lines): stopped; the lines not created stay pending, "
                "and the next run sends them"
            )
        else:
            self.stopped_by = f"{cause}; stopped (lines in doubt are looked up next run)"
        self._stopping.set()
        self._close_client(flush=False)

    def _error(self, message: str) -> None:
        """One line on stderr, never wrapped (a log collector keeps it whole)."""
        from rich.markup import escape

        self.console.print(f"[red]error:[/] {escape(message)}", soft_wrap=True)

    def _exit_code(self) -> int:
        if self.interrupted is not None:
            return 128 + self.interrupted
        if self.tally.not_created or self.tally.kept or self.stopped_by is not None:
            return EXIT_FAILED
        return EXIT_OK

    async def _open_journal(self, path: Path, source: Source) -> Journal | int:
        """The journal, or the exit code after a one-line error: 2 if another run holds
        it or it was made for another input or server, 1 if it cannot be used."""
        community_id, _ = credentials(self.args)
        target = f"{self.args.url or 'built-in emulator'} community {community_id}"
        try:
            return await Journal.open(path, source=source, target=target, force=self.args.force)
        except (JournalBusy, JournalMismatch) as exc:
            self._error(f"journal {path}: {exc}")
            return EXIT_USAGE
        except JournalError as exc:
            self._error(str(exc))
        except OSError as exc:  # the lock file: an unwritable directory...
            self._error(f"journal {path}: {exc.strerror or exc}")
        return EXIT_FAILED

    @contextlib.asynccontextmanager
    async def _reporting(self, client: SonoranClient) -> AsyncIterator[None]:
        """The 429s waited out, in one line every few seconds while the block runs."""
        side = asyncio.create_task(report_rate_limits(client, self.console))
        try:
            yield
        finally:
            side.cancel()
            await asyncio.gather(side, return_exceptions=True)

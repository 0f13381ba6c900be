"""The `sonoran-async` command line: demo, ingest, calls, emulate."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:
    from rich.console import Console

    from . import BatchPolicy, CallsSnapshot, DispatchCall, RateLimit, SonoranClient
    from .emulator import Emulator

ENV_COMMUNITY_ID = "SONORAN_COMMUNITY_ID"
ENV_API_KEY = "SONORAN_API_KEY"
EMULATOR_COMMUNITY_ID = "demo"
EMULATOR_API_KEY = "demo-key"

#: Exit codes: 0 success, 1 some work failed, 2 bad usage or unusable input.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A problem with the command line (exit code 2)."""


# --- shared options ------------------------------------------------------------------------


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return n


def _non_negative_float(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not x >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return x


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "connection",
        "Without --url the command runs against a built-in emulator on loopback "
        f"(community {EMULATOR_COMMUNITY_ID!r}, key {EMULATOR_API_KEY!r}), so you can try it "
        "offline.",
    )
    group.add_argument(
        "--url",
        metavar="URL",
        help="API base URL, e.g. https://api.sonorancad.com (default: a built-in emulator)",
    )
    group.add_argument(
        "--community-id",
        metavar="ID",
        help=f"community id (default: ${ENV_COMMUNITY_ID})",
    )
    group.add_argument(
        "--api-key",
        metavar="KEY",
        help=f"API key (default: ${ENV_API_KEY}; prefer the variable: it stays out of "
        "your shell history). It is never printed.",
    )
    group.add_argument(
        "--server-id",
        type=int,
        default=1,
        metavar="N",
        help="server id used for every object that does not name one (default: 1)",
    )


def add_rate_arguments(parser: argparse.ArgumentParser, *, default_rate: float) -> None:
    group = parser.add_argument_group("request rate")
    group.add_argument(
        "--rate-limit",
        type=_non_negative_float,
        default=default_rate,
        metavar="REQS_PER_SECOND",
        help=f"client-side request budget, shared by all request types (default: "
        f"{default_rate:g}, Sonoran's guidance; 0 turns the limiter off)",
    )
    group.add_argument(
        "--burst",
        type=_positive_int,
        default=5,
        metavar="N",
        help="requests that may go out at once before the rate applies (default: 5)",
    )


def rate_limit_from(args: argparse.Namespace) -> RateLimit | None:
    from . import RateLimit

    if args.rate_limit == 0:
        return None
    return RateLimit(per_second=args.rate_limit, burst=args.burst)


def credentials(args: argparse.Namespace) -> tuple[str, str]:
    """Community id and key from the options, then the environment, then the emulator's."""
    community_id = args.community_id or os.environ.get(ENV_COMMUNITY_ID)
    api_key = args.api_key or os.environ.get(ENV_API_KEY)
    if args.url is None:
        return community_id or EMULATOR_COMMUNITY_ID, api_key or EMULATOR_API_KEY
    missing = [
        f"--community-id (or ${ENV_COMMUNITY_ID})" if not community_id else "",
        f"--api-key (or ${ENV_API_KEY})" if not api_key else "",
    ]
    if any(missing):
        raise UsageError(f"--url needs {' and '.join(m for m in missing if m)}")
    assert community_id is not None and api_key is not None
    return community_id, api_key


@contextlib.asynccontextmanager
async def connect(
    args: argparse.Namespace,
    *,
    batch: BatchPolicy | None = None,
    rate_limit: RateLimit | None = None,
) -> AsyncIterator[tuple[SonoranClient, Emulator | None]]:
    """A client for `--url`, or for a built-in emulator started here (yielded too)."""
    from . import SonoranClient
    from .emulator import Emulator

    community_id, api_key = credentials(args)
    if args.server_id < 0:
        raise UsageError("--server-id must be >= 0")
    emulator: Emulator | None = None
    url = args.url
    async with contextlib.AsyncExitStack() as stack:
        if url is None:
            server_ids = sorted({1, args.server_id})
            emulator = await stack.enter_async_context(
                Emulator(community_id, api_key, server_ids=server_ids)
            )
            url = emulator.url
        try:
            client = SonoranClient(
                community_id,
                api_key,
                base_url=url,
                server_id=args.server_id,
                batch=batch,
                rate_limit=rate_limit,
            )
        except ValueError as exc:  # a bad URL; the message never holds the key
            raise UsageError(str(exc)) from None
        await stack.enter_async_context(client)
        yield client, emulator


def target_label(args: argparse.Namespace, emulator: Emulator | None) -> str:
    if emulator is not None:
        return f"built-in emulator at {emulator.url}"
    return str(args.url)


# --- calls ---------------------------------------------------------------------------------

_CALL_TYPES = {"all": 100, "dispatch": 0, "emergency": 1}


async def seed_emulator(client: SonoranClient) -> None:
    """A few calls of each kind, so that `calls` has something to show offline."""
    from . import Call911, CallNote, CallStatus, NewDispatch, Origin

    await asyncio.gather(
        client.call_911(
            Call911(
                caller="Jane Roe",
                location="Route 68 near Harmony",
                description="Car on fire, driver out",
                meta_data={"postal": "2045"},
            )
        ),
        client.call_911(
            Call911(
                caller="John Doe",
                location="1234 E. Test St.",
                description="Break-in in progress",
            )
        ),
        client.call_911(
            Call911(
                caller="Anonymous",
                location="Vespucci Beach pier",
                description="Loud party",
                is_emergency=False,
            )
        ),
    )
    ids = await asyncio.gather(
        client.new_dispatch(
            NewDispatch(
                title="Traffic Stop",
                priority=2,
                origin=Origin.OBSERVED,
                status=CallStatus.ACTIVE,
                address="Alta St / Vinewood Blvd",
                postal="7001",
                code="10-38",
                description="Red sedan, two occupants",
                notes=(CallNote(time="12:00:00", label="1A-10", content="Plate 8ABC123"),),
            )
        ),
        client.new_dispatch(
            NewDispatch(
                title="Structure Fire",
                priority=1,
                address="Paleto Bay sawmill",
                postal="1003",
                code="10-70",
            )
        ),
        client.new_dispatch(NewDispatch(title="Welfare Check", priority=3, postal="8012")),
    )
    await client.close_call(ids[2])


def render_calls(snapshot: CallsSnapshot, console: Console, call_type: int) -> None:
    from rich.table import Table

    def dispatch_table(title: str, calls: Sequence[DispatchCall]) -> Table:
        table = Table(title=title, title_justify="left", expand=False)
        for name in ("ID", "Pri", "Status", "Origin", "Code", "Title", "Address", "Postal"):
            table.add_column(name, justify="right" if name in ("ID", "Pri") else "left")
        table.add_column("Notes", justify="right")
        for call in calls:
            table.add_row(
                str(call.call_id),
                str(call.priority),
                call.status.name if call.status is not None else "?",
                call.origin.name if call.origin is not None else "?",
                call.code,
                call.title,
                call.address or call.block,
                call.postal,
                str(len(call.notes or ())),
            )
        return table

    if call_type != 1:
        console.print(
            dispatch_table(
                f"Active dispatch calls ({len(snapshot.active_calls)})", snapshot.active_calls
            )
        )
    if call_type != 0:
        table = Table(title=f"911 calls ({len(snapshot.emergency_calls)})", title_justify="left")
        for name in ("ID", "Kind", "Caller", "Location", "Description"):
            table.add_column(name, justify="right" if name == "ID" else "left")
        for call in snapshot.emergency_calls:
            table.add_row(
                str(call.call_id),
                "EMERGENCY" if call.is_emergency else "civil",
                call.caller,
                call.location,
                call.description,
            )
        console.print(table)
    if call_type != 1:
        console.print(
            dispatch_table(f"Closed calls ({len(snapshot.closed_calls)})", snapshot.closed_calls)
        )


async def run_calls(args: argparse.Namespace) -> int:
    from rich.console import Console

    from . import CallType, SonoranError, ValidationError

    console = Console()
    call_type = _CALL_TYPES[args.type]
    try:
        async with connect(
            args, rate_limit=None if args.url is None else rate_limit_from(args)
        ) as (
            client,
            emulator,
        ):
            if emulator is not None:
                await seed_emulator(client)
            snapshot = await client.get_calls(
                closed_limit=args.closed_limit,
                closed_offset=args.closed_offset,
                call_type=CallType(call_type),
            )
            console.print(f"[dim]GET_CALLS from {target_label(args, emulator)}[/]")
            render_calls(snapshot, console, call_type)
    except ValidationError as exc:
        raise UsageError(str(exc)) from None
    except SonoranError as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


# --- the parser ----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from ._ingest import SCHEMA_HELP

    parser = argparse.ArgumentParser(
        prog="sonoran-async",
        description="Batching asyncio client for the Sonoran CAD v1 emergency API.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="one object per request vs batched, against a rate-limited emulator",
        description="Ingest synthetic 911 calls into a rate-limited in-process emulator "
        "twice, one object per request and then batched, and compare.",
    )
    demo.add_argument(
        "--calls", type=_positive_int, default=2000, metavar="N", help="calls per run (2000)"
    )
    demo.add_argument(
        "--rate-limit",
        type=float,
        default=100.0,
        metavar="REQS_PER_SECOND",
        help="the emulator's request limit, matched by the client's limiter (100)",
    )
    demo.add_argument(
        "--max-items", type=_positive_int, default=100, metavar="N", help="batch size (100)"
    )
    demo.add_argument("--no-progress", action="store_true", help="no progress bars")

    ingest = commands.add_parser(
        "ingest",
        help="send the 911 calls of a JSONL file (one Call911 object per line)",
        description="Send the 911 calls of a JSONL file, batched, under a request budget.",
        epilog=SCHEMA_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ingest.add_argument("file", metavar="FILE.jsonl", help="one CALL_911 object per line")
    add_connection_arguments(ingest)
    batching = ingest.add_argument_group("batching")
    batching.add_argument(
        "--max-items",
        type=_positive_int,
        default=100,
        metavar="N",
        help="objects per request at most (default: 100; 1 turns batching off)",
    )
    batching.add_argument(
        "--max-delay",
        type=_non_negative_float,
        default=0.0,
        metavar="SECONDS",
        help="how long a partial batch may wait for more objects (default: 0, none)",
    )
    batching.add_argument(
        "--max-in-flight",
        type=_positive_int,
        default=4,
        metavar="N",
        help="concurrent requests (default: 4)",
    )
    add_rate_arguments(ingest, default_rate=1.0)
    ingest.add_argument(
        "--rejects",
        metavar="FILE",
        help="where rejected lines are written, one JSON object per line "
        "(default: FILE.rejects.jsonl next to the input)",
    )
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar")

    calls = commands.add_parser(
        "calls",
        help="print the current calls (GET_CALLS) as tables",
        description="Print active dispatch calls, 911 calls and a page of closed calls. "
        "Without --url a built-in emulator, seeded with a few calls, answers.",
    )
    add_connection_arguments(calls)
    calls.add_argument(
        "--type",
        choices=tuple(_CALL_TYPES),
        default="all",
        help="which calls: all (default), dispatch or emergency",
    )
    calls.add_argument(
        "--closed-limit",
        type=int,
        default=10,
        metavar="N",
        help="closed calls to show, 1-100 (default: 10)",
    )
    calls.add_argument(
        "--closed-offset", type=int, default=0, metavar="N", help="skip the N newest closed"
    )
    add_rate_arguments(calls, default_rate=1.0)

    emulate = commands.add_parser(
        "emulate",
        help="run the Sonoran CAD emulator",
        description="Run a local Sonoran CAD v1 emergency API emulator.",
    )
    from .emulator._cli import add_emulate_arguments

    add_emulate_arguments(emulate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "emulate":
            from .emulator._cli import run_emulate

            return run_emulate(args)
        if args.command == "demo":
            from ._demo import run_demo

            return asyncio.run(run_demo(args))
        if args.command == "ingest":
            from ._ingest import run_ingest

            return asyncio.run(run_ingest(args))
        if args.command == "calls":
            return asyncio.run(run_calls(args))
    except UsageError as exc:
        parser.error(str(exc))  # exits with 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    raise AssertionError(f"unknown command {args.command!r}")

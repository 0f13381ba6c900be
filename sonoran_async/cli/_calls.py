"""`sonoran-async calls`: the current calls (GET_CALLS) as tables."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._common import (
    EXIT_FAILED,
    EXIT_OK,
    connect,
    positive_int,
    rate_limit_from,
    target_label,
    usage_error,
)
from ._observe import library_logs, log_error, stderr_console

if TYPE_CHECKING:
    from rich.console import Console

    from .. import CallsSnapshot, DispatchCall, SonoranClient

NEEDS = ("rich",)  # modules of the [cli] extra this command imports

_CALL_TYPES = {"all": 100, "dispatch": 0, "emergency": 1}
#: Rows each table of active calls shows by default (`--limit`).
DEFAULT_LIMIT = 50


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    calls = commands.add_parser(
        "calls",
        parents=parents,
        help="print the current calls (GET_CALLS) as tables",
        description="Print active dispatch calls, 911 calls and a page of closed calls. "
        "Without --url a built-in emulator, seeded with a few calls, answers.",
    )
    calls.add_argument(
        "--type",
        choices=tuple(_CALL_TYPES),
        default="all",
        help="which calls: all (default), dispatch or emergency",
    )
    calls.add_argument(
        "--limit",
        type=positive_int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"rows per table of active calls, newest first (default: {DEFAULT_LIMIT}); a "
        "last line says how many more there are",
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


def run(args: argparse.Namespace) -> int:
    # Retry warnings as `ingest` shows them, or JSON lines (--log-format json).
    with library_logs(args, stderr_console(args)):
        return asyncio.run(run_calls(args))


async def seed_emulator(client: SonoranClient) -> None:
    """A few calls of each kind, so that `calls` has something to show offline."""
    from .. import Call911, CallNote, CallStatus, NewDispatch, Origin

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


def render_calls(
    snapshot: CallsSnapshot, console: Console, call_type: int, limit: int = DEFAULT_LIMIT
) -> None:
    """The snapshot's tables; each table of active calls shows its newest `limit` rows
    and a line for the rest (closed calls are paged by the request itself)."""
    from rich.table import Table

    def more(shown: int, total: int) -> None:
        if total > shown:
            console.print(f"... {total - shown:,} more (--limit {total} shows them all)")

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

    active = sorted(snapshot.active_calls, key=lambda c: c.call_id, reverse=True)
    emergency = sorted(snapshot.emergency_calls, key=lambda c: c.call_id, reverse=True)
    if call_type != 1:
        console.print(dispatch_table(f"Active dispatch calls ({len(active)})", active[:limit]))
        more(min(limit, len(active)), len(active))
    if call_type != 0:
        table = Table(title=f"911 calls ({len(emergency)})", title_justify="left")
        for name in ("ID", "Kind", "Caller", "Location", "Description"):
            table.add_column(name, justify="right" if name == "ID" else "left")
        for call in emergency[:limit]:
            table.add_row(
                str(call.call_id),
                "EMERGENCY" if call.is_emergency else "civil",
                call.caller,
                call.location,
                call.description,
            )
        console.print(table)
        more(min(limit, len(emergency)), len(emergency))
    if call_type != 1:
        console.print(
            dispatch_table(f"Closed calls ({len(snapshot.closed_calls)})", snapshot.closed_calls)
        )


async def run_calls(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .. import CallType, SonoranError, ValidationError

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
            render_calls(snapshot, console, call_type, args.limit)
    except ValidationError as exc:
        raise usage_error(exc) from None
    except SonoranError as exc:
        log_error(args, f"{type(exc).__name__}: {exc}")
        return EXIT_FAILED
    return EXIT_OK

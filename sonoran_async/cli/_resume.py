"""Resume: what the journal says to do with each line, and the look-up, on the server,
of the lines an earlier run left in doubt (sent, but no proven outcome)."""

from __future__ import annotations

import argparse
import asyncio
import enum
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from .._enums import CallType
from .._errors import SonoranError
from .._policies import TOKEN_KEY, ReconcilePolicy
from .._reconcile import Found, look_up_tokens
from ._common import UsageError, non_negative_float
from ._journal import IN_DOUBT, REJECTED, RESEND, LineState, Outcome, Row
from ._report import Tally

if TYPE_CHECKING:
    from rich.console import Console

    from .._client import SonoranClient


class Next(enum.Enum):
    SEND = "send"
    SKIP = "skip"  # created by an earlier run
    KEEP = "keep"  # refused, invalid or still unknown: left as the journal has it


def next_step(number: int, row: Row, digest: str, *, force: bool, retry: bool) -> Next:
    if digest and row.digest and row.digest != digest and not force:
        raise UsageError(
            f"line {number} differs from the one in the journal (--force continues anyway)"
        )
    if row.state is LineState.CREATED:
        return Next.SKIP
    if row.state in RESEND or (retry and row.state in REJECTED):
        return Next.SEND
    return Next.KEEP


def add_recheck_option(group: argparse._ArgumentGroup) -> None:
    """Hidden, for tests against an emulator (whose snapshots are never stale): the seconds
    between the two GET_CALLS that prove a line in doubt absent."""
    group.add_argument(
        "--recheck-after",
        type=non_negative_float,
        default=ReconcilePolicy().recheck_after,
        help=argparse.SUPPRESS,
    )


def recheck_policy(args: argparse.Namespace) -> ReconcilePolicy:
    """The client's and the resume look-up's policy: the default, `--recheck-after` apart."""
    return ReconcilePolicy(recheck_after=args.recheck_after)


async def look_up(
    client: SonoranClient,
    rows: dict[int, Row],
    tally: Tally,
    console: Console,
    stopping: asyncio.Event,
    policy: ReconcilePolicy | None = None,
) -> list[Outcome]:
    """Per line in doubt: CREATED with its id if its token is on the server once, PENDING
    (sent again) if proven absent, else it stays UNKNOWN. One GET_CALLS per server."""
    in_doubt: dict[int | None, list[int]] = defaultdict(list)
    for line, row in rows.items():
        if row.state in IN_DOUBT:
            in_doubt[row.server_id].append(line)
    outcomes: list[Outcome] = []
    for server_id, lines in in_doubt.items():
        if stopping.is_set():
            break

        async def fetch(server_id: int | None = server_id) -> tuple[Any, ...]:
            snapshot = await client.get_calls(
                server_id=server_id, call_type=CallType.EMERGENCY, closed_limit=1
            )
            return snapshot.emergency_calls

        try:  # absence is proven, never assumed: the client's shared rule
            tokens = [rows[n].token for n in lines]
            matches = await look_up_tokens(fetch, TOKEN_KEY, tokens, policy=policy)
        except SonoranError as exc:
            console.print(
                f"[yellow]could not look up {len(lines):,} lines in doubt on server "
                f"{server_id} ({exc}); they are not sent again[/]"
            )
            continue
        for line, match in zip(lines, matches, strict=True):
            if isinstance(match, int):
                outcomes.append(Outcome(line, LineState.CREATED, match))
                tally.found += 1
            elif match is Found.ABSENT:
                outcomes.append(Outcome(line, LineState.PENDING))
                tally.absent += 1
            else:
                reason = "not proven on the server nor proven absent"
                outcomes.append(Outcome(line, LineState.UNKNOWN, reason=reason))
    return outcomes

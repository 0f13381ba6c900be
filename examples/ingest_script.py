"""Ingest 911 calls with `SonoranClient.submit`, reporting every line's outcome.

    python examples/ingest_script.py                 # sample calls, against a built-in emulator
    python examples/ingest_script.py calls.jsonl     # your file, against a built-in emulator
    SONORAN_COMMUNITY_ID=... SONORAN_API_KEY=... \\
        python examples/ingest_script.py calls.jsonl --url https://api.sonorancad.com

One JSON object per line: ``{"caller": "...", "location": "...", "description": "...",
"isEmergency": true, "serverId": 1}`` (``caller`` and ``location`` required).

Every line ends in exactly one of three outcomes:

- ``created``: the server proved it, with the new call's id;
- ``refused``: not created (bad input caught before sending, an error the server answered,
  or a failure before anything was applied): fix it and send it again;
- ``unknown``: the call may or may not exist (the request left and no proof came back):
  look it up before sending it again, never re-send it blindly.

Exit status: 0 when every line was created, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sonoran_async import (
    BatchPolicy,
    Call911,
    OutcomeUnknownError,
    RateLimit,
    SonoranClient,
    SonoranError,
)
from sonoran_async.emulator import Emulator

#: Used when no file is given: two good calls, one caught before sending, one the server refuses.
SAMPLE_LINES = [
    '{"caller": "Jane Roe", "location": "Route 68", "description": "Car fire"}',
    '{"caller": "John Doe", "location": "1234 E. Test St.", "isEmergency": false}',
    '{"caller": "", "location": "Alta St", "description": "blank caller"}',
    '{"caller": "Sam Poe", "location": "Paleto Bay", "serverId": 9}',
]

Status = Literal["created", "refused", "unknown"]


@dataclass(frozen=True)
class Outcome:
    line: int
    status: Status
    detail: str  # the call id when created, else why


def parse_line(text: str) -> Call911:
    """One line to a request; a `ValueError` (bad JSON or a `ValidationError`) if it can't be."""
    row: Any = json.loads(text)
    if not isinstance(row, dict):
        raise ValueError("not a JSON object")
    return Call911(
        caller=row.get("caller", ""),
        location=row.get("location", ""),
        description=row.get("description", ""),
        is_emergency=row.get("isEmergency", True),
        server_id=row.get("serverId"),
    )


async def ingest(cad: SonoranClient, lines: Iterable[str]) -> list[Outcome]:
    """Queue every line with `submit` (batched by the client), then read each one's outcome."""
    outcomes: list[Outcome] = []
    queued: list[tuple[int, asyncio.Future[int]]] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            queued.append((number, await cad.submit(parse_line(text))))
        except ValueError as exc:  # bad JSON or a ValidationError: nothing was sent
            outcomes.append(Outcome(number, "refused", f"invalid: {exc}"))
    for number, future in queued:
        try:
            call_id = await future
        except OutcomeUnknownError as exc:
            outcomes.append(Outcome(number, "unknown", str(exc)))
        except SonoranError as exc:
            outcomes.append(Outcome(number, "refused", f"{type(exc).__name__}: {exc}"))
        else:
            outcomes.append(Outcome(number, "created", f"call id {call_id}"))
    return sorted(outcomes, key=lambda outcome: outcome.line)


def report(outcomes: Sequence[Outcome]) -> str:
    counts = Counter(outcome.status for outcome in outcomes)
    lines = [f"line {o.line}: {o.status} ({o.detail})" for o in outcomes]
    summary = ", ".join(f"{counts[s]} {s}" for s in ("created", "refused", "unknown"))
    return "\n".join([*lines, summary])


async def run(lines: list[str], url: str | None) -> list[Outcome]:
    batch = BatchPolicy(max_items=100)
    if url is None:
        async with (
            Emulator() as emulator,
            SonoranClient("demo", "demo-key", base_url=emulator.url, batch=batch) as cad,
        ):
            return await ingest(cad, lines)
    community_id = os.environ["SONORAN_COMMUNITY_ID"]
    api_key = os.environ["SONORAN_API_KEY"]
    # Sonoran asks for about one request per second: with 100 objects per request,
    # that is still 100 calls per second.
    limit = RateLimit(per_second=1.0, burst=1)
    async with SonoranClient(
        community_id, api_key, base_url=url, batch=batch, rate_limit=limit
    ) as cad:
        return await ingest(cad, lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("file", nargs="?", type=Path, help="JSON lines (default: a sample)")
    parser.add_argument("--url", help="the API (needs SONORAN_COMMUNITY_ID, SONORAN_API_KEY)")
    args = parser.parse_args(argv)
    if args.url and not {"SONORAN_COMMUNITY_ID", "SONORAN_API_KEY"} <= os.environ.keys():
        parser.error("--url needs SONORAN_COMMUNITY_ID and SONORAN_API_KEY in the environment")
    lines = args.file.read_text().splitlines() if args.file else SAMPLE_LINES
    outcomes = asyncio.run(run(lines, args.url))
    print(report(outcomes))
    return 0 if all(outcome.status == "created" for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())

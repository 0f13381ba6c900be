"""Ingest 911 calls with `SonoranClient.submit`, reporting every line's outcome.

    python examples/ingest_script.py                 # sample calls, against a built-in emulator
    python examples/ingest_script.py calls.jsonl     # your file, against a built-in emulator
    SONORAN_COMMUNITY_ID=... SONORAN_API_KEY=... \\
        python examples/ingest_script.py calls.jsonl --url https://api.sonorancad.com

One JSON object per line, read exactly as ``sonoran-async ingest`` reads it (the same
code): the CALL_911 ``data`` object with its camelCase keys, ``caller`` and ``location``
required, ``metaData`` kept, an unknown key refused (``sonoran-async ingest --help``).

Every line ends in exactly one of three outcomes:

- ``created``: the server proved it, with the new call's id;
- ``refused``: not created (bad input caught before sending, an error the server answered,
  or a failure before anything was applied): fix it and send it again;
- ``unknown``: the call may or may not exist (the request left and no proof came back):
  look it up before sending it again, never re-send it blindly.

Exit status: 0 when every line was created, 1 otherwise, 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sonoran_async import (
    BatchPolicy,
    OutcomeUnknownError,
    RateLimit,
    SonoranClient,
    SonoranError,
)
from sonoran_async.cli import LineError, parse_line, read_lines
from sonoran_async.emulator import Emulator

#: Used when no file is given: two good calls, one caught before sending, one the server refuses.
SAMPLE_LINES = [
    '{"caller": "Jane Roe", "location": "Route 68", "description": "Car fire"}',
    '{"caller": "John Doe", "location": "1234 E. Test St.", "isEmergency": false}',
    '{"caller": "", "location": "Alta St", "description": "blank caller"}',
    '{"caller": "Sam Poe", "location": "Paleto Bay", "serverId": 9}',
]

Status = Literal["created", "refused", "unknown"]
Chunks = AsyncIterable[list[tuple[int, bytes]]]  # (line number, line), as `read_lines` gives


@dataclass(frozen=True)
class Outcome:
    line: int
    status: Status
    detail: str  # the call id when created, else why


async def sample_chunks(lines: Sequence[str]) -> AsyncIterator[list[tuple[int, bytes]]]:
    yield [(number, text.encode()) for number, text in enumerate(lines, start=1)]


async def ingest(cad: SonoranClient, chunks: Chunks) -> list[Outcome]:
    """Queue every line with `submit` (batched by the client), then read each one's outcome."""
    outcomes: list[Outcome] = []
    queued: list[tuple[int, asyncio.Future[int]]] = []
    async for lines in chunks:
        for number, raw in lines:
            if not raw.strip():
                continue
            try:  # the command line's own parser: unknown keys refused, metaData kept
                queued.append((number, await cad.submit(parse_line(raw))))
            except LineError as exc:  # not a valid CALL_911 object: nothing was sent
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


async def run(file: Path | None, url: str | None) -> list[Outcome]:
    batch = BatchPolicy(max_items=100)
    if url is None:
        async with (
            Emulator() as emulator,
            SonoranClient("demo", "demo-key", base_url=emulator.url, batch=batch) as cad,
        ):
            return await ingest(cad, chunks(file))
    community_id = os.environ["SONORAN_COMMUNITY_ID"]
    api_key = os.environ["SONORAN_API_KEY"]
    # Sonoran asks for about one request per second: with 100 objects per request,
    # that is still 100 calls per second.
    limit = RateLimit(per_second=1.0, burst=1)
    async with SonoranClient(
        community_id, api_key, base_url=url, batch=batch, rate_limit=limit
    ) as cad:
        return await ingest(cad, chunks(file))


def chunks(file: Path | None) -> Chunks:
    return sample_chunks(SAMPLE_LINES) if file is None else read_lines(file)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("file", nargs="?", type=Path, help="JSON lines (default: a sample)")
    parser.add_argument("--url", help="the API (needs SONORAN_COMMUNITY_ID, SONORAN_API_KEY)")
    args = parser.parse_args(argv)
    if args.url and not {"SONORAN_COMMUNITY_ID", "SONORAN_API_KEY"} <= os.environ.keys():
        parser.error("--url needs SONORAN_COMMUNITY_ID and SONORAN_API_KEY in the environment")
    if args.file is not None:
        try:
            args.file.open("rb").close()
        except OSError as exc:  # one line, not a traceback
            print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    outcomes = asyncio.run(run(args.file, args.url))
    print(report(outcomes))
    return 0 if all(outcome.status == "created" for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())

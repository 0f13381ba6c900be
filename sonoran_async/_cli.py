"""The `sonoran-async` command line."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from . import __version__


async def _demo() -> int:
    from . import Call911, SonoranClient
    from .emulator import Emulator

    async with Emulator() as emu, SonoranClient(
        "demo", "demo-key", base_url=emu.url, rate_limit=None
    ) as cad:
        calls = [Call911(caller=f"Caller {i}", location=f"{i} Main St") for i in range(1000)]
        ids = await asyncio.gather(*(cad.call_911(call) for call in calls))
        stats = cad.stats
        print(f"{len(ids)} calls in {stats.requests} requests")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sonoran-async", description=__doc__)
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="batched vs unbatched ingestion against the emulator")
    emulate = commands.add_parser("emulate", help="run the Sonoran CAD emulator")
    from .emulator._cli import add_emulate_arguments, run_emulate

    add_emulate_arguments(emulate)
    args = parser.parse_args(argv)
    if args.command == "emulate":
        return run_emulate(args)
    return asyncio.run(_demo())

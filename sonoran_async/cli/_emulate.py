"""`sonoran-async emulate`: the emulator's own command line, as a subcommand."""

from __future__ import annotations

import argparse
from typing import Any

from ..emulator._cli import add_emulate_arguments, run_emulate

NEEDS: tuple[str, ...] = ()  # the emulator runs on the core dependencies


def add_parser(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    emulate = commands.add_parser(
        "emulate",
        parents=parents,
        help="run the Sonoran CAD emulator",
        description="Run a local Sonoran CAD v1 emergency API emulator.",
    )
    add_emulate_arguments(emulate)


def run(args: argparse.Namespace) -> int:
    return run_emulate(args)

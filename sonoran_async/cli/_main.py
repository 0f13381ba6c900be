"""The `sonoran-async` parser and dispatch: one module per command, each with
`add_parser`, `run` and the `NEEDS` of the [cli] extra it imports."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence

from .. import __version__
from . import _calls, _demo, _emulate, _ingest
from ._common import EXIT_FAILED, UsageError, connection_options, rate_options
from ._observe import log_options, metrics_options

_COMMANDS = {"demo": _demo, "ingest": _ingest, "calls": _calls, "emulate": _emulate}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sonoran-async",
        description="Batching asyncio client for the Sonoran CAD v1 emergency API.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    client_options = [connection_options(), rate_options(), log_options()]
    _demo.add_parser(commands, [])
    _ingest.add_parser(commands, [*client_options, metrics_options()])
    _calls.add_parser(commands, client_options)
    _emulate.add_parser(commands, [])
    return parser


def command_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The sub-parser of `command`: a usage error is shown under that command's usage."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            sub: argparse.ArgumentParser = action.choices[command]
            return sub
    return parser


def missing_extra(command: str) -> str | None:
    """One line naming the extra to install, if a module the command needs is absent."""
    absent = [name for name in _COMMANDS[command].NEEDS if importlib.util.find_spec(name) is None]
    if not absent:
        return None
    return (
        f"sonoran-async {command} needs {', '.join(absent)}, from the command line's "
        "extra: pip install 'sonoran-async[cli]'"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if (problem := missing_extra(args.command)) is not None:
        print(problem, file=sys.stderr)
        return EXIT_FAILED
    try:
        code: int = _COMMANDS[args.command].run(args)
        return code
    except UsageError as exc:
        command_parser(parser, args.command).error(str(exc))  # exits with 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

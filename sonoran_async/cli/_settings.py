"""Where an ingest run reads and writes: the input, the journal and the rejects file."""

from __future__ import annotations

import argparse
from pathlib import Path

import attrs

from ._common import UsageError
from ._recorder import default_rejects_path


@attrs.define
class Settings:
    source: Path | None  # None: standard input
    journal: Path | None
    rejects: Path

    @classmethod
    def of(cls, args: argparse.Namespace) -> Settings:
        source = None if args.file == "-" else Path(args.file)
        name = Path("stdin.jsonl") if source is None else source
        rejects = Path(args.rejects) if args.rejects else default_rejects_path(name)
        journal: Path | None = None
        if args.journal and args.no_journal:
            raise UsageError("--journal and --no-journal contradict each other")
        if args.journal:
            journal = Path(args.journal)
        elif source is not None and args.url is not None and not args.no_journal:
            # Without --url the built-in emulator is new each run: nothing to resume.
            journal = source.with_name(source.name + ".journal")
        _apart(("the input", source), ("the rejects file", rejects), ("the journal", journal))
        return cls(source, journal, rejects)


def _apart(*named: tuple[str, Path | None]) -> None:
    """Refuse two roles for one file: a fresh run removes an old rejects file, and SQLite
    would write into the input (local paths, checked once at start)."""
    seen: list[tuple[str, Path]] = []
    for name, path in named:
        if path is None:
            continue
        for other_name, other in seen:
            if _same(path, other):
                raise UsageError(f"{name} {path} is also {other_name}: give each its own file")
        seen.append((name, path))


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:  # one of them does not exist (yet)
        return a.resolve() == b.resolve()

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
        return cls(source, journal, rejects)

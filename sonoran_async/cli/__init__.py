"""The `sonoran-async` command line: demo, ingest, calls, emulate.

The commands but `emulate` need the [cli] extra (`pip install 'sonoran-async[cli]'`);
without it they say so in one line.
"""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]

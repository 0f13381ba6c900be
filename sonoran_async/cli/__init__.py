"""The `sonoran-async` command line: demo, ingest, calls, emulate.

The commands but `emulate` need the [cli] extra (`pip install 'sonoran-async[cli]'`);
without it they say so in one line. `read_lines` and `parse_line` read an ingest input
exactly as `ingest` does, for scripts of your own (they need no extra).
"""

from ._lines import LineError, parse_line, read_lines
from ._main import build_parser, main

__all__ = ["LineError", "build_parser", "main", "parse_line", "read_lines"]

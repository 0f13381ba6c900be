"""The README's code must match the code: every Python block compiles, and the emulator
example runs as written."""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

from sonoran_async.emulator._cli import add_emulate_arguments

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_every_python_block_compiles() -> None:
    assert len(BLOCKS) >= 4
    for block in BLOCKS:
        compile(block, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def test_the_emulator_example_runs() -> None:
    (example,) = [b for b in BLOCKS if "from sonoran_async.emulator import Emulator" in b]
    done = subprocess.run(
        [sys.executable, "-c", example], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"call \d+ created; the emulator saw 1 request\(s\)\n", done.stdout)


def test_the_emulate_options_table_lists_every_option() -> None:
    parser = argparse.ArgumentParser()
    add_emulate_arguments(parser)
    text = README.read_text()
    table = text[text.index("### `sonoran-async emulate`") : text.index("### Real-client")]
    for action in parser._actions:
        for flag in action.option_strings:
            if flag not in ("-h", "--help"):
                assert f"`{flag}" in table, flag

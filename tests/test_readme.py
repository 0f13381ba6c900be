"""The README's code must match the code: every Python block compiles, and the emulator
example runs as written."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

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

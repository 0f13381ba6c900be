"""The README's code runs as a reader would run it.

Every Python block is marked: `<!-- runnable -->` (a script, run as is in a fresh process from
a directory outside the repository) or `<!-- pytest-file -->` (a test file, run with pytest in
a directory with no pytest configuration, hence pytest-asyncio's strict mode).
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sonoran_async.emulator._cli import add_emulate_arguments

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
BLOCK = r"```python\n(.*?)```"
ALL_BLOCKS = re.findall(BLOCK, README, flags=re.DOTALL)
RUNNABLE = re.findall(r"<!-- runnable -->\n" + BLOCK, README, flags=re.DOTALL)
PYTEST_FILES = re.findall(r"<!-- pytest-file -->\n" + BLOCK, README, flags=re.DOTALL)
#: Blocks that need something the suite does not start for them (say what in the marker).
COMPILE_ONLY = re.findall(r"<!-- compile-only: [^>]+ -->\n" + BLOCK, README, flags=re.DOTALL)

#: What the README says each script prints, keyed by a line of the script.
PRINTS = {
    "Felony Stop": r"\['John Doe'\] Felony Stop\n6 requests, 0 in flight\n",
    "invalid {exc.field}": (
        r"row 1: invalid caller\nrow 0: created, id 1\nrow 2: created, id 2\n"
        r"2 calls in 1 request\n"
    ),
    "the emulator saw": r"call \d+ created; the emulator saw 1 request\(s\)\n",
}


def test_every_python_block_is_marked_and_compiles() -> None:
    assert len(RUNNABLE) >= 3 and len(PYTEST_FILES) == 1
    assert sorted(RUNNABLE + PYTEST_FILES + COMPILE_ONLY) == sorted(ALL_BLOCKS)
    for block in ALL_BLOCKS:
        compile(block, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


@pytest.mark.parametrize("script", RUNNABLE, ids=[f"block{n}" for n in range(len(RUNNABLE))])
def test_the_script_runs_and_prints_what_the_readme_says(script: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (expected,) = [out for marker, out in PRINTS.items() if marker in script]
    assert re.fullmatch(expected, done.stdout), done.stdout


def test_the_plugin_snippet_passes_in_a_fresh_project(tmp_path: Path) -> None:
    (test_file,) = PYTEST_FILES
    (tmp_path / "test_from_readme.py").write_text(test_file)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_from_readme.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"rootdir: {tmp_path}\n" in done.stdout  # no configuration file was found
    assert "mode=Mode.STRICT" in done.stdout or "mode=strict" in done.stdout
    assert re.search(r"\b2 passed\b", done.stdout), done.stdout[-3000:]


def test_the_emulate_options_table_lists_every_option() -> None:
    parser = argparse.ArgumentParser()
    add_emulate_arguments(parser)
    text = README
    table = text[text.index("### `sonoran-async emulate`") : text.index("### Real-client")]
    for action in parser._actions:
        for flag in action.option_strings:
            if flag not in ("-h", "--help"):
                assert f"`{flag}" in table, flag

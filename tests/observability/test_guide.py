"""docs/guides/observability.md: its code runs and prints what it says, and its table of
metrics is the collector's."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from prometheus_client import CollectorRegistry

from sonoran_async import SonoranClient
from sonoran_async.metrics import SonoranCollector

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "guides" / "observability.md").read_text()
BLOCK = r"```python\n(.*?)```"
RUNNABLE = re.findall(
    r"<!-- runnable -->\n" + BLOCK + r"\n\nIt prints:\n\n```text\n(.*?)```", GUIDE, re.S
)
MARKED = re.findall(r"<!-- (?:runnable|compile-only: [^>]+) -->\n" + BLOCK, GUIDE, re.S)


def test_every_python_block_is_marked_and_compiles() -> None:
    blocks = re.findall(BLOCK, GUIDE, re.S)
    assert len(RUNNABLE) == 1 and sorted(MARKED) == sorted(blocks)
    for block in blocks:
        compile(block, "observability.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def test_the_script_prints_what_the_guide_says(tmp_path: Path) -> None:
    ((script, printed),) = RUNNABLE
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == printed


def test_the_table_lists_every_metric_the_collector_exports() -> None:
    registry = CollectorRegistry()
    registry.register(SonoranCollector(SonoranClient("demo", "demo-key")))
    exported = {
        family.name + ("_total" if family.type == "counter" else "")
        for family in registry.collect()
    }
    table = GUIDE[GUIDE.index("### The metrics") : GUIDE.index("Useful queries")]
    documented = set(re.findall(r"^\| `(sonoran_\w+)` \|", table, re.M))
    assert documented == exported

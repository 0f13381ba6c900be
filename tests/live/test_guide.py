"""docs/guides/live-state.md: its Python snippets parse, and the names they use exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import sonoran_async

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "live-state.md"


def test_snippets_parse_and_import_what_exists() -> None:
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.DOTALL)
    assert len(blocks) >= 6
    for block in blocks:
        tree = compile(
            block, str(GUIDE), "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        )
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "sonoran_async":
                missing = [a.name for a in node.names if not hasattr(sonoran_async, a.name)]
                assert not missing, missing

"""docs/guides/emulator-v2.md: its script runs and prints what the guide says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "guides" / "emulator-v2.md").read_text()


def test_the_fault_testing_script_prints_what_the_guide_says() -> None:
    (script,) = re.findall(r"<!-- runnable -->\n```python\n(.*?)```", GUIDE, flags=re.DOTALL)
    (printed,) = re.findall(r"prints\n\n```text\n(.*?)```", GUIDE, flags=re.DOTALL)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(script, "emulator-v2.md", "exec"), {"__name__": "guide"})
    assert out.getvalue() == printed

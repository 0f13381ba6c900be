"""docs/guides/realtime.md: its runnable block runs as a reader would run it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "guides" / "realtime.md").read_text()
(SCRIPT,) = re.findall(r"<!-- runnable -->\n```python\n(.*?)```", GUIDE, flags=re.DOTALL)


def test_the_bridge_example_prints_what_the_guide_says(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == (
        "LocationUpdate.SENT\n911 from Jane\nconnected 1 push(es) over the socket\n"
    )

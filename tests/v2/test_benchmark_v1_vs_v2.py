"""`benchmarks/v1_vs_v2.py` runs end to end; its drain times follow from the budgets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_v1_vs_v2_small(tmp_path: Path) -> None:
    out = tmp_path / "rows.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "v1_vs_v2.py"),
            "--calls",
            "30",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    v1, v2 = json.loads(out.read_text())
    assert (v1["created"], v1["requests"]) == (30, 1)  # one batch, inside the burst
    assert (v2["created"], v2["requests"]) == (30, 30)
    assert v2["time_to_drain_s"] == 29 * 6.0  # 10/min, evenly spaced

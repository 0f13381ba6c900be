"""`python benchmarks/throughput.py --quick` runs end to end and writes its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_throughput_quick(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "throughput.py"),
            "--quick",
            "--no-plot",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((tmp_path / "latest.json").read_text())
    assert results["quick"] is True
    assert results["machine"]["cpu_count"]
    kinds = {(r["kind"], r.get("max_items")) for r in results["throughput"]}
    assert ("aiohttp_loop", None) in kinds and ("client", 500) in kinds
    assert all(r["errors"] == 0 for r in results["throughput"])
    assert results["latency"] and results["rate_limited"] and results["memory"]
    assert all(r["rate_limited_429"] == 0 for r in results["rate_limited"])
    assert "| scenario | loop | items/s" in proc.stdout

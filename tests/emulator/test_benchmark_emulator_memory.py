"""`benchmarks/emulator_memory.py --quick` runs end to end and prints its row."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_emulator_memory_quick() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "emulator_memory.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    row = re.search(
        r"\| emulator CALL_911 \+ REMOVE_911 .*\| 20,000 \| .* \| 0 calls, 0 server", proc.stdout
    )
    assert row is not None, proc.stdout
    assert "within the 10 MB target" in proc.stdout

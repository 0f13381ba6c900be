"""`benchmarks/lookups.py` runs, and the cache answers more scans on the same budget."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
lookups: Any = importlib.import_module("lookups")


async def test_the_cache_answers_more_scans_with_the_same_requests() -> None:
    plain = await lookups.case(1, False, 10.0, seed=3)
    cached = await lookups.case(1, True, 10.0, seed=3)
    assert plain["scans"] == cached["scans"] == 1000
    assert cached["requests"] <= plain["requests"] <= 20  # about 1 request/s (v1)
    assert cached["answered"] > plain["answered"] and cached["hits"] > 0

"""`benchmarks/realtime.py`: a short run, and its figures within the documented limits."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "realtime.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("realtime_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load()


async def test_socket_row_stays_within_the_hub_limits_and_the_fair_bound() -> None:
    row = await bench.socket_run(units=100, seconds=4.0, interval=0.25)
    assert row["calls_per_s"] <= 4.0 and row["updates_per_s"] <= 100.0
    assert row["max"] <= row["bound"] == 4 * 0.25 + 0.25


def test_http_rows_follow_their_request_rate() -> None:
    v2 = bench.http_run(1000, 60.0, 5.0, 500, "v2")
    assert v2["calls_per_s"] == 0.2 and v2["max"] <= v2["bound"]

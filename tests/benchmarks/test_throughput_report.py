"""`benchmarks/throughput.py`: medians of repeated rounds, where it writes, and its plot."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
report: Any = importlib.import_module("throughput_report")
throughput: Any = importlib.import_module("throughput")


def client(round_: int, size: int, items_per_s: float, **extra: Any) -> dict[str, Any]:
    return {
        "round": round_,
        "loop": "asyncio",
        "kind": "client",
        "path": "submit",
        "max_items": size,
        "items_per_s": items_per_s,
        "items_per_client_cpu_s": items_per_s * 1.1,
        "requests": 10,
        "mean_batch": float(size),
        "errors": 0,
        **extra,
    }


def plain(round_: int, items_per_s: float) -> dict[str, Any]:
    return {
        "round": round_,
        "loop": "asyncio",
        "kind": "aiohttp_loop",
        "concurrency": 4,
        "items_per_s": items_per_s,
        "items_per_client_cpu_s": items_per_s,
        "requests": 10,
        "mean_batch": 1.0,
        "errors": 0,
    }


def results() -> dict[str, Any]:
    """Three rounds; the plain loop is fast in round 2 only, as on a busy machine."""
    throughput_rows = []
    for r, (one, base) in enumerate([(1000, 1000), (900, 3000), (1100, 1000)], start=1):
        throughput_rows += [
            client(r, 1, one),
            client(r, 500, one * 20),
            plain(r, base),
            client(r, 100, 500.0, path="gather"),
            client(r, 100, 1000.0, comparison="gather"),
        ]
    return {
        "machine": {
            "platform": "test",
            "cpu_count": 2,
            "python": "3.11",
            "aiohttp": "3",
            "uvloop": None,
        },
        "repeats": 3,
        "throughput": throughput_rows,
        "latency": [
            {
                "round": r,
                "loop": "asyncio",
                "client_p50_ms": c,
                "client_p99_ms": 2 * c,
                "bare_p50_ms": 0.5,
                "bare_p99_ms": 1.0,
            }
            for r, c in [(1, 0.6), (2, 0.55), (3, 0.75)]
        ],
        "rate_limited": [
            {
                "round": r,
                "rate": 20.0,
                "max_items": size,
                "ceiling": 20.0 * size,
                "items_per_s": 19.0 * size,
                "rate_limited_429": 0,
            }
            for r in (1, 2, 3)
            for size in (1, 100)
        ],
        "memory": [
            {"round": r, "path": path, "items": 100, "peak_bytes_per_item": b}
            for r in (1, 2, 3)
            for path, b in (("submit", 400.0), ("gather", 1200.0))
        ],
    }


def test_a_ratio_is_taken_within_each_round_then_its_median_min_and_max() -> None:
    found = {r["ratio"]: r for r in report.ratios(results())}
    unbatched = found["[asyncio] client max_items=1 / plain aiohttp loop"]
    assert (unbatched["median"], unbatched["min"], unbatched["max"]) == (1.0, 0.3, 1.1)
    assert unbatched["runs"] == 3
    per_cpu = found["[asyncio] client max_items=1 / plain aiohttp loop, per client CPU-s"]
    assert per_cpu["median"] == pytest.approx(1.1)
    assert found["[asyncio] client max_items=500 / max_items=1"]["median"] == 20.0
    assert found["[asyncio] `submit` / `gather` of `call_911()`, max_items=100"]["max"] == 2.0
    memory = found["memory per pending item: a task per `call_911()` / `submit()`"]
    assert memory["median"] == 3.0
    latency = found["[asyncio] low-load p50 latency, client / bare POST"]
    assert latency["min"] == pytest.approx(1.1) and latency["max"] == pytest.approx(1.5)


def test_the_tables_print_medians_with_min_and_max() -> None:
    data = results()
    data.update(command="python benchmarks/throughput.py", date="today")
    data["summary"] = report.summary(data)
    data["ratios"] = report.ratios(data)
    data["targets"] = report.targets(data["summary"], data["ratios"])
    text = report.markdown(data)
    assert "| client `submit`, max_items=1 | asyncio | 1,000 (900 to 1,100) |" in text
    assert "| [asyncio] client max_items=1 / plain aiohttp loop | 1.00x (0.30 to 1.10) |" in text
    assert "median (min to max) of 3 alternating runs" in text
    # A reader of the report has no issue tracker: the targets are named for what they are.
    assert "| performance target (medians) | this run | met |" in text
    assert "issue" not in text.lower()


def test_the_plot_has_distinct_colours_labelled_axes_with_units_and_log_scales() -> None:
    colors = pytest.importorskip("matplotlib.colors")
    data = results()
    data["summary"] = report.summary(data)
    fig = report.figure(data)
    throughput_ax, latency_ax, limited_ax = fig.axes
    for ax in (throughput_ax, limited_ax):
        assert ax.get_xscale() == ax.get_yscale() == "log"
        assert "log scale" in ax.get_xlabel() and "(items/s" in ax.get_ylabel()
    assert latency_ax.get_ylabel().endswith("(ms)")
    series: list[str] = []
    for ax in fig.axes:
        handles, labels = ax.get_legend_handles_labels()
        assert labels and all(labels)
        for handle in handles:
            if hasattr(handle, "patches"):  # bars
                colour = handle.patches[0].get_facecolor()
            elif hasattr(handle, "lines"):  # error bars: their data line first
                colour = handle.lines[0].get_color()
            else:
                colour = handle.get_color()
            series.append(colors.to_hex(colour))
    assert len(series) >= 6 and len(set(series)) == len(series), series


def test_results_are_written_only_with_save() -> None:
    default = throughput.parse_args([])
    assert default.out == BENCHMARKS / "out"
    assert throughput.parse_args(["--save"]).out == BENCHMARKS / "results"
    with pytest.raises(SystemExit):
        throughput.parse_args(["--repeats", "2"])
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(BENCHMARKS / "out" / "latest.json")],
        cwd=BENCHMARKS,
        capture_output=True,
    )
    if ignored.returncode == 128:
        pytest.skip("not a git checkout")
    assert ignored.returncode == 0  # make bench leaves the tree clean

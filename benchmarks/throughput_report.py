"""Summaries, ratios, tables and the plot for `throughput.py`'s repeated runs.

A single run on a shared machine can be off by a factor of two, so every scenario runs in
several rounds (alternating with the scenarios it is compared with), and every figure here
is the median over the rounds with its min and max. A ratio is computed within each round
(both sides measured minutes apart, at most) and then summarised the same way.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Row = dict[str, Any]


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank q-th percentile (0 < q <= 100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def spread(values: Iterable[float]) -> dict[str, float]:
    """Median, min and max over the rounds, and how many there were."""
    data = list(values)
    return {
        "median": statistics.median(data),
        "min": min(data),
        "max": max(data),
        "runs": len(data),
    }


def show(s: dict[str, float], fmt: str = ",.0f", unit: str = "") -> str:
    """`median (min to max)`, the way every table prints a repeated figure."""
    return f"{s['median']:{fmt}}{unit} ({s['min']:{fmt}} to {s['max']:{fmt}})"


def _by_round(rows: list[Row], **match: Any) -> dict[int, Row]:
    """Round -> the row matching `match`; rows run for a comparison only when asked for."""
    return {
        row["round"]: row
        for row in rows
        if all(row.get(k) == v for k, v in match.items())
        and row.get("comparison") == match.get("comparison")
    }


def _ratio(
    name: str,
    top: dict[int, Row],
    bottom: dict[int, Row],
    value: Callable[[Row], float],
    value_below: Callable[[Row], float] | None = None,
) -> Row | None:
    below = value_below or value
    rounds = sorted(set(top) & set(bottom))
    if not rounds:
        return None
    return {"ratio": name, **spread(value(top[r]) / below(bottom[r]) for r in rounds)}


def _client_rounds(
    rows: list[Row], loop: str, size: int, path: str = "submit", comparison: str | None = None
) -> dict[int, Row]:
    return _by_round(
        rows, loop=loop, kind="client", path=path, max_items=size, comparison=comparison
    )


def _items_per_s(row: Row) -> float:
    return float(row["items_per_s"])


def ratios(results: dict[str, Any]) -> list[Row]:
    """Every comparison the README quotes, per round, then median (min, max)."""
    out: list[Row | None] = []
    rows = results["throughput"]
    for loop in sorted({r["loop"] for r in rows}):
        one = _client_rounds(rows, loop, 1)
        base = _by_round(rows, loop=loop, kind="aiohttp_loop")
        out.append(
            _ratio(f"[{loop}] client max_items=1 / plain aiohttp loop", one, base, _items_per_s)
        )
        # The same per client CPU-second: less sensitive to what else the machine runs.
        out.append(
            _ratio(
                f"[{loop}] client max_items=1 / plain aiohttp loop, per client CPU-s",
                one,
                base,
                lambda r: float(r["items_per_client_cpu_s"] or 0),
            )
        )
        big = _client_rounds(rows, loop, 500)
        out.append(_ratio(f"[{loop}] client max_items=500 / max_items=1", big, one, _items_per_s))
        out.append(
            _ratio(
                f"[{loop}] `submit` / `gather` of `call_911()`, max_items=100",
                _client_rounds(rows, loop, 100, comparison="gather"),
                _client_rounds(rows, loop, 100, path="gather"),
                _items_per_s,
            )
        )
    for latency_loop in sorted({r["loop"] for r in results["latency"]}):
        latency = _by_round(results["latency"], loop=latency_loop)
        out.append(
            _ratio(
                f"[{latency_loop}] low-load p50 latency, client / bare POST",
                latency,
                latency,
                lambda r: float(r["client_p50_ms"]),
                lambda r: float(r["bare_p50_ms"]),
            )
        )
    for size in sorted({r["max_items"] for r in results["rate_limited"]}):
        limited = _by_round(results["rate_limited"], max_items=size)
        out.append(
            _ratio(
                f"under the rate limit, max_items={size}: items/s / (R x max_items)",
                limited,
                limited,
                _items_per_s,
                lambda r: float(r["ceiling"]),
            )
        )
    memory = results["memory"]
    out.append(
        _ratio(
            "memory per pending item: a task per `call_911()` / `submit()`",
            _by_round(memory, path="gather"),
            _by_round(memory, path="submit"),
            lambda r: float(r["peak_bytes_per_item"]),
        )
    )
    return [r for r in out if r is not None]


def _group(rows: list[Row], keys: tuple[str, ...]) -> dict[tuple[Any, ...], list[Row]]:
    groups: dict[tuple[Any, ...], list[Row]] = {}
    for row in rows:
        groups.setdefault(tuple(row.get(k) for k in keys), []).append(row)
    return groups


THROUGHPUT_KEY = ("loop", "kind", "path", "max_items", "comparison", "concurrency")


def summary(results: dict[str, Any]) -> dict[str, list[Row]]:
    """Per scenario, the median (min, max) of each figure over the rounds."""
    out: dict[str, list[Row]] = {"throughput": [], "latency": [], "rate_limited": [], "memory": []}
    for key, rows in _group(results["throughput"], THROUGHPUT_KEY).items():
        out["throughput"].append(
            {
                **{k: v for k, v in zip(THROUGHPUT_KEY, key, strict=True) if v is not None},
                "items_per_s": spread(r["items_per_s"] for r in rows),
                "items_per_client_cpu_s": spread(r["items_per_client_cpu_s"] or 0 for r in rows),
                "requests": rows[0]["requests"],
                "mean_batch": rows[0]["mean_batch"],
                "errors": sum(r["errors"] for r in rows),
            }
        )
    for (loop,), rows in _group(results["latency"], ("loop",)).items():
        out["latency"].append(
            {"loop": loop}
            | {
                k: spread(r[k] for r in rows)
                for k in ("client_p50_ms", "client_p99_ms", "bare_p50_ms", "bare_p99_ms")
            }
            | {"added_p50_ms": spread(r["client_p50_ms"] - r["bare_p50_ms"] for r in rows)}
        )
    for (size,), rows in _group(results["rate_limited"], ("max_items",)).items():
        out["rate_limited"].append(
            {
                "max_items": size,
                "rate": rows[0]["rate"],
                "ceiling": rows[0]["ceiling"],
                "items_per_s": spread(r["items_per_s"] for r in rows),
                "rate_limited_429": sum(r["rate_limited_429"] for r in rows),
            }
        )
    for (path,), rows in _group(results["memory"], ("path",)).items():
        out["memory"].append(
            {
                "path": path,
                "items": rows[0]["items"],
                "peak_bytes_per_item": spread(r["peak_bytes_per_item"] for r in rows),
            }
        )
    return out


def _find(rows: list[Row], **match: Any) -> Row | None:
    for row in rows:
        if all(row.get(k) == v for k, v in match.items()) and "comparison" not in row:
            return row
    return None


def _ratio_named(found: list[Row], prefix: str) -> Row | None:
    return next((r for r in found if r["ratio"].startswith(prefix)), None)


def targets(summarized: dict[str, list[Row]], found: list[Row]) -> list[Row]:
    """The performance targets, checked against the medians (asyncio loop)."""
    out: list[Row] = []
    big = _find(summarized["throughput"], loop="asyncio", kind="client", max_items=500)
    if big:
        cpu = big["items_per_client_cpu_s"]["median"]
        out.append(
            {
                "target": "max_items=500: >= 100k items per client CPU-second",
                "value": f"{cpu:,.0f}",
                "met": cpu >= 100_000,
            }
        )
    checks = [
        ("[asyncio] client max_items=500 / max_items=1", "max_items=500 >= 20x max_items=1", 20),
        (
            "[asyncio] client max_items=1 / plain aiohttp loop",
            "max_items=1 within 20% of the plain aiohttp loop",
            0.8,
        ),
    ]
    for prefix, target, at_least in checks:
        ratio = _ratio_named(found, prefix)
        if ratio:
            out.append(
                {
                    "target": target,
                    "value": show(ratio, ".2f", "x"),
                    "met": ratio["median"] >= at_least,
                }
            )
    latency = next((r for r in summarized["latency"] if r["loop"] == "asyncio"), None)
    if latency:
        added = latency["added_p50_ms"]
        out.append(
            {
                "target": "low-load added latency < 0.3 ms (p50)",
                "value": show(added, ".3f", " ms"),
                "met": added["median"] < 0.3,
            }
        )
    memory = next((r for r in summarized["memory"] if r["path"] == "submit"), None)
    if memory:
        peak = memory["peak_bytes_per_item"]
        out.append(
            {
                "target": "<= 1.5 KB per pending item (submit)",
                "value": show(peak, ",.0f", " B"),
                "met": peak["median"] <= 1536,
            }
        )
    return out


def _scenario(row: Row) -> str:
    if row["kind"] == "aiohttp_loop":
        return f"plain aiohttp loop, 1 object/POST, concurrency {row['concurrency']}"
    if row["path"] == "gather":
        return f"client `gather` of `call_911()`, max_items={row['max_items']}"
    suffix = " (beside gather)" if row.get("comparison") else ""
    return f"client `submit`, max_items={row['max_items']}{suffix}"


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    s = results["summary"]
    runs = results["repeats"]
    lines = [
        f"`{results['command']}` on {m['platform']}, {m['cpu_count']} CPUs, "
        f"Python {m['python']}, aiohttp {m['aiohttp']}"
        + (f", uvloop {m['uvloop']}" if m["uvloop"] else "")
        + f" ({results['date']}). Every figure: median (min to max) of {runs} alternating runs.",
        "",
        "| scenario | loop | items/s | items per client CPU-s | requests | mean batch |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in s["throughput"]:
        lines.append(
            f"| {_scenario(r)} | {r['loop']} | {show(r['items_per_s'])} | "
            f"{show(r['items_per_client_cpu_s'])} | {r['requests']:,} | {r['mean_batch']} |"
        )
    lines += [
        "",
        "| low-load latency (sequential single calls) | loop | p50 ms | p99 ms |",
        "|---|---|---:|---:|",
    ]
    for r in s["latency"]:
        for who, name in (("client", "client, enqueue to result"), ("bare", "bare aiohttp POST")):
            lines.append(
                f"| {name} | {r['loop']} | {show(r[f'{who}_p50_ms'], '.3f')} "
                f"| {show(r[f'{who}_p99_ms'], '.3f')} |"
            )
    if s["rate_limited"]:
        rate = s["rate_limited"][0]["rate"]
        lines += [
            "",
            f"| emulator limit {rate:g} req/s: max_items | items/s | R x max_items | 429s |",
            "|---:|---:|---:|---:|",
        ]
        for r in s["rate_limited"]:
            lines.append(
                f"| {r['max_items']} | {show(r['items_per_s'])} | {r['ceiling']:,.0f} "
                f"| {r['rate_limited_429']} |"
            )
    if s["memory"]:
        lines += ["", "| pending items (memory, tracemalloc) | peak bytes/item |", "|---|---:|"]
        for r in s["memory"]:
            how = "`submit()`" if r["path"] == "submit" else "a task per `call_911()`"
            lines.append(f"| {r['items']:,} via {how} | {show(r['peak_bytes_per_item'])} |")
    lines += ["", "| ratio (within each run) | median (min to max) |", "|---|---:|"]
    for r in results["ratios"]:
        lines.append(f"| {r['ratio']} | {show(r, '.2f', 'x')} |")
    if results["targets"]:
        lines += ["", "| performance target (medians) | this run | met |", "|---|---:|:---:|"]
        for t in results["targets"]:
            lines.append(f"| {t['target']} | {t['value']} | {'yes' if t['met'] else 'no'} |")
    return "\n".join(lines)


#: One distinct colour per plotted series, never reused within a figure.
COLOURS = (
    "tab:blue",
    "tab:orange",
    "tab:green",
    "tab:red",
    "tab:purple",
    "tab:brown",
    "tab:pink",
    "tab:olive",
    "tab:cyan",
    "tab:gray",
)


def _errorbars(spreads: list[dict[str, float]]) -> list[list[float]]:
    return [
        [x["median"] - x["min"] for x in spreads],
        [x["max"] - x["median"] for x in spreads],
    ]


def plot(results: dict[str, Any], path: Path) -> bool:
    """Save the figure as a PNG; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig = figure(results)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def figure(results: dict[str, Any]) -> Figure:
    """Three panels, medians with min-to-max bars, one distinct colour per series."""
    import matplotlib.pyplot as plt

    colours = iter(COLOURS)
    s = results["summary"]
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(17, 5))

    for loop in sorted({r["loop"] for r in s["throughput"]}):
        rows = sorted(
            (
                r
                for r in s["throughput"]
                if r["loop"] == loop
                and r["kind"] == "client"
                and r["path"] == "submit"
                and "comparison" not in r
            ),
            key=lambda r: r["max_items"],
        )
        spreads = [r["items_per_s"] for r in rows]
        ax1.errorbar(
            [r["max_items"] for r in rows],
            [x["median"] for x in spreads],
            yerr=_errorbars(spreads),
            marker="o",
            capsize=3,
            color=next(colours),
            label=f"sonoran-async submit() ({loop})",
        )
        base = _find(s["throughput"], loop=loop, kind="aiohttp_loop")
        if base:
            ax1.axhline(
                base["items_per_s"]["median"],
                linestyle="--",
                color=next(colours),
                label=f"plain aiohttp loop, 1 object/POST ({loop}, median)",
            )
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("max_items (objects per request, log scale)")
    ax1.set_ylabel("throughput (items/s, log scale, no rate limit)")
    ax1.set_title("Throughput vs batch size")
    ax1.legend(fontsize=7)
    ax1.grid(True, which="both", alpha=0.3)

    labels: list[str] = []
    p50: list[dict[str, float]] = []
    p99: list[dict[str, float]] = []
    for r in s["latency"]:
        for who in ("client", "bare"):
            labels.append(f"{'client' if who == 'client' else 'bare POST'}\n{r['loop']}")
            p50.append(r[f"{who}_p50_ms"])
            p99.append(r[f"{who}_p99_ms"])
    xs = list(range(len(labels)))
    for offset, spreads, name in ((-0.2, p50, "p50"), (0.2, p99, "p99")):
        ax2.bar(
            [x + offset for x in xs],
            [x["median"] for x in spreads],
            yerr=_errorbars(spreads),
            width=0.4,
            capsize=3,
            color=next(colours),
            label=name,
        )
    ax2.set_xticks(xs, labels, fontsize=8)
    ax2.set_ylabel("latency, enqueue to result (ms)")
    ax2.set_title("Low-load latency (sequential single calls)")
    ax2.legend(fontsize=8)

    rows = sorted(s["rate_limited"], key=lambda r: r["max_items"])
    if rows:
        spreads = [r["items_per_s"] for r in rows]
        ax3.errorbar(
            [r["max_items"] for r in rows],
            [x["median"] for x in spreads],
            yerr=_errorbars(spreads),
            marker="o",
            capsize=3,
            color=next(colours),
            label="measured",
        )
        ax3.plot(
            [r["max_items"] for r in rows],
            [r["ceiling"] for r in rows],
            linestyle="--",
            linewidth=2,
            zorder=3,  # drawn over the measured line it would otherwise hide
            color=next(colours),
            label="R x max_items",
        )
        ax3.set_xscale("log")
        ax3.set_yscale("log")
        ax3.set_xlabel("max_items (objects per request, log scale)")
        ax3.set_ylabel("throughput (items/s, log scale)")
        ax3.set_title(f"Under an emulator limit of R = {rows[0]['rate']:g} requests/s")
        ax3.legend(fontsize=8)
        ax3.grid(True, which="both", alpha=0.3)
    m = results["machine"]
    fig.suptitle(
        f"sonoran-async, {m['platform']}, {m['cpu_count']} CPUs, Python {m['python']}: "
        f"medians of {results['repeats']} alternating runs, bars from min to max",
        fontsize=9,
    )
    fig.tight_layout()
    return fig

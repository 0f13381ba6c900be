"""Emulator memory over a long run: RSS growth across create+remove cycles.

    python benchmarks/emulator_memory.py             # 1,000,000 cycles (about a minute)
    python benchmarks/emulator_memory.py --quick     # 20,000 cycles, a smoke run
    python benchmarks/emulator_memory.py --cycles N

One cycle is a CALL_911 (with metaData and deleteAfterMinutes) and its REMOVE_911, each a
whole request body through the emulator's apply path (`EmulatorCore.process`: envelope
checks, limits, handler, state, log), without HTTP. RSS is measured once the rings are full
(a warm-up of `log_size` cycles with the default log of 100,000 changes) and again at the
end: a leak of even 10 bytes per cycle shows as 10 MB over a million. Target: < 10 MB.
Linux reads the current RSS from /proc; elsewhere the peak RSS stands in for it.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from pathlib import Path

import orjson

from sonoran_async.emulator import EmulatorCore
from sonoran_async.emulator._state import DEFAULT_LOG_SIZE

TARGET_MB = 10.0
WARM_UP = DEFAULT_LOG_SIZE // 2  # cycles that fill the log ring (two changes each)
_PREFIX = b'{"id":"demo","key":"demo-key","type":"'


def rss_bytes() -> int:
    statm = Path("/proc/self/statm")
    if statm.exists():
        return int(statm.read_text().split()[1]) * resource.getpagesize()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def run_cycles(core: EmulatorCore, start: int, count: int) -> None:
    for n in range(start, start + count):
        obj = {
            "serverId": 1,
            "isEmergency": True,
            "caller": f"Caller {n}",
            "location": "1234 E. Test St.",
            "description": "Benchmark call",
            "metaData": {"postal": str(n % 9999), "n": n},
            "deleteAfterMinutes": 60,
        }
        added = core.process(
            "CALL_911", _PREFIX + b'CALL_911","data":' + orjson.dumps([obj]) + b"}"
        )
        call_id = added.text.rsplit(" ", 1)[1] if added.text else ""
        remove = b'REMOVE_911","data":[{"serverId":1,"callId":' + call_id.encode() + b"}]}"
        removed = core.process("REMOVE_911", _PREFIX + remove)
        if added.status != 200 or removed.status != 200:
            raise RuntimeError(f"cycle {n}: {added.text!r} / {removed.text!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1_000_000, help="(default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="20,000 cycles, a smoke run")
    args = parser.parse_args()
    cycles = 20_000 if args.quick else args.cycles
    if cycles < 1:
        parser.error("--cycles must be >= 1")
    core = EmulatorCore(log_size=DEFAULT_LOG_SIZE)
    run_cycles(core, 0, WARM_UP)
    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    run_cycles(core, WARM_UP, cycles)
    elapsed = time.perf_counter() - started
    gc.collect()
    growth_mb = (rss_bytes() - before) / 1e6
    sizes = core.state.sizes()
    print("| scenario | cycles | RSS after warm-up | RSS growth | cycles/s | state after |")
    print("|---|---:|---:|---:|---:|---|")
    print(
        f"| emulator CALL_911 + REMOVE_911 (apply path, log ring of {DEFAULT_LOG_SIZE:,} full) "
        f"| {cycles:,} | {before / 1e6:.1f} MB | {growth_mb:+.2f} MB "
        f"| {cycles / elapsed:,.0f} | {sizes['emergency_calls']} calls, "
        f"{sizes['servers']} server entries, {sizes['expiry']} deadlines, {sizes['log']:,} log |"
    )
    verdict = "within" if growth_mb < TARGET_MB else "OVER"
    print(f"RSS growth {growth_mb:.2f} MB: {verdict} the {TARGET_MB:.0f} MB target")
    return 0 if growth_mb < TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())

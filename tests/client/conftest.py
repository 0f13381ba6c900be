"""Helpers for client tests that run against the real emulator over loopback HTTP."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sonoran_async import ReconcilePolicy, RetryPolicy, SonoranClient
from sonoran_async.emulator import Emulator

FAST_RETRY = RetryPolicy(base_delay=0.005, max_delay=0.02)
#: Two snapshots 20 ms apart prove absence (the emulator's lagging replica: 10 ms).
FAST_RECONCILE = ReconcilePolicy(recheck_after=0.02)


def client_for(emu: Emulator, **overrides: Any) -> SonoranClient:
    """A client aimed at `emu` with no proactive rate limit and quick retries."""
    settings: dict[str, Any] = {
        "base_url": emu.url,
        "rate_limit": None,
        "retry": FAST_RETRY,
        "reconcile": FAST_RECONCILE,
    }
    settings.update(overrides)
    return SonoranClient("demo", "demo-key", **settings)


def created_911(emu: Emulator) -> Counter[str]:
    """How many times the emulator created a 911 call for each caller name."""
    return Counter(obj["caller"] for kind, _, obj in emu.state.log if kind == "CALL_911")

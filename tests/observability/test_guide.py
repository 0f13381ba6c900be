"""docs/guides/observability.md lists the collector's metrics (its code is run with every
page's, by tests/docs/test_readme.py)."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import CollectorRegistry

from sonoran_async import SonoranClient
from sonoran_async.metrics import SonoranCollector

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "guides" / "observability.md").read_text()


def test_the_table_lists_every_metric_the_collector_exports() -> None:
    registry = CollectorRegistry()
    registry.register(SonoranCollector(SonoranClient("demo", "demo-key")))
    exported = {
        family.name + ("_total" if family.type == "counter" else "")
        for family in registry.collect()
    }
    table = GUIDE[GUIDE.index("### The metrics") : GUIDE.index("Useful queries")]
    documented = set(re.findall(r"^\| `(sonoran_\w+)` \|", table, re.M))
    assert documented == exported

"""Prometheus metrics read from a client's stats at scrape time (the `[metrics]` extra).

    from prometheus_client import REGISTRY
    from sonoran_async.metrics import SonoranCollector

    REGISTRY.register(SonoranCollector(cad))

Nothing is counted twice: each scrape reads `SonoranClient.stats` once and reports it,
one series per request type. `serve_metrics` serves a registry over HTTP from the running
event loop (`ingest --metrics-port` uses it); prometheus_client's own threaded server
works too.

The metrics (prefix `sonoran_`, label `request_type`; docs/guides/observability.md):
`requests_total`, `items_total`, `batch_size` (a histogram: `_sum` items, `_count`
batches), `retries_total`, `rate_limited_total` (429s), `outcome_unknown_total`,
`reconciliations_total`, `pending`, `in_flight`, `fallback` (1: one object per request
since an ambiguous reply), and `resent_total` (no label).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Final

try:
    from prometheus_client.exposition import choose_encoder
    from prometheus_client.metrics_core import (
        CounterMetricFamily,
        GaugeMetricFamily,
        HistogramMetricFamily,
        Metric,
    )
    from prometheus_client.registry import Collector, CollectorRegistry
except ImportError as exc:
    raise ImportError(
        "sonoran_async.metrics needs prometheus-client: pip install 'sonoran-async[metrics]'"
    ) from exc

if TYPE_CHECKING:
    from aiohttp import web

    from ._client import SonoranClient
    from ._stats import ClientStats

__all__ = ["BATCH_SIZE_BUCKETS", "SonoranCollector", "serve_metrics"]

#: Upper bounds of the batch size histogram (objects per request).
BATCH_SIZE_BUCKETS: Final = (1, 2, 5, 10, 20, 50, 100, 200, 500)

#: (`TypeStats` field, metric type, help) of every labelled counter and gauge.
_SERIES: Final = (
    ("requests", "counter", "HTTP requests sent, retries and GET_CALLS look-ups included"),
    ("items", "counter", "Objects handed to the server (a retried batch counts once)"),
    ("retries", "counter", "Re-sends after a transport failure or a 5xx"),
    ("rate_limited", "counter", "429 replies waited out"),
    ("outcome_unknown", "counter", "Create objects that may or may not have been applied"),
    ("reconciliations", "counter", "Ambiguous replies looked up through GET_CALLS"),
    ("pending", "gauge", "Objects queued, not yet sent"),
    ("in_flight", "gauge", "Requests awaiting their reply"),
)


class SonoranCollector(Collector):
    """Reports a client's `stats` at every scrape.

    `labels` are added to every series (e.g. `{"community": "..."}` to tell clients
    apart; one collector per client). `stats` may be given instead of a client: any
    callable returning a `ClientStats`.
    """

    def __init__(
        self,
        client: SonoranClient | None = None,
        *,
        stats: Callable[[], ClientStats] | None = None,
        namespace: str = "sonoran",
        labels: Mapping[str, str] | None = None,
        buckets: Sequence[int] = BATCH_SIZE_BUCKETS,
    ) -> None:
        if (client is None) == (stats is None):
            raise TypeError("give a client or a stats callable, not both or neither")
        if client is not None:
            stats = lambda: client.stats  # noqa: E731 (read at every scrape)
        assert stats is not None
        self._stats = stats
        self._prefix = f"{namespace}_" if namespace else ""
        self._labels = dict(labels or {})
        self._buckets = tuple(sorted(buckets))

    def collect(self) -> Iterator[Metric]:
        stats = self._stats()
        names = [*self._labels, "request_type"]
        constant = list(self._labels.values())
        families: list[tuple[str, CounterMetricFamily | GaugeMetricFamily]] = []
        for name, kind, doc in _SERIES:
            family_type = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
            families.append((name, family_type(self._prefix + name, doc, labels=names)))
        histogram = HistogramMetricFamily(
            self._prefix + "batch_size", "Objects per batch request", labels=names
        )
        fallback = GaugeMetricFamily(
            self._prefix + "fallback",
            "1 when the type sends one object per request since an ambiguous reply",
            labels=names,
        )
        for request_type, per_type in stats.by_type.items():
            values = [*constant, request_type]
            for name, family in families:
                family.add_metric(values, getattr(per_type, name))
            histogram.add_metric(
                values, self._histogram(per_type.batch_sizes), sum_value=per_type.items
            )
            fallback.add_metric(values, 1 if request_type in stats.fallback_lanes else 0)
        yield from (family for _, family in families)
        yield histogram
        yield fallback
        resent = CounterMetricFamily(
            self._prefix + "resent",
            "Objects re-sent alone after a reply that could not be matched to them",
            labels=list(self._labels),
        )
        resent.add_metric(constant, stats.resent)
        yield resent

    def _histogram(self, sizes: Mapping[int, int]) -> list[tuple[str, float]]:
        """Cumulative bucket counts, exact: the stats keep every batch's size."""
        buckets: list[tuple[str, float]] = []
        for bound in self._buckets:
            below = sum(n for size, n in sizes.items() if size <= bound)
            buckets.append((f"{float(bound)}", below))  # le="1.0", as Prometheus writes it
        buckets.append(("+Inf", sum(sizes.values())))
        return buckets


@contextlib.asynccontextmanager
async def serve_metrics(
    registry: CollectorRegistry, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve `registry` at `http://host:port/metrics` from the running event loop (no
    thread: a scrape reads the stats between two steps of the client). Yields the URL;
    `port=0` takes a free port."""
    from aiohttp import web

    async def metrics(request: web.Request) -> web.Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        return web.Response(body=encoder(registry), headers={"Content-Type": content_type})

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
        shown = f"[{host}]" if ":" in host else host
        yield f"http://{shown}:{bound}/metrics"
    finally:
        await runner.cleanup()

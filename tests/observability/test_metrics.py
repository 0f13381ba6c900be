"""The Prometheus collector reads the client's stats at scrape time: scraped over HTTP,
every figure per request type, the batch size histogram exact, gauges live."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import aiohttp
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from sonoran_async import BatchPolicy, Call911, ClientStats, Reply, SonoranClient
from sonoran_async.emulator import Emulator
from sonoran_async.metrics import SonoranCollector, serve_metrics

from .conftest import RATE_LIMITED, Scripted
from .test_tracing import client

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(url: str) -> Samples:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def of(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


async def run_some(cad: SonoranClient) -> None:
    """Three creates in one batch (after a 429 and a 503), then one alone."""
    await asyncio.gather(*(cad.call_911(Call911(caller=c, location="X")) for c in "ABC"))
    await cad.call_911(Call911(caller="D", location="X"))


async def test_a_scrape_over_http_reports_the_stats_per_request_type() -> None:
    registry = CollectorRegistry()
    async with client(Scripted(RATE_LIMITED, Reply(503, b"busy"))) as cad:
        registry.register(SonoranCollector(cad, labels={"job_name": "nightly"}))
        await run_some(cad)
        async with serve_metrics(registry, port=0) as url:
            samples = await scrape(url)
        stats = cad.stats
    call = {"job_name": "nightly", "request_type": "CALL_911"}
    assert of(samples, "sonoran_requests_total", **call) == stats.requests == 4
    assert of(samples, "sonoran_items_total", **call) == stats.items == 4
    assert of(samples, "sonoran_rate_limited_total", **call) == stats.rate_limited == 1
    assert of(samples, "sonoran_retries_total", **call) == stats.retries == 1
    assert of(samples, "sonoran_outcome_unknown_total", **call) == 0
    assert of(samples, "sonoran_reconciliations_total", **call) == 0
    assert of(samples, "sonoran_pending", **call) == 0
    assert of(samples, "sonoran_in_flight", **call) == 0
    assert of(samples, "sonoran_fallback", **call) == 0
    assert of(samples, "sonoran_resent_total", job_name="nightly") == 0
    # The histogram is exact: one batch of 3, one of 1.
    assert of(samples, "sonoran_batch_size_bucket", le="1.0", **call) == 1
    assert of(samples, "sonoran_batch_size_bucket", le="2.0", **call) == 1
    assert of(samples, "sonoran_batch_size_bucket", le="5.0", **call) == 2
    assert of(samples, "sonoran_batch_size_bucket", le="+Inf", **call) == 2
    assert of(samples, "sonoran_batch_size_count", **call) == 2
    assert of(samples, "sonoran_batch_size_sum", **call) == 4
    # Every request type the client can send has its series, at zero until used.
    dispatch = {"job_name": "nightly", "request_type": "NEW_DISPATCH"}
    assert of(samples, "sonoran_requests_total", **dispatch) == 0


async def test_gauges_are_read_at_scrape_time() -> None:
    release = asyncio.Event()
    arrived = asyncio.Event()

    class Held(Scripted):
        async def request(
            self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
        ) -> Reply:
            arrived.set()
            await release.wait()
            return await super().request(method, path, body, headers)

    registry = CollectorRegistry()
    async with client(Held(), batch=BatchPolicy(max_items=2, max_in_flight=1)) as cad:
        registry.register(SonoranCollector(cad))
        futures = [await cad.submit(Call911(caller=c, location="X")) for c in "ABCDE"]
        await arrived.wait()
        async with serve_metrics(registry) as url:
            during = await scrape(url)
            release.set()
            await asyncio.gather(*futures)
            after = await scrape(url)
    call = {"request_type": "CALL_911"}
    assert of(during, "sonoran_in_flight", **call) == 1
    assert of(during, "sonoran_pending", **call) == 3  # 2 on the wire, 3 queued
    assert of(after, "sonoran_in_flight", **call) == 0
    assert of(after, "sonoran_pending", **call) == 0
    assert of(after, "sonoran_items_total", **call) == 5


async def test_look_ups_count_under_get_calls_and_types_add_up_to_the_totals() -> None:
    async with Emulator(multi="all_one_line") as emu:
        cad = SonoranClient("demo", "demo-key", base_url=emu.url, rate_limit=None)
        async with cad:
            await asyncio.gather(*(cad.call_911(Call911(caller=c, location="X")) for c in "AB"))
            stats = cad.stats
    call, lookups = stats.by_type["CALL_911"], stats.by_type["GET_CALLS"]
    assert call.reconciliations == stats.reconciliations == 1
    assert (call.requests, lookups.requests) == (1, stats.requests - 1)
    assert lookups.requests >= 1 and lookups.items == 0
    assert_types_add_up(stats)


def assert_types_add_up(stats: ClientStats) -> None:
    for figure in ("requests", "items", "retries", "rate_limited", "outcome_unknown"):
        assert sum(getattr(t, figure) for t in stats.by_type.values()) == getattr(stats, figure)
    assert sum(t.reconciliations for t in stats.by_type.values()) == stats.reconciliations
    assert sum(t.pending for t in stats.by_type.values()) == stats.pending
    assert sum(t.in_flight for t in stats.by_type.values()) == stats.in_flight
    merged: dict[int, int] = {}
    for per_type in stats.by_type.values():
        for size, n in per_type.batch_sizes.items():
            merged[size] = merged.get(size, 0) + n
    assert merged == stats.batch_sizes


async def test_outcome_unknown_is_counted_per_type() -> None:
    async with client(Scripted(Reply(500, b"oops"))) as cad:
        with pytest.raises(Exception, match="may have been applied"):
            await cad.call_911(Call911(caller="A", location="X"))
        stats = cad.stats
    assert stats.by_type["CALL_911"].outcome_unknown == stats.outcome_unknown == 1
    assert_types_add_up(stats)


def test_a_collector_needs_a_client_or_a_stats_callable() -> None:
    with pytest.raises(TypeError):
        SonoranCollector()
    cad: Any = object()
    with pytest.raises(TypeError):
        SonoranCollector(cad, stats=lambda: cad.stats)


async def test_a_busy_port_is_an_oserror() -> None:
    registry = CollectorRegistry()
    async with serve_metrics(registry) as url:
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        with pytest.raises(OSError):
            async with serve_metrics(registry, port=port):
                pass

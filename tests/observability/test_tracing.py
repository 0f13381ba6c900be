"""One span per batch request, linked from each caller's span; 429 waits, retries and
reconciliation as its events; nothing recorded when nothing is configured."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
from typing import Any

import pytest
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.trace import SpanKind, StatusCode

from sonoran_async import (
    Call911,
    InvalidApiKeyError,
    RateLimit,
    Reply,
    RetryPolicy,
    SonoranClient,
    _tracing,
)
from sonoran_async.emulator import Emulator
from tests.virtual_clock import VirtualClock

from .conftest import RATE_LIMITED, Scripted, Tracing


def client(transport: Any, **kwargs: Any) -> SonoranClient:
    settings: dict[str, Any] = {
        "transport": transport,
        "rate_limit": RateLimit(per_second=1000, burst=100),
        "clock": VirtualClock(),
        "retry": RetryPolicy(base_delay=0.01, max_delay=0.01),
    }
    settings.update(kwargs)
    return SonoranClient("demo", "demo-key", **settings)


async def create(cad: SonoranClient, tracing: Tracing, caller: str) -> int:
    with tracing.tracer.start_as_current_span(f"handle {caller}"):
        return await cad.call_911(Call911(caller=caller, location="Main St"))


async def test_one_span_per_batch_linked_from_every_caller(tracing: Tracing) -> None:
    async with client(Scripted()) as cad:
        ids = await asyncio.gather(*(create(cad, tracing, name) for name in "ABC"))
    assert sorted(ids) == [1, 2, 3]
    spans = tracing.exporter.get_finished_spans()
    (batch,) = [s for s in spans if s.name == "sonoran CALL_911"]
    callers = {s.name: s for s in spans if s.name.startswith("handle")}
    assert batch.kind is SpanKind.CLIENT
    assert batch.parent is None  # a root of its own: it serves three callers
    assert batch.attributes is not None
    assert batch.attributes["sonoran.request_type"] == "CALL_911"
    assert batch.attributes["sonoran.batch.size"] == 3
    assert batch.attributes["sonoran.attempts"] == 1
    assert batch.attributes["sonoran.outcome"] == "ok"
    assert batch.attributes["sonoran.items.ok"] == 3
    linked = {link.context.span_id for link in batch.links}
    assert linked == {span.context.span_id for span in callers.values()}
    assert batch.status.status_code is StatusCode.UNSET


async def test_429_wait_and_retry_are_events_and_attempts(tracing: Tracing) -> None:
    async with client(Scripted(RATE_LIMITED, Reply(503, b"busy"), "lines")) as cad:
        await create(cad, tracing, "A")
    (batch,) = [s for s in tracing.exporter.get_finished_spans() if s.name.startswith("sonoran")]
    events = {event.name: event.attributes for event in batch.events}
    assert events["rate_limited"] is not None and events["retry"] is not None
    assert events["rate_limited"]["sonoran.request_id"] == "9457fb389b3729164e453e4db4328909"
    assert float(str(events["rate_limited"]["sonoran.wait_s"])) > 0
    assert events["retry"]["sonoran.reason"] == "HTTP 503"
    assert batch.attributes is not None and batch.attributes["sonoran.attempts"] == 3


async def test_a_failed_batch_has_error_status_and_type(tracing: Tracing) -> None:
    async with client(Scripted(Reply(400, b"INVALID API KEY"))) as cad:
        with pytest.raises(InvalidApiKeyError):
            await create(cad, tracing, "A")
    (batch,) = [s for s in tracing.exporter.get_finished_spans() if s.name.startswith("sonoran")]
    assert batch.attributes is not None
    assert batch.attributes["sonoran.outcome"] == "failed"
    assert batch.attributes["error.type"] == "InvalidApiKeyError"
    assert batch.status.status_code is StatusCode.ERROR


async def test_one_refused_object_makes_the_batch_partial(tracing: Tracing) -> None:
    reply = Reply(200, b"EMERGENCY CALL ADDED ID: 1\nERROR: Invalid field location: rejected")
    async with client(Scripted(reply)) as cad:
        results = await asyncio.gather(
            create(cad, tracing, "A"), create(cad, tracing, "B"), return_exceptions=True
        )
    assert results[0] == 1 and isinstance(results[1], Exception)
    (batch,) = [s for s in tracing.exporter.get_finished_spans() if s.name.startswith("sonoran")]
    assert batch.attributes is not None
    assert batch.attributes["sonoran.outcome"] == "partial"
    assert (batch.attributes["sonoran.items.ok"], batch.attributes["sonoran.items.failed"]) == (
        1,
        1,
    )
    assert batch.status.status_code is StatusCode.UNSET


async def test_reconciliation_is_an_event(tracing: Tracing) -> None:
    async with Emulator(multi="all_one_line") as emu:
        cad = SonoranClient("demo", "demo-key", base_url=emu.url, rate_limit=None)
        async with cad:
            await asyncio.gather(*(create(cad, tracing, name) for name in "AB"))
    spans = tracing.exporter.get_finished_spans()
    (batch,) = [s for s in spans if s.name == "sonoran CALL_911"]
    (event,) = [e for e in batch.events if e.name == "reconciliation"]
    assert event.attributes is not None and event.attributes["sonoran.items"] == 2
    assert batch.attributes is not None and batch.attributes["sonoran.outcome"] == "ok"
    assert batch.attributes["sonoran.attempts"] == 1  # the look-up is not an attempt


async def test_without_a_caller_span_there_is_no_link(tracing: Tracing) -> None:
    async with client(Scripted()) as cad:
        await cad.call_911(Call911(caller="A", location="B"))
    (batch,) = tracing.exporter.get_finished_spans()
    assert list(batch.links) == []


def test_nothing_configured_records_nothing_and_a_provider_set_later_is_followed() -> None:
    """In a fresh process: the API's default does nothing; once the application sets a
    provider (after importing the library), spans arrive."""
    code = """
import asyncio
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sonoran_async import Call911, _tracing
from sonoran_async import _tracing
from sonoran_async.emulator import Emulator
from sonoran_async import SonoranClient

async def one(emu):
    async with SonoranClient("demo", "demo-key", base_url=emu.url) as cad:
        await cad.call_911(Call911(caller="A", location="B"))

async def main():
    async with Emulator() as emu:
        await one(emu)
        print("recorded before:", len(_tracing._callers), _tracing._noting)
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        await one(emu)
        print("spans after:", [s.name for s in exporter.get_finished_spans()], _tracing._noting)

asyncio.run(main())
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "recorded before: 0 False" in done.stdout  # no look-up per object either
    assert "spans after: ['sonoran CALL_911'] True" in done.stdout


async def test_a_caller_that_submits_many_objects_is_linked_once(tracing: Tracing) -> None:
    async with client(Scripted()) as cad:
        with tracing.tracer.start_as_current_span("job"):
            futures = [await cad.submit(Call911(caller=f"C{i}", location="X")) for i in range(5)]
            await asyncio.gather(*futures)
    (batch,) = [s for s in tracing.exporter.get_finished_spans() if s.name.startswith("sonoran")]
    assert batch.attributes is not None and batch.attributes["sonoran.batch.size"] == 5
    assert len(batch.links) == 1


async def test_a_failing_tracer_never_keeps_a_result_from_its_caller(
    tracing: Tracing, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        def start_span(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("exporter misconfigured")

    monkeypatch.setattr(_tracing, "_tracer", Broken())
    async with client(Scripted()) as cad:
        assert await create(cad, tracing, "A") == 1
    assert "tracing: no span for a CALL_911 batch" in caplog.text


async def test_a_span_processor_that_raises_at_end_is_logged_not_leaked(
    tracing: Tracing, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A processor's on_end runs inside `span.end()`: its error must not escape the send
    task (an unretrieved task exception) nor keep the next batches from their callers."""

    class Raising(SpanProcessor):
        def on_end(self, span: Any) -> None:
            raise RuntimeError("processor down")

    provider = TracerProvider()
    provider.add_span_processor(Raising())
    monkeypatch.setattr(_tracing, "_tracer", provider.get_tracer(_tracing.SCOPE))
    leaked: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _, context: leaked.append(context))
    async with client(Scripted()) as cad:
        for name in "ABC":
            await create(cad, tracing, name)
    await asyncio.sleep(0)
    gc.collect()  # an unretrieved task exception is reported when the task is collected
    assert leaked == []
    assert caplog.text.count("a span processor failed at the end of a batch span") == 3

"""Observability fixtures: an in-memory span exporter, and a transport that answers from
a script (429 bodies with Sonoran's request_id, problem+json with a traceId)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import attrs
import orjson
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Tracer

from sonoran_async import Reply, TransportError, _tracing


@attrs.define
class Tracing:
    exporter: InMemorySpanExporter
    tracer: Tracer  # for the callers' own spans


@pytest.fixture
def tracing(monkeypatch: pytest.MonkeyPatch) -> Iterator[Tracing]:
    """The library's spans go to memory (its tracer is swapped, the global provider is
    left alone so that no other test records spans)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(_tracing, "_tracer", provider.get_tracer(_tracing.SCOPE))
    monkeypatch.setattr(_tracing, "_provider_set", lambda: True)  # as if set globally
    monkeypatch.setattr(_tracing, "_noting", None)
    yield Tracing(exporter, provider.get_tracer("the-app"))
    provider.shutdown()


RATE_LIMITED = Reply(
    429, b'{"message":"API rate limit exceeded","request_id":"9457fb389b3729164e453e4db4328909"}'
)


class Scripted:
    """Answers each POST with the next scripted reply (a Reply, or "lines": one
    `EMERGENCY CALL ADDED ID` line per object; "reset": a transport failure)."""

    def __init__(self, *script: Reply | str) -> None:
        self.script = list(script)
        self.posts = 0
        self.next_id = 1

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        assert body is not None
        self.posts += 1
        step = self.script.pop(0) if self.script else "lines"
        if step == "reset":
            raise TransportError("connection failed", request_sent=False)
        if isinstance(step, Reply):
            return step
        lines = []
        for _ in orjson.loads(bytes(body))["data"]:
            lines.append(f"EMERGENCY CALL ADDED ID: {self.next_id}")
            self.next_id += 1
        return Reply(200, "\n".join(lines).encode())

    async def aclose(self) -> None:
        return None

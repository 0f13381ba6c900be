"""Spans through the OpenTelemetry API: one per batch request, linked from its callers.

Only `opentelemetry-api` is used (the `[otel]` extra), never the SDK: the application
installs a tracer provider and an exporter. Without the package, or with nothing
configured, every hook here is a check and a return.

Each batch request gets a span `sonoran <REQUEST_TYPE>` (kind CLIENT) from its first send
to its callers' outcomes, retries, 429 waits and reconciliation included. It starts a
trace of its own, since it serves many callers, and carries a link to the span of each
caller that was current when it submitted. While it runs it is the current span, so an
instrumented HTTP client nests its request spans under it.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import weakref
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Final

from ._errors import references_of

try:
    from opentelemetry import context as otel_context
    from opentelemetry import trace
    from opentelemetry.trace import ProxyTracerProvider, SpanKind, StatusCode

    INSTALLED = True
except ImportError:  # the [otel] extra is not installed
    INSTALLED = False

if TYPE_CHECKING:
    from opentelemetry.trace import Span, SpanContext, Tracer

    from ._batch import Batch
    from ._endpoints import Endpoint

#: The instrumentation scope's name, as in `trace.get_tracer(...)`.
SCOPE: Final = "sonoran_async"

#: Submitted futures -> the span context of the caller that submitted them.
_callers: weakref.WeakKeyDictionary[asyncio.Future[Any], SpanContext] = weakref.WeakKeyDictionary()
_tracer: Tracer | None = None
logger = logging.getLogger("sonoran_async")
#: Whether the application has set a tracer provider, i.e. whether callers' spans are
#: looked up at submit (half a microsecond per object) and batch spans made: found out at
#: the first submit, and until it is set again at every batch (it may be set any time).
_noting: bool | None = None if INSTALLED else False


_current: ContextVar[_BatchTrace | None] = ContextVar("sonoran_async_batch", default=None)


class _BatchTrace:
    """The span of the batch being sent in this task, and what it has seen so far."""

    __slots__ = ("attempts", "otel_token", "reconciling", "size", "span", "token")

    def __init__(self, span: Span, size: int) -> None:
        self.span = span
        self.size = size
        self.attempts = 1
        self.reconciling = False
        self.otel_token = otel_context.attach(trace.set_span_in_context(span))
        self.token = _current.set(self)


def _get_tracer() -> Tracer:
    global _tracer
    if _tracer is None:
        try:
            version: str | None = importlib.metadata.version("sonoran-async")
        except importlib.metadata.PackageNotFoundError:  # run from a source tree
            version = None
        # A proxy until the application sets a provider; it follows the provider then.
        _tracer = trace.get_tracer(SCOPE, version)
    return _tracer


def _provider_set() -> bool:
    """The application has set a tracer provider (the API's default is a proxy)."""
    return not isinstance(trace.get_tracer_provider(), ProxyTracerProvider)


def note_caller(future: asyncio.Future[Any]) -> None:
    """At submit: remember the caller's current span, for the batch span's link."""
    global _noting
    if _noting is None:
        _noting = _provider_set()
    if not _noting:
        return
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        _callers[future] = span_context


def batch_started(endpoint: Endpoint[Any, Any], batch: Batch) -> _BatchTrace | None:
    """Open the batch's span and make it current; None when nothing records spans."""
    global _noting
    if not _noting:  # a set provider stays set: only an unset one is checked again
        _noting = INSTALLED and _provider_set()
        if not _noting:
            return None  # the API's default records nothing
    try:
        return _start(endpoint, batch)
    except Exception:  # a tracing SDK's failure must never keep a batch from its callers
        logger.exception("tracing: no span for a %s batch", endpoint.request_type)
        return None


def _start(endpoint: Endpoint[Any, Any], batch: Batch) -> _BatchTrace | None:
    # One link per caller span: a caller that submitted many objects is linked once.
    callers = {
        span_context.span_id: span_context
        for item in batch.items
        if (span_context := _callers.get(item.future)) is not None
    }
    links = [trace.Link(span_context) for span_context in callers.values()]
    span = _get_tracer().start_span(
        f"sonoran {endpoint.request_type}",
        context=otel_context.Context(),  # a root: the callers are linked, not parents
        kind=SpanKind.CLIENT,
        links=links,
        attributes={
            "sonoran.request_type": endpoint.request_type,
            "sonoran.batch.size": len(batch),
        },
    )
    if not span.is_recording():  # e.g. not sampled
        return None
    return _BatchTrace(span, len(batch))


def rate_limited(delay: float, request_id: str | None) -> None:
    """A 429 is waited out before the same request is sent again: an event."""
    state = _current.get()
    if state is None:
        return
    attributes: dict[str, str | float] = {"sonoran.wait_s": delay}
    if request_id is not None:
        attributes["sonoran.request_id"] = request_id
    state.span.add_event("rate_limited", attributes)
    if not state.reconciling:
        state.attempts += 1


def retry(why: str, failures: int, delay: float) -> None:
    """A transport failure or 5xx is backed off from before a re-send: an event."""
    state = _current.get()
    if state is None:
        return
    state.span.add_event(
        "retry", {"sonoran.reason": why, "sonoran.failures": failures, "sonoran.wait_s": delay}
    )
    if not state.reconciling:
        state.attempts += 1


def reconciliation(items: int) -> None:
    """An ambiguous reply is settled through GET_CALLS look-ups: an event."""
    state = _current.get()
    if state is None:
        return
    state.span.add_event("reconciliation", {"sonoran.items": items})
    state.reconciling = True


def batch_ended(state: _BatchTrace | None, batch: Batch) -> None:
    """Close the batch's span with its attempts and its callers' outcome."""
    if state is None:
        return
    try:
        _describe(state, batch)
    finally:
        _current.reset(state.token)
        otel_context.detach(state.otel_token)
        try:
            state.span.end()  # the SDK's span processors run here
        except Exception:  # theirs to fix; the batch's callers already have their outcome
            logger.exception("tracing: a span processor failed at the end of a batch span")


def _describe(state: _BatchTrace, batch: Batch) -> None:
    span = state.span
    # Items handed on to another request (re-sent alone) are that request's business.
    settled = sum(1 for item in batch.items if item.future.done())
    ok = settled - batch.failed - sum(1 for item in batch.items if item.future.cancelled())
    span.set_attribute("sonoran.attempts", state.attempts)
    span.set_attribute("sonoran.items.ok", ok)
    span.set_attribute("sonoran.items.failed", batch.failed)
    span.set_attribute("sonoran.items.handed_on", state.size - len(batch.items))
    error = batch.error
    if error is None:
        span.set_attribute("sonoran.outcome", "ok")
        return
    span.set_attribute("sonoran.outcome", "failed" if ok == 0 else "partial")
    span.set_attribute("error.type", type(error).__name__)
    for name, value in references_of(error).items():
        span.set_attribute(f"sonoran.{name}", value)
    if ok == 0:
        span.set_status(StatusCode.ERROR, f"{type(error).__name__}: {error}")

"""`SonoranClient`: typed methods over one lane per request type."""

from __future__ import annotations

import asyncio
import logging
import unicodedata
import warnings
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Final, Self, TypeVar

import aiohttp
import attrs

from ._batch import Item
from ._cache import SnapshotCache
from ._clock import SYSTEM_CLOCK, Clock
from ._delivery import Delivery
from ._endpoints import ENDPOINTS, FOR_REQUEST, GET_CALLS, Endpoint, describe_requests
from ._enums import Plan
from ._errors import (
    ClientClosedError,
    EndpointNotEnabledError,
    QueueFullError,
    SonoranError,
    ValidationError,
)
from ._flow import PendingBudget
from ._lane import Lane
from ._live_methods import LiveMethods
from ._lookup_cache import LookupCacheSetting
from ._methods import EndpointMethods
from ._models import Request
from ._parts import Parts, Route
from ._policies import BatchPolicy, RateLimit, ReconcilePolicy, RetryPolicy
from ._ratelimit import Limiter
from ._reconcile import Reconciler
from ._state import ClientState, Lifecycle
from ._stats import ClientStats, Counters
from ._tokens import Tokens
from ._tracing import note_caller
from ._transport import AiohttpTransport, PostTransport, Transport
from ._versions import V2Budgets, limiter_for, transport_for, wire_for

logger = logging.getLogger("sonoran_async")

DEFAULT_BASE_URL: Final = "https://api.sonorancad.com"
_DEFAULT_TIMEOUT: Final = 30.0
_UNSET: Any = object()
_Future = asyncio.Future
ResultT = TypeVar("ResultT")

#: Retries off: one attempt, and a 429 fails at once.
_NO_RETRY: Final = RetryPolicy(max_attempts=1, max_rate_limit_wait=0.0)


class _Key:
    """The API key, held so that no repr, log or frame local shows it."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<api key>"


def _has_control_character(text: str) -> bool:
    """Whether `text` holds a control (or other non-printing format) character."""
    return any(unicodedata.category(char)[0] == "C" for char in text)


def _above_plan(endpoint: Endpoint[Any, Any], plan: Plan) -> EndpointNotEnabledError:
    error = EndpointNotEnabledError(0, "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY")
    error.add_note(
        f"refused before sending: {endpoint.plan_needed}, "
        f"and the community's plan is {plan.name.replace('_', ' ')}"
    )
    return error


class SonoranClient(LiveMethods, EndpointMethods):
    """An asyncio client for the Sonoran CAD v1 emergency API, batching as it goes.

    Concurrent calls of one request type are sent together in one `data` array; each
    caller still gets its own result or its own error. See the README for the contract.
    `None` turns a knob off: `batch=None` (one object per request), `rate_limit=None`
    (no limiter), `retry=None` (no retries), `reconcile=None` (no GET_CALLS look-ups).
    `api_version=2` speaks the v2 REST API instead (README: "v1 or v2").
    """

    def __init__(
        self,
        community_id: str,
        api_key: str,
        *,
        base_url: str = _UNSET,
        server_id: int = 1,
        batch: BatchPolicy | None = BatchPolicy(),  # noqa: B008 (frozen, shared safely)
        rate_limit: RateLimit | V2Budgets | Limiter | None = _UNSET,
        retry: RetryPolicy | None = RetryPolicy(),  # noqa: B008
        reconcile: ReconcilePolicy | None = ReconcilePolicy(),  # noqa: B008
        batch_overrides: Mapping[str, BatchPolicy] | None = None,
        plan: Plan | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float | None = _UNSET,
        delivery_timeout: float | None = _UNSET,
        close_timeout: float = 10.0,
        transport: Transport | PostTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
        api_version: int = 1,
        calls_cache_max_age: float | None = None,
        lookup_cache: LookupCacheSetting = None,
    ) -> None:
        key = _Key(api_key)
        del api_key  # from here on only in `key`, whose repr hides it
        if not isinstance(community_id, str) or not community_id:
            raise ValidationError("community_id", "must be a non-empty str")
        if not isinstance(key.value, str) or not key.value:
            raise ValidationError("api_key", "must be a non-empty str")
        if _has_control_character(key.value):
            raise ValidationError(
                "api_key", "contains a control character (a trailing newline?); not shown"
            )
        if isinstance(server_id, bool) or not isinstance(server_id, int) or server_id < 0:
            raise ValidationError("server_id", f"must be an int >= 0, got {server_id!r}")
        policy = batch if batch is not None else BatchPolicy(max_items=1)
        if delivery_timeout is not _UNSET:
            warnings.warn(
                "SonoranClient(delivery_timeout=...) is deprecated; use "
                "BatchPolicy(delivery_timeout=...)",
                DeprecationWarning,
                stacklevel=2,
            )
            policy = attrs.evolve(policy, delivery_timeout=delivery_timeout)
        if transport is not None:
            given = [
                name
                for name, value in (
                    ("base_url", base_url),
                    ("session", session),
                    ("timeout", timeout),
                )
                if value is not _UNSET and value is not None
            ]
            if given:
                raise TypeError(
                    f"transport= replaces HTTP entirely; {', '.join(given)} would be ignored"
                )
        wire = self._wire = wire_for(api_version, community_id, key, server_id)
        base_url = DEFAULT_BASE_URL if base_url is _UNSET else base_url
        self._calls_cache = (
            SnapshotCache(calls_cache_max_age, clock) if calls_cache_max_age is not None else None
        )
        self.api_version = api_version
        self._now = clock.monotonic
        self._live_init(lookup_cache, clock)
        self._community_id = community_id
        self._base_url = base_url
        self._server_id = server_id
        self._policy = policy
        self._transport: Transport = (
            transport_for(transport, wire)
            if transport is not None
            else AiohttpTransport(
                base_url,
                session=session,
                timeout=_DEFAULT_TIMEOUT if timeout is _UNSET else timeout,
            )
        )
        self._close_timeout = close_timeout
        self._counters = Counters()
        self._limiter = limiter_for(
            rate_limit, wire, clock, unset=_UNSET, community_id=community_id
        )
        retry_policy = retry if retry is not None else _NO_RETRY
        self._lifecycle = Lifecycle(self._fail_queued)
        self._delivery = Delivery(
            self._transport,
            self._limiter,
            retry_policy,
            self._counters,
            clock=clock,
            secret=key.value.encode(),
            stopped=self._lifecycle.stopped,
            buckets=wire.buckets,
        )
        if not wire.learns_multi_object:
            reconcile = None  # creates never share a request (v2): nothing to look up
        self._token_key = reconcile.token_key if reconcile is not None else None
        tokens = Tokens(self._token_key) if self._token_key is not None else None
        reconciler = (
            Reconciler(
                self._delivery.exchange,
                wire.prefixes[GET_CALLS.request_type],
                self._token_key,
                policy=reconcile,
                clock=clock,
                scrub=self._delivery.scrub,
            )
            if reconcile is not None
            else None
        )
        self._pending = PendingBudget(policy.max_pending)
        self._plan = plan
        self._lanes: dict[str, Lane] = {}
        self._routes: dict[type[Any], Route] = {}
        unknown = set(batch_overrides or ()) - {e.request_type for e in ENDPOINTS}
        if unknown:
            raise ValueError(f"batch_overrides names unknown request types: {sorted(unknown)}")
        parts = Parts(
            wire,
            self._delivery,
            reconciler,
            tokens,
            self._counters,
            self._lifecycle,
            self._limiter,
            self._pending,
            clock,
            retry_policy.max_rate_limit_wait,
        )
        for endpoint in ENDPOINTS:
            if not wire.supports(endpoint):
                continue
            own = (batch_overrides or {}).get(endpoint.request_type)
            if own is None:
                own = endpoint.batch if batch is not None and endpoint.batch else policy
            route = parts.route(endpoint, own)
            self._lanes[endpoint.request_type] = route.lane
            self._routes[endpoint.request] = route

    def __repr__(self) -> str:  # the key stays out; a half-built client has a repr too
        lifecycle = getattr(self, "_lifecycle", None)
        state = lifecycle.state.value if lifecycle is not None else "unbuilt"
        return (
            f"<SonoranClient community_id={getattr(self, '_community_id', None)!r} "
            f"base_url={getattr(self, '_base_url', None)!r} "
            f"server_id={getattr(self, '_server_id', None)} "
            f"api_version={getattr(self, 'api_version', None)} state={state}>"
        )

    @property
    def state(self) -> ClientState:
        return self._lifecycle.state

    # --- the bulk path -----------------------------------------------------------------

    async def submit(self, request: Request[ResultT]) -> asyncio.Future[ResultT]:
        """Queue one request and return its future at once: no task per item.

        This is the path for ingestion jobs: submit thousands, then await the futures
        (or `asyncio.gather` them). It only suspends when `max_pending` items are
        already queued (`on_full="block"`); with `on_full="error"` it raises
        QueueFullError instead. The future's result is what the request's endpoint
        answers: the new id for a create, a CallsSnapshot for CallsQuery, None otherwise.
        """
        route = self._routes.get(type(request))
        if route is None:
            raise self._not_taken(request)
        lane = route.lane
        single_flight = route.single_flight
        if single_flight and (shares := route.endpoint.shares) is not None:
            single_flight = shares(request)  # a lookup that notifies a user is never shared
        loop = asyncio.get_running_loop()
        if not self._lifecycle.is_open_in(loop):
            self._lifecycle.check_open()
        if self._plan is not None and route.endpoint.plan > self._plan:
            raise _above_plan(route.endpoint, self._plan)
        payload, token = route.encode(request)
        if len(payload) > route.max_payload:
            lane.refuse_size(payload)
        shares_replies = single_flight or self._calls_cache is not None
        if shares_replies and (ready := self._ready(route, payload, single_flight)) is not None:
            return ready
        if not self._pending.try_take():
            await self._wait_for_room()
        # The Future class itself, not loop.create_future(): no Python frame per item.
        future: asyncio.Future[Any] = _Future(loop=loop)
        note_caller(future)  # the batch's span links to the caller's (OpenTelemetry)
        lane.put(Item(payload, request, token, future, self._now() if route.stamps else 0.0))
        if shares_replies:
            return self._share(route, payload, future, single_flight)
        return future

    def _ready(
        self, route: Route, payload: bytes, single_flight: bool
    ) -> asyncio.Future[Any] | None:
        """A query's answer without queuing it: a fresh cached snapshot, or a share of an
        identical query already queued or in flight (single flight)."""
        if not single_flight:
            return None
        cache = self._calls_cache
        snapshots = route.endpoint is GET_CALLS  # the only kind the cache keeps
        if cache is not None and snapshots and (cached := cache.get(payload)) is not None:
            return cached
        return route.lane.shared(payload)

    def _share(
        self, route: Route, payload: bytes, future: asyncio.Future[Any], single_flight: bool
    ) -> asyncio.Future[Any]:
        cache = self._calls_cache
        if cache is not None and route.endpoint is GET_CALLS:
            cache.remember(payload, future)
        elif cache is not None and not single_flight:  # a change of ours
            cache.watch(future)
        if not single_flight:
            return future
        # Callers share the queued future through children, so that one caller's
        # cancellation never cancels the others'.
        child = route.lane.shared(payload)
        assert child is not None
        return child

    async def _wait_for_room(self) -> None:
        """`max_pending` items are queued: wait for room, or refuse (`on_full="error"`)."""
        if self._policy.on_full == "error":
            raise QueueFullError(f"{self._policy.max_pending} items already queued")
        await self._pending.take()
        try:
            self._lifecycle.check_open()  # it may have closed while we waited
        except (SonoranError, RuntimeError):
            self._pending.give_back(1)
            raise

    @property
    def plan(self) -> Plan | None:
        """The plan the client checks endpoints against: given, or from get_version()."""
        return self._plan

    def _remember_plan(self, plan: Plan) -> None:
        self._plan = plan

    async def _call(self, request: Request[ResultT], kind: type[Any]) -> ResultT:
        if not isinstance(request, kind):
            raise TypeError(f"expected a {kind.__name__}, got {type(request).__name__}")
        result: ResultT = await (await self.submit(request))
        return self._wrote(request, result)  # a live mirror applies the client's own writes

    # --- lifecycle ---------------------------------------------------------------------

    @property
    def stats(self) -> ClientStats:
        return ClientStats.of(self._counters, (lane.report() for lane in self._lanes.values()))

    async def flush(self) -> None:
        """Send everything queued now and wait until every reply is in."""
        await asyncio.gather(*(lane.drain() for lane in self._lanes.values()))

    async def aclose(self, *, flush: bool = True) -> None:
        """Flush, wait for requests in flight up to `close_timeout`, then close.

        Whatever is still queued after the deadline, or waiting out a 429 or a backoff,
        fails with ClientClosedError; a create request cut off while awaiting its reply
        fails with OutcomeUnknownError. With `flush=False` nothing more is sent: what is
        queued fails with ClientClosedError at once (it was never sent), and only the
        requests already on the wire are waited for (an interrupted job's clean stop).
        """
        if not self._lifecycle.begin_close():
            return
        closed = ClientClosedError("client closed before the request was sent")
        if not flush:
            self._lifecycle.halt(closed)
        lanes = self._lanes.values()
        try:
            # flush() is a coroutine: cancelled, its gather's error is retrieved, not logged.
            await asyncio.wait_for(self.flush(), self._close_timeout)
        except TimeoutError:
            logger.warning("close: deadline of %ss reached with work left", self._close_timeout)
        finally:
            await asyncio.gather(*(lane.abort(closed) for lane in lanes))
            await self._transport.aclose()
            await self._limiter.aclose()
            self._lifecycle.closed()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _not_taken(self, request: object) -> TypeError:
        endpoint = FOR_REQUEST.get(type(request))
        if endpoint is not None:
            return TypeError(
                f"{endpoint.request_type} is not part of API version {self.api_version}"
            )
        return TypeError(f"submit() takes {describe_requests()}, got {type(request).__name__}")

    def _fail_queued(self, error: SonoranError) -> None:
        for lane in self._lanes.values():
            lane.fail_queued(error)

"""`SonoranClient`: typed methods over one lane per request type."""

from __future__ import annotations

import asyncio
import copy
import logging
from types import TracebackType
from typing import Any, Self, overload

import aiohttp
import attrs

from . import _codec
from ._batching import Lane, PendingBudget
from ._delivery import Counters, Delivery
from ._endpoints import BY_REQUEST, ENDPOINTS
from ._errors import ApiError, ClientClosedError, QueueFullError, SonoranError, ValidationError
from ._models import (
    Call911,
    CallsQuery,
    CallsSnapshot,
    CallType,
    CloseCall,
    DispatchEdit,
    NewDispatch,
    Remove911,
    Request,
)
from ._policies import BatchPolicy, RateLimit, RetryPolicy
from ._ratelimit import Limiter, LocalLimiter
from ._transport import AiohttpTransport, Transport

logger = logging.getLogger("sonoran_async")

DEFAULT_BASE_URL = "https://api.sonorancad.com"


@attrs.frozen(kw_only=True)
class ClientStats:
    """A snapshot of what the client has done so far."""

    requests: int  # HTTP requests sent, retries and re-sends included
    items: int  # objects handed to the server (a retried batch counts once)
    retries: int  # re-sends after a transport failure or 5xx
    rate_limited: int  # 429 replies waited out
    resent: int  # objects re-sent alone after a reply had no line for them
    outcome_unknown: int  # create objects that may or may not have been applied
    pending: int  # queued, not yet sent
    in_flight: int  # requests awaiting a reply
    batch_sizes: dict[int, int]  # objects per request -> number of requests
    single_object_lanes: tuple[str, ...]  # request types sending one object per request

    @property
    def mean_batch_size(self) -> float:
        batches = sum(self.batch_sizes.values())
        return self.items / batches if batches else 0.0


class SonoranClient:
    """An asyncio client for the Sonoran CAD v1 emergency API, batching as it goes.

    Concurrent calls of one request type are sent together in one `data` array; each
    caller still gets its own result or its own error. See the README for the contract.
    """

    def __init__(
        self,
        community_id: str,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        server_id: int = 1,
        batch: BatchPolicy | None = None,
        rate_limit: RateLimit | Limiter | None = RateLimit(),  # noqa: B008 (frozen, shared safely)
        retry: RetryPolicy | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float | None = 30.0,
        delivery_timeout: float | None = None,
        close_timeout: float = 10.0,
        transport: Transport | None = None,
    ) -> None:
        if not isinstance(community_id, str) or not community_id:
            raise ValidationError("community_id", "must be a non-empty str")
        if not isinstance(api_key, str) or not api_key:
            raise ValidationError("api_key", "must be a non-empty str")
        if isinstance(server_id, bool) or not isinstance(server_id, int) or server_id < 0:
            raise ValidationError("server_id", f"must be an int >= 0, got {server_id!r}")
        self._community_id = community_id
        self._base_url = base_url
        self._server_id = server_id
        self._policy = batch or BatchPolicy()
        self._transport: Transport = transport or AiohttpTransport(
            base_url, session=session, timeout=timeout
        )
        self._close_timeout = close_timeout
        self._delivery_timeout = delivery_timeout
        self._counters = Counters()
        self._limiter: Limiter = (
            LocalLimiter(rate_limit)
            if rate_limit is None or isinstance(rate_limit, RateLimit)
            else rate_limit
        )
        self._delivery = Delivery(
            self._transport,
            self._limiter,
            retry or RetryPolicy(),
            self._counters,
            fatal=lambda: self._fatal,
        )
        self._pending = PendingBudget(self._policy.max_pending)
        self._lanes = {
            endpoint.request_type: Lane(
                endpoint,
                _codec.envelope_prefix(community_id, api_key, endpoint.request_type),
                self._policy,
                delivery=self._delivery,
                limiter=self._limiter,
                counters=self._counters,
                pending=self._pending,
                on_fatal=self._stop,
                delivery_timeout=delivery_timeout,
            )
            for endpoint in ENDPOINTS
        }
        self._fatal: ApiError | None = None
        self._closed = False

    def __repr__(self) -> str:  # the key stays out
        return (
            f"<SonoranClient community_id={self._community_id!r} base_url={self._base_url!r} "
            f"server_id={self._server_id}>"
        )

    # --- the bulk path -----------------------------------------------------------------

    @overload
    async def submit(self, request: Call911 | NewDispatch) -> asyncio.Future[int]: ...
    @overload
    async def submit(self, request: CallsQuery) -> asyncio.Future[CallsSnapshot]: ...
    @overload
    async def submit(
        self, request: DispatchEdit | Remove911 | CloseCall
    ) -> asyncio.Future[None]: ...

    async def submit(self, request: Request) -> asyncio.Future[Any]:
        """Queue one request and return its future at once: no task per item.

        This is the path for ingestion jobs: submit thousands, then await the futures
        (or `asyncio.gather` them). It only suspends when `max_pending` items are
        already queued (`on_full="block"`); with `on_full="error"` it raises
        QueueFullError instead. Results: the new id (Call911, NewDispatch), a
        CallsSnapshot (CallsQuery), None for the rest.
        """
        endpoint = BY_REQUEST.get(type(request))
        if endpoint is None:
            raise TypeError(
                "submit() takes Call911, NewDispatch, DispatchEdit, Remove911, CloseCall or "
                f"CallsQuery, got {type(request).__name__}"
            )
        self._check_open()
        lane = self._lanes[endpoint.request_type]
        payload = _codec.encode_object(request, self._server_id)
        lane.check_size(payload)
        if not endpoint.coalesce and (shared := lane.shared(payload)) is not None:
            return shared
        if not self._pending.try_take():
            if self._policy.on_full == "error":
                raise QueueFullError(f"{self._policy.max_pending} items already queued")
            await self._pending.take()
            try:
                self._check_open()  # it may have closed while we waited
            except SonoranError:
                self._pending.give_back(1)
                raise
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        lane.put(payload, future)
        if not endpoint.coalesce:
            # Callers share the queued future through children, so that one caller's
            # cancellation never cancels the others'.
            shared = lane.shared(payload)
            assert shared is not None
            return shared
        return future

    # --- the typed API -----------------------------------------------------------------

    async def call_911(self, call: Call911) -> int:
        """Send a 911 call; returns the new emergency call's id."""
        _expect(call, Call911)
        return await (await self.submit(call))

    async def new_dispatch(self, dispatch: NewDispatch) -> int:
        """Create a dispatch call; returns its id."""
        _expect(dispatch, NewDispatch)
        return await (await self.submit(dispatch))

    async def edit_dispatch(self, edit: DispatchEdit) -> None:
        """Change the fields set on `edit` (only those are sent)."""
        _expect(edit, DispatchEdit)
        await (await self.submit(edit))

    async def remove_911(self, call_id: int, *, server_id: int | None = None) -> None:
        """Remove an emergency (911) call."""
        await (await self.submit(Remove911(call_id=call_id, server_id=server_id)))

    async def close_call(self, call_id: int, *, server_id: int | None = None) -> None:
        """Close a dispatch call (it moves to the closed list)."""
        await (await self.submit(CloseCall(call_id=call_id, server_id=server_id)))

    async def get_calls(
        self,
        *,
        server_id: int | None = None,
        closed_limit: int = 10,
        closed_offset: int = 0,
        call_type: CallType = CallType.ALL,
    ) -> CallsSnapshot:
        """Active dispatch calls, active 911 calls and a page of closed calls."""
        query = CallsQuery(
            server_id=server_id,
            closed_limit=closed_limit,
            closed_offset=closed_offset,
            call_type=call_type,
        )
        return await (await self.submit(query))

    # --- lifecycle ---------------------------------------------------------------------

    @property
    def stats(self) -> ClientStats:
        c = self._counters
        lanes = self._lanes.values()
        return ClientStats(
            requests=c.requests,
            items=c.items,
            retries=c.retries,
            rate_limited=c.rate_limited,
            resent=c.resent,
            outcome_unknown=c.outcome_unknown,
            pending=sum(lane.queued for lane in lanes),
            in_flight=sum(lane.in_flight for lane in lanes),
            batch_sizes=dict(sorted(c.batch_sizes.items())),
            single_object_lanes=tuple(
                lane.endpoint.request_type
                for lane in lanes
                if lane.single and lane.endpoint.coalesce
            ),
        )

    async def flush(self) -> None:
        """Send everything queued now and wait until every reply is in."""
        await asyncio.gather(*(lane.drain() for lane in self._lanes.values()))

    async def aclose(self) -> None:
        """Flush, wait for requests in flight up to `close_timeout`, then close.

        Whatever is still queued after the deadline, or waiting out a 429 or a backoff,
        fails with ClientClosedError; a create request cut off while awaiting its reply
        fails with OutcomeUnknownError.
        """
        if self._closed:
            return
        self._closed = True
        lanes = self._lanes.values()
        try:
            await asyncio.wait_for(
                asyncio.gather(*(lane.drain() for lane in lanes)),
                self._close_timeout,
            )
        except TimeoutError:
            logger.warning("close: deadline of %ss reached with work left", self._close_timeout)
        finally:
            await asyncio.gather(*(lane.abort() for lane in lanes))
            await self._transport.aclose()
            await self._limiter.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- internals ---------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._fatal is not None:
            raise copy.copy(self._fatal)
        if self._closed:
            raise ClientClosedError("the client is closed")

    def _stop(self, error: ApiError) -> None:
        """A fatal error: send nothing more, fail everything queued with the same error."""
        if self._fatal is not None:
            return
        self._fatal = error
        logger.warning("stopping: the server answered %r; no further requests", error.text)
        for lane in self._lanes.values():
            lane.fail_queued(error)


def _expect(value: object, kind: type) -> None:
    if not isinstance(value, kind):
        raise TypeError(f"expected a {kind.__name__}, got {type(value).__name__}")

"""Lanes: one queue per request type, coalescing objects into one `data` array.

A lane flushes when it is full (`max_items` or `max_bytes`), when its oldest item has
waited `max_delay`, or, with `max_delay=0`, at the end of the loop tick in which items
arrived. While every in-flight slot is busy or the rate limiter has no token, items keep
accumulating and leave together: under load, batches grow by themselves.

Per item the hot path is one deque append and one future; no task, no log record.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from . import _codec
from ._delivery import BUCKET, Attempt, Counters, Delivery
from ._endpoints import Endpoint
from ._errors import (
    ENVELOPE_ERRORS,
    ApiError,
    ClientClosedError,
    DeliveryTimeoutError,
    EndpointNotEnabledError,
    OutcomeUnknownError,
    ProtocolError,
    SonoranError,
    ValidationError,
    error_from_reply,
    is_error_line,
)
from ._policies import BatchPolicy
from ._ratelimit import Limiter

logger = logging.getLogger("sonoran_async")


class Item:
    __slots__ = ("enqueued_at", "future", "payload")

    def __init__(self, payload: bytes, future: asyncio.Future[Any], enqueued_at: float) -> None:
        self.payload = payload
        self.future = future
        self.enqueued_at = enqueued_at


class PendingBudget:
    """Room left under `max_pending`, shared by every lane of a client.

    The idea of asyncio.Semaphore, but O(1) per item: Semaphore scans its waiters on
    every `locked()` and `acquire()`, a measurable cost on the hot path, and releases one
    at a time where a batch gives back hundreds of slots at once.
    """

    def __init__(self, size: int) -> None:
        self.free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    def try_take(self) -> bool:
        if self.free > 0 and not self._waiters:
            self.free -= 1
            return True
        return False

    async def take(self) -> None:
        """Wait for a slot, in arrival order (a slot is handed over, not re-counted)."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give_back(1)  # handed a slot, but cancelled before using it
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise

    def give_back(self, count: int) -> None:
        waiters = self._waiters
        while count and waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                count -= 1
        self.free += count


def resolve(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():
        future.set_result(result)


def fail(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


class Lane:
    def __init__(
        self,
        endpoint: Endpoint,
        prefix: bytes,
        policy: BatchPolicy,
        *,
        delivery: Delivery,
        limiter: Limiter,
        counters: Counters,
        pending: PendingBudget,
        on_fatal: Callable[[ApiError], None],
        delivery_timeout: float | None,
    ) -> None:
        self.endpoint = endpoint
        self._prefix = prefix
        self._policy = policy
        self._delivery = delivery
        self._limiter = limiter
        self._counters = counters
        self._pending = pending
        self._on_fatal = on_fatal
        self._delivery_timeout = delivery_timeout
        # Coalescing off for this type, or switched off after a short reply.
        self.single = not endpoint.coalesce or policy.max_items == 1
        self._queue: deque[Item] = deque()
        self._resend: deque[Item] = deque()  # already counted out of `pending`
        self._queued_bytes = 0
        self._slots = asyncio.Semaphore(policy.max_in_flight)
        self._pump: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._expiry: asyncio.TimerHandle | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._shared: dict[bytes, asyncio.Future[Any]] = {}
        self._flushing = 0  # flush()/aclose() calls under way: send now, ignore max_delay

    # --- enqueue -------------------------------------------------------------------------

    def check_size(self, payload: bytes) -> None:
        size = len(self._prefix) + len(payload) + len(_codec.ENVELOPE_SUFFIX)
        if size > self._policy.max_bytes:
            raise ValidationError(
                "request", f"encodes to {size} bytes, over max_bytes={self._policy.max_bytes}"
            )

    def shared(self, payload: bytes) -> asyncio.Future[Any] | None:
        """Single flight: an identical object already queued or in flight, if any."""
        parent = self._shared.get(payload)
        if parent is None:
            return None
        child: asyncio.Future[Any] = parent.get_loop().create_future()
        parent.add_done_callback(lambda done: _copy_outcome(done, child))
        return child

    def put(self, payload: bytes, future: asyncio.Future[Any]) -> None:
        """Queue an item (its `pending` slot is already taken) and arrange a flush."""
        self._queue.append(Item(payload, future, time.monotonic()))
        self._queued_bytes += len(payload) + 1
        if not self.endpoint.coalesce:
            self._shared[payload] = future
            future.add_done_callback(lambda done: self._forget_shared(payload, done))
        if self._delivery_timeout is not None and self._expiry is None:
            self._arm_expiry(self._delivery_timeout)
        if self._pump is not None:
            return  # the running pump takes it
        if self._is_due():
            # The new task's first step runs after everything else already scheduled in
            # this tick, so items enqueued together (a gather) leave together.
            self._start_pump()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._policy.max_delay, self._kick)

    def _forget_shared(self, payload: bytes, done: asyncio.Future[Any]) -> None:
        if self._shared.get(payload) is done:  # not a newer identical query's entry
            del self._shared[payload]

    # --- flushing ------------------------------------------------------------------------

    def _is_due(self) -> bool:
        if self._resend:
            return True
        if not self._queue:
            return False
        policy = self._policy
        return (
            self._flushing > 0
            or self.single
            or policy.max_delay == 0
            or len(self._queue) >= policy.max_items
            or self._queued_bytes + len(self._prefix) >= policy.max_bytes
            or time.monotonic() - self._queue[0].enqueued_at >= policy.max_delay
        )

    def _kick(self) -> None:
        self._timer = None
        if self._pump is None and (self._queue or self._resend):
            self._start_pump()

    def _start_pump(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pump = asyncio.get_running_loop().create_task(self._run_pump())

    async def _run_pump(self) -> None:
        try:
            while self._queue or self._resend:
                if not self._is_due():
                    wait = self._policy.max_delay - (time.monotonic() - self._queue[0].enqueued_at)
                    loop = asyncio.get_running_loop()
                    self._timer = loop.call_later(max(wait, 0.0), self._kick)
                    return
                await self._slots.acquire()
                try:
                    await self._limiter.acquire(BUCKET, math.inf)
                except BaseException:
                    self._slots.release()
                    raise
                batch = self._take()
                if not batch:
                    self._slots.release()
                    continue
                task = asyncio.get_running_loop().create_task(self._send(batch))
                self._sending.add(task)
                task.add_done_callback(self._sending.discard)
        finally:
            self._pump = None

    def _take(self) -> list[Item]:
        """The next batch: re-sends first (one each), then up to the size limits."""
        while self._resend:
            item = self._resend.popleft()
            if not item.future.done():
                return [item]
        limit = 1 if self.single else self._policy.max_items
        room = self._policy.max_bytes - len(self._prefix) - len(_codec.ENVELOPE_SUFFIX)
        batch: list[Item] = []
        taken = 0
        queue = self._queue
        while queue and len(batch) < limit:
            item = queue[0]
            size = len(item.payload) + 1
            live = not item.future.done()  # a cancelled or expired item is dropped, unsent
            if live and batch and size > room:
                break
            queue.popleft()
            taken += 1
            self._queued_bytes -= size
            if live:
                room -= size
                batch.append(item)
        if taken:
            self._pending.give_back(taken)
        return batch

    # --- sending and fan-out -------------------------------------------------------------

    async def _send(self, batch: list[Item]) -> None:
        attempt = Attempt()
        try:
            body = _codec.assemble(self._prefix, [item.payload for item in batch])
            reply = await self._delivery.exchange(self.endpoint, body, len(batch), attempt)
            if reply.status >= 400:
                self._fan_out_error(batch, reply.status, reply.body.decode("utf-8", "replace"))
            else:
                self._fan_out(batch, reply.status, reply.body)
        except SonoranError as exc:
            for item in batch:
                fail(item.future, _clone(exc))
        except asyncio.CancelledError:
            # Only aclose() cancels a send, once its deadline has passed.
            for item in batch:
                fail(item.future, self._cut_off_error(attempt.on_wire))
            raise
        except Exception as exc:  # a bug must not leave callers waiting forever
            logger.exception("%s: unexpected error while sending", self.endpoint.request_type)
            for item in batch:
                fail(item.future, ProtocolError(f"{type(exc).__name__}: {exc}"))
        finally:
            self._slots.release()

    def _cut_off_error(self, on_wire: bool) -> SonoranError:
        if on_wire and not self.endpoint.idempotent:
            return OutcomeUnknownError(
                f"{self.endpoint.request_type}: client closed while the request was in "
                "flight; it may have been applied"
            )
        if on_wire:
            return ClientClosedError(f"{self.endpoint.request_type}: client closed in flight")
        return ClientClosedError(
            f"{self.endpoint.request_type}: client closed before the request was applied"
        )

    def _fan_out_error(self, batch: list[Item], status: int, text: str) -> None:
        error = error_from_reply(status, text)
        if isinstance(error, EndpointNotEnabledError):
            plan = self.endpoint.plan.name.replace("_", " ")
            error.add_note(f"{self.endpoint.request_type} needs the {plan} plan or higher")
        if len(batch) == 1 or isinstance(error, ENVELOPE_ERRORS):
            if error.fatal:
                self._on_fatal(error)
            for item in batch:
                fail(item.future, _clone(error))
            return
        # One 400 for several objects, not about the envelope: a server that answers for
        # one object only. Nothing was applied (400), so every object goes again alone.
        self._fall_back(batch)

    def _fan_out(self, batch: list[Item], status: int, body: bytes) -> None:
        endpoint = self.endpoint
        try:
            if endpoint.json_reply:
                parts = _codec.split_json(body)
            elif len(batch) == 1:
                parts = [body.decode("utf-8", "replace").strip()]
            else:
                parts = _codec.split_text(body)
        except ProtocolError as exc:
            for item in batch:
                fail(item.future, _clone(exc))
            return
        if len(parts) > len(batch):
            error = ProtocolError(
                f"{endpoint.request_type}: {len(parts)} reply lines for {len(batch)} objects"
            )
            for item in batch:
                fail(item.future, _clone(error))
            return
        for item, part in zip(batch, parts, strict=False):
            if isinstance(part, str) and is_error_line(part):
                fail(item.future, error_from_reply(status, part))
                continue
            try:
                result = endpoint.parse(part)
            except ProtocolError as exc:
                fail(item.future, exc)
            else:
                resolve(item.future, result)
        if len(parts) < len(batch):
            # Objects without a reply line of their own were not confirmed; re-send them.
            self._fall_back(batch[len(parts) :])

    def _fall_back(self, unanswered: list[Item]) -> None:
        if not self.single:
            self.single = True
            logger.warning(
                "%s: the server answered fewer lines than objects sent; re-sending "
                "unanswered objects one per request and sending one object per request "
                "from now on",
                self.endpoint.request_type,
            )
        self._counters.resent += len(unanswered)
        self._resend.extend(unanswered)
        if self._pump is None:
            self._start_pump()

    # --- deadlines, flush, close ---------------------------------------------------------

    def _arm_expiry(self, delay: float) -> None:
        self._expiry = asyncio.get_running_loop().call_later(delay, self._expire)

    def _expire(self) -> None:
        self._expiry = None
        assert self._delivery_timeout is not None
        deadline = time.monotonic() - self._delivery_timeout
        queue = self._queue
        while queue and queue[0].enqueued_at <= deadline:
            item = queue.popleft()
            self._queued_bytes -= len(item.payload) + 1
            self._pending.give_back(1)
            fail(
                item.future,
                DeliveryTimeoutError(
                    f"{self.endpoint.request_type}: not sent within {self._delivery_timeout}s; "
                    "it was never sent"
                ),
            )
        if queue:
            self._arm_expiry(queue[0].enqueued_at - deadline)

    @property
    def queued(self) -> int:
        return len(self._queue) + len(self._resend)

    @property
    def in_flight(self) -> int:
        return len(self._sending)

    async def drain(self) -> None:
        """Send everything queued now (ignoring max_delay) and wait until it is answered."""
        self._flushing += 1
        try:
            while True:
                if self._pump is None and (self._queue or self._resend):
                    self._start_pump()
                waiting: set[asyncio.Task[None]] = set(self._sending)
                if self._pump is not None and (self._queue or self._resend):
                    waiting.add(self._pump)  # a pump with nothing queued holds nothing
                if not waiting:
                    return
                await asyncio.wait(waiting)
        finally:
            self._flushing -= 1

    def fail_queued(self, error: SonoranError) -> None:
        """Fail every item not yet sent (fatal stop, or close)."""
        items = (*self._queue, *self._resend)
        self._pending.give_back(len(self._queue))  # re-sends were counted out already
        self._queue.clear()
        self._resend.clear()
        self._queued_bytes = 0
        for item in items:
            fail(item.future, _clone(error))

    async def abort(self) -> None:
        """After close's deadline: fail what is queued, cut off what is in flight."""
        self.fail_queued(
            ClientClosedError(f"{self.endpoint.request_type}: client closed before send")
        )
        for handle in (self._timer, self._expiry):
            if handle is not None:
                handle.cancel()
        tasks = [t for t in (self._pump, *self._sending) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _copy_outcome(source: asyncio.Future[Any], target: asyncio.Future[Any]) -> None:
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif (error := source.exception()) is not None:
        target.set_exception(_clone(error))
    else:
        target.set_result(source.result())


def _clone(error: BaseException) -> BaseException:
    """A fresh instance per caller, so that tracebacks do not pile up on one object."""
    twin = copy.copy(error)
    twin.__cause__ = error.__cause__
    return twin

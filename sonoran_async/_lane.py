"""A lane: one queue per request type, and the decision of when to flush it.

A lane flushes when it is full (`max_items` or `max_bytes`), when its oldest item has
waited `max_delay`, or, with `max_delay=0`, at the end of the loop tick in which items
arrived. While every in-flight slot is busy or the rate budget has no slot, items keep
accumulating and leave together: under load, batches grow by themselves.

Per item the hot path is one deque append and one future; no task, no log record. The
lane owns its sender: what happens to a batch once it leaves is the sender's business
(`_sender.py`), and the `Verdict` it returns says what comes back to the lane (objects
to send again alone; one object per request from now on).
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import Hashable
from typing import Any

from ._batch import Batch, Item, fail, settle
from ._clock import Clock, Timer, call_later
from ._codec import ENVELOPE_SUFFIX
from ._endpoints import Endpoint, Merge
from ._errors import (
    DeliveryTimeoutError,
    RateLimitedError,
    SonoranError,
    ValidationError,
    for_caller,
)
from ._flow import PendingBudget
from ._policies import BatchPolicy
from ._ratelimit import Limiter
from ._sender import Sender, Verdict
from ._stats import LaneReport


class Packing(enum.Enum):
    """How many objects one request of a lane carries."""

    #: Several callers' objects, up to the policy's `max_items` and `max_bytes`.
    SHARED = "shared"
    #: One object per request: coalescing is off for the type (`max_items=1`, single
    #: flight, a v2 route without a gathered body), or the server answered several
    #: objects in a way that could not be matched (the sender's verdict).
    ONE_PER_REQUEST = "one_per_request"


class Lane:
    def __init__(
        self,
        endpoint: Endpoint[Any, Any],
        prefix_size: int,
        policy: BatchPolicy,
        *,
        token_room: int,
        sender: Sender,
        shares_requests: bool,
        limiter: Limiter,
        bucket: str,
        max_wait: float,
        pending: PendingBudget,
        clock: Clock,
    ) -> None:
        self.endpoint = endpoint
        self._clock = clock
        self._prefix_size = prefix_size
        self._token_room = token_room  # bytes a create's token may add when it is sent
        self._max_payload = policy.max_bytes - prefix_size - token_room - len(ENVELOPE_SUFFIX)
        self._single_flight = endpoint.merge is Merge.SINGLE_FLIGHT
        #: Merge.CONFLATE: conflation key -> the newest queued item with it.
        self._newest: dict[Hashable, Item] | None = {} if endpoint.merge is Merge.CONFLATE else None
        self._delivery_timeout = policy.delivery_timeout
        #: Items' ages matter (a window or a deadline): they are stamped when queued.
        self.reads_ages = policy.max_delay > 0 or policy.delivery_timeout is not None
        self._policy = policy
        self.sender = sender
        self._limiter = limiter
        self._bucket = bucket
        self._max_wait = max_wait
        self._pending = pending
        shares = (
            shares_requests and endpoint.merge is not Merge.SINGLE_FLIGHT and policy.max_items > 1
        )
        self.packing = Packing.SHARED if shares else Packing.ONE_PER_REQUEST
        self.fell_back = False  # one object per request since the server's ambiguous reply
        self._queue: deque[Item] = deque()
        self._resend: deque[Item] = deque()  # already counted out of `pending`
        self._queued_bytes = 0
        self._slots = asyncio.Semaphore(policy.max_in_flight)
        self._pump: asyncio.Task[None] | None = None
        self._timer: Timer | None = None  # the max_delay window
        self._expiry: Timer | None = None  # the delivery_timeout of the oldest item
        self._sending: set[asyncio.Task[None]] = set()
        self._shared: dict[bytes, asyncio.Future[Any]] = {}
        self._flushing = 0  # flush()/aclose() calls under way: send now, ignore max_delay

    # --- enqueue -------------------------------------------------------------------------

    @property
    def max_payload(self) -> int:
        """The largest encoded object that fits in one request under `max_bytes`."""
        return self._max_payload

    def refuse_size(self, payload: bytes) -> None:
        size = self._prefix_size + len(payload) + self._token_room + len(ENVELOPE_SUFFIX)
        raise ValidationError(
            "request", f"encodes to {size} bytes, over max_bytes={self._policy.max_bytes}"
        )

    def shared(self, payload: bytes) -> asyncio.Future[Any] | None:
        """Single flight: a child of an identical object's future queued or in flight."""
        parent = self._shared.get(payload)
        if parent is None:
            return None
        child: asyncio.Future[Any] = parent.get_loop().create_future()
        parent.add_done_callback(lambda done: _copy_outcome(done, child))
        return child

    def put(self, item: Item) -> None:
        """Queue an item (its `pending` slot is already taken) and arrange a flush."""
        self._queue.append(item)
        self._queued_bytes += len(item.payload) + 1
        if self._newest is not None:
            self._supersede(item)
        if self._single_flight:
            payload = item.payload
            self._shared[payload] = item.future
            item.future.add_done_callback(lambda done: self._forget_shared(payload, done))
        timeout = self._delivery_timeout
        if timeout is not None and self._expiry is None:
            self._expiry = call_later(self._clock, timeout, self._expire)
        if self._pump is not None:
            return  # the running pump takes it
        if self._is_due():
            # The new task's first step runs after everything else already scheduled in
            # this tick, so items enqueued together (a gather) leave together.
            self._start_pump()
        elif self._timer is None:
            self._timer = call_later(self._clock, self._policy.max_delay, self._kick)

    def _supersede(self, item: Item) -> None:
        """Conflation: a newer update of the same thing replaces a queued older one, whose
        caller resolves at once with the endpoint's `superseded` result (its queue entry
        is skipped, unsent, when the lane next takes a batch)."""
        assert self._newest is not None and self.endpoint.conflate_key is not None
        key = self.endpoint.conflate_key(item.request)
        older = self._newest.get(key)
        if older is not None:
            settle(older.future, self.endpoint.superseded)
        self._newest[key] = item

    def _resend_alone(self, items: tuple[Item, ...]) -> None:
        """Send these again, one per request (a re-send after proof they were not applied,
        of an idempotent object whose reply could not be matched, or of one that could
        not share its batch's request)."""
        self._resend.extend(items)
        if self._pump is None:
            self._start_pump()

    def _forget_shared(self, payload: bytes, done: asyncio.Future[Any]) -> None:
        if not done.cancelled():
            done.exception()  # retrieved: nobody else may be left to do it
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
            or self.packing is Packing.ONE_PER_REQUEST
            or policy.max_delay == 0
            or len(self._queue) >= policy.max_items
            or self._queued_bytes + self._prefix_size >= policy.max_bytes
            or self._clock.monotonic() - self._queue[0].enqueued_at >= policy.max_delay
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
                    age = self._clock.monotonic() - self._queue[0].enqueued_at
                    wait = max(self._policy.max_delay - age, 0.0)
                    self._timer = call_later(self._clock, wait, self._kick)
                    return
                await self._slots.acquire()
                try:
                    waited = await self._limiter.acquire(self._bucket, self._max_wait)
                except RateLimitedError as exc:
                    self._slots.release()
                    if batch := self._take():
                        batch.fail_all(exc)
                    continue
                except BaseException:
                    self._slots.release()
                    raise
                batch = self._take()
                if not batch:
                    self._slots.release()
                    continue
                batch.waited = waited
                task = asyncio.get_running_loop().create_task(self._send_then_release(batch))
                self._sending.add(task)
                task.add_done_callback(self._sending.discard)
        finally:
            self._pump = None

    async def _send_then_release(self, batch: Batch) -> None:
        try:
            verdict = await self.sender.send(batch)
        finally:
            self._slots.release()
        self._follow(verdict)

    def _follow(self, verdict: Verdict) -> None:
        """What the sender says comes back to the lane: the one place packing changes
        after the lane is made."""
        if verdict.one_per_request and self.packing is Packing.SHARED:
            self.packing = Packing.ONE_PER_REQUEST
            self.fell_back = True
        if verdict.resend:
            self._resend_alone(verdict.resend)

    def _take(self) -> Batch | None:
        """The next batch: re-sends first (one each), then up to the size limits."""
        while self._resend:
            item = self._resend.popleft()
            if not item.future.done():
                return Batch([item])
        if self.packing is Packing.ONE_PER_REQUEST:
            return self._take_one()
        queue = self._queue
        limit = self._policy.max_items
        room = self._policy.max_bytes - self._prefix_size - len(ENVELOPE_SUFFIX)
        count = min(limit, len(queue))
        head = [queue.popleft() for _ in range(count)]
        size = sum([len(item.payload) for item in head]) + count
        if size + count * self._token_room <= room:  # the usual case: the next `count` fit
            self._queued_bytes -= size
            if self._newest is not None:
                for item in head:
                    self._forget_newest(item)
            self._pending.give_back(count)
            # A cancelled or expired item is dropped, unsent.
            items = [item for item in head if not item.future.done()]
            return Batch(items) if items else None
        queue.extendleft(reversed(head))
        return self._take_by_size(limit, room)

    def _take_one(self) -> Batch | None:
        """The next live item alone (one object per request)."""
        queue = self._queue
        taken = 0
        found = None
        while queue and found is None:
            item = queue.popleft()
            taken += 1
            self._queued_bytes -= len(item.payload) + 1
            if self._newest is not None:
                self._forget_newest(item)
            if not item.future.done():
                found = item
        self._pending.give_back(taken)
        return Batch([found]) if found is not None else None

    def _take_by_size(self, limit: int, room: int) -> Batch | None:
        """As many items as fit in `room` bytes, up to `limit` live ones."""
        items: list[Item] = []
        taken = 0
        queue = self._queue
        while queue and len(items) < limit:
            item = queue[0]
            size = len(item.payload) + 1
            live = not item.future.done()
            cost = size + self._token_room  # a cancelled or expired item is dropped, unsent
            if live and items and cost > room:
                break
            queue.popleft()
            taken += 1
            if self._newest is not None:
                self._forget_newest(item)
            self._queued_bytes -= size
            if live:
                room -= cost
                items.append(item)
        if taken:
            self._pending.give_back(taken)
        return Batch(items) if items else None

    def _forget_newest(self, item: Item) -> None:
        assert self._newest is not None and self.endpoint.conflate_key is not None
        key = self.endpoint.conflate_key(item.request)
        if self._newest.get(key) is item:
            del self._newest[key]

    # --- deadlines, flush, close ---------------------------------------------------------

    def _expire(self) -> None:
        self._expiry = None
        timeout = self._policy.delivery_timeout
        assert timeout is not None
        deadline = self._clock.monotonic() - timeout
        queue = self._queue
        expired = 0
        while queue and queue[0].enqueued_at <= deadline:
            item = queue.popleft()
            self._queued_bytes -= len(item.payload) + 1
            expired += 1
            if self._newest is not None:
                self._forget_newest(item)
            fail(
                item.future,
                DeliveryTimeoutError(
                    f"{self.endpoint.request_type}: not sent within {timeout}s; it was never sent"
                ),
            )
        self._pending.give_back(expired)
        if queue:
            delay = queue[0].enqueued_at - deadline
            self._expiry = call_later(self._clock, delay, self._expire)

    @property
    def queued(self) -> int:
        return len(self._queue) + len(self._resend)

    def report(self) -> LaneReport:
        sender = self.sender
        return LaneReport(
            self.endpoint.request_type,
            self.queued,
            sender.in_flight,
            sender.habit.multi_object.value,
            self.fell_back,
        )

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
        if self._newest is not None:
            self._newest.clear()
        for item in items:
            fail(item.future, for_caller(error))

    async def abort(self, error: SonoranError) -> None:
        """After close's deadline: fail what is queued, cut off what is in flight."""
        self.fail_queued(error)
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
        target.set_exception(for_caller(error))
    else:
        target.set_result(source.result())

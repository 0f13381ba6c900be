"""A batch: the objects of one request, their callers' futures, and where it stands.

Once an item is in a batch, only the batch resolves or fails its future (the sender and
the settler decide what each caller gets): one place where the outcome of a sent object
is set, each error handed over as the caller's own copy, each future settled once.
Before that, an item that never goes out is settled by its lane (superseded, expired,
failed at close, through `settle` and `fail` below), a cached snapshot comes back as a
future already done (`_cache`), and single-flight callers' futures copy the one queued.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Iterable
from typing import Any

from ._errors import ProtocolError, for_caller
from ._outcomes import Outcome, Proven


class Item:
    """One caller's object, queued: its encoded bytes, request, token and future."""

    __slots__ = ("enqueued_at", "future", "payload", "request", "token")

    def __init__(
        self,
        payload: bytes,
        request: Any,
        token: str,
        future: asyncio.Future[Any],
        enqueued_at: float,
    ) -> None:
        self.payload = payload
        self.request = request
        self.token = token  # finds a create again through GET_CALLS ("" without one)
        self.future = future
        self.enqueued_at = enqueued_at


def settle(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():
        future.set_result(result)


def fail(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


class BatchStatus(enum.Enum):
    SENDING = "sending"  # waiting for its turn, on the wire, or retrying
    RECONCILING = "reconciling"  # the reply was ambiguous: finding out what was applied
    SETTLED = "settled"  # every future has its outcome


class Batch:
    __slots__ = ("error", "failed", "items", "on_wire", "status", "waited")

    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self.status = BatchStatus.SENDING
        #: A request of this batch may be on the wire (sent, its reply not yet in). If
        #: the client is closed while it is not, nothing was applied.
        self.on_wire = False
        #: Seconds spent waiting for the rate budget and 429s: capped by the retry policy.
        self.waited = 0.0
        self.failed = 0  # callers this batch failed
        self.error: BaseException | None = None  # the first error it failed them with

    def __len__(self) -> int:
        return len(self.items)

    @property
    def requests(self) -> list[Any]:
        return [item.request for item in self.items]

    def resolve(self, item: Item, result: Any) -> None:
        settle(item.future, result)

    def resolve_proven(self, outcomes: list[Outcome]) -> list[tuple[Item, Outcome]]:
        """Resolve every item whose outcome is `Proven` (the common case, in one loop);
        return the others with their outcomes, for the settler."""
        rest: list[tuple[Item, Outcome]] = []
        for item, outcome in zip(self.items, outcomes, strict=True):
            if type(outcome) is Proven:
                future = item.future
                if not future.done():
                    future.set_result(outcome.value)
            else:
                rest.append((item, outcome))
        return rest

    def fail(self, items: Iterable[Item], error: BaseException) -> None:
        for item in items:
            if not item.future.done():
                item.future.set_exception(for_caller(error))
                self.failed += 1
                self.error = self.error or error

    def fail_all(self, error: BaseException) -> None:
        self.fail(self.items, error)
        self.status = BatchStatus.SETTLED

    def detach(self, items: Iterable[Item]) -> None:
        """These items leave this batch unsettled (they are sent again in another)."""
        leaving = set(map(id, items))
        self.items = [item for item in self.items if id(item) not in leaving]

    def finish(self) -> None:
        """Settled; a future left without an outcome would be a bug, never a hang."""
        self.fail(
            (item for item in self.items if not item.future.done()),
            ProtocolError("internal error: a call was left without an outcome"),
        )
        self.status = BatchStatus.SETTLED

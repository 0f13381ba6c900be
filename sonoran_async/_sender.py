"""Sending one batch and settling every caller's outcome from the reply.

The reply is read by the client's wire (`_wire`; for v1 the pure `_outcomes.read_reply`);
this module acts on what it says:
resolves the proven, fails the refused, turns the unproven into OutcomeUnknownError (a
create) or ProtocolError (the rest), and for objects a multi-object reply could not be
matched to, finds out (creates, through GET_CALLS) or re-sends them alone (idempotent
types). It learns from the first ambiguous reply how the server treats several objects
and keeps that for the client's life.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Iterator
from typing import Any

from ._batch import Batch, BatchStatus, Item
from ._codec import with_token
from ._delivery import Counters, Delivery
from ._endpoints import Endpoint
from ._errors import (
    ClientClosedError,
    EndpointNotEnabledError,
    OutcomeUnknownError,
    ProtocolError,
    SonoranError,
)
from ._lane import Lane
from ._outcomes import Proven, Refused, Shape, Unanswered, Unproven
from ._reconcile import Found, Reconciler
from ._state import Lifecycle
from ._tracing import batch_ended, batch_started, reconciliation
from ._wire import Wire

logger = logging.getLogger("sonoran_async")


class MultiObject(enum.Enum):
    """What the server does with several objects in one request, as learned."""

    UNKNOWN = "unknown"
    PER_ITEM = "per_item"  # one line per object
    FIRST_ONLY = "first_only"  # applies data[0] and answers for it alone
    ALL_ONE_LINE = "all_one_line"  # applies every object, answers one line
    ALL_THEN_400 = "all_then_400"  # applies in order, stops at a bad one with a 400
    AMBIGUOUS = "ambiguous"  # answered in a way nobody could match: one object per request


class Sender:
    def __init__(
        self,
        endpoint: Endpoint[Any, Any],
        wire: Wire,
        lane: Lane,
        *,
        delivery: Delivery,
        reconciler: Reconciler | None,
        counters: Counters,
        lifecycle: Lifecycle,
        tokens: Iterator[str] | None,
        token_key: str | None,
    ) -> None:
        self.endpoint = endpoint
        self._wire = wire
        self._lane = lane
        self._delivery = delivery
        self._reconciler = reconciler
        self._counters = counters
        self._lifecycle = lifecycle
        self._tokens = tokens  # for creates that share a request, when tokens are on
        self._token_key = token_key
        self.multi_object = MultiObject.UNKNOWN
        self.fell_back = False  # one object per request since an ambiguous reply
        self.in_flight = 0  # requests of this type awaiting their reply (or reconciliation)

    async def send(self, batch: Batch) -> None:
        endpoint = self.endpoint
        counters = self._counters
        later = self._wire.put_off(endpoint, batch.items)
        if later:  # e.g. v2 closes for another server: each goes in a request of its own
            batch.hand_on(later)
            self._lane.resend(later)
        counters.items += len(batch)
        counters.batch_sizes[len(batch)] += 1
        counters.by_type[endpoint.request_type].batch_sizes[len(batch)] += 1
        self.in_flight += 1
        if self._tokens is not None and len(batch) > 1:
            self._add_tokens(batch)
        sent = False  # a request of this batch may have reached the server
        span = batch_started(endpoint, batch)  # OpenTelemetry, when configured
        try:
            request = self._wire.build(endpoint, batch.items)
            sent = True
            reply = await self._delivery.send(endpoint, request, batch)
            reading = self._wire.read(endpoint, batch.requests, reply)
            unanswered = self._settle(batch, reading.outcomes)
            if unanswered:
                witness = next(o.witness for o in reading.outcomes if isinstance(o, Unanswered))
                await self._resolve_unanswered(batch, unanswered, reading.shape, witness)
            elif reading.shape is Shape.LINES and len(batch) > 1:
                self._learn(MultiObject.PER_ITEM)
        except SonoranError as exc:
            batch.fail_all(self._delivery.scrub(exc))
        except asyncio.CancelledError:
            # Only aclose() cancels a send, once its deadline has passed.
            batch.fail_all(self._cut_off(batch))
            raise
        except Exception as exc:  # a bug must not leave callers waiting forever
            what = self._delivery.scrub(ProtocolError(f"{type(exc).__name__}: {exc}"))
            logger.error("%s: unexpected error while sending: %s", endpoint.request_type, what)
            if sent and endpoint.creates:  # its outcome is open: never a plain error
                self._counters.outcome_unknown += sum(not i.future.done() for i in batch.items)
                self._counters.by_type[endpoint.request_type].outcome_unknown += sum(
                    not i.future.done() for i in batch.items
                )
                batch.fail_all(
                    OutcomeUnknownError(
                        f"{endpoint.request_type}: internal error after sending ({what}); "
                        "it may have been applied, so it was not re-sent (check GET_CALLS)"
                    )
                )
            else:
                batch.fail_all(what)
        finally:
            self.in_flight -= 1
            batch.finish()
            batch_ended(span, batch)

    def _add_tokens(self, batch: Batch) -> None:
        """Creates sharing a request carry a token, so GET_CALLS can tell which exist if
        the reply cannot (even after the server answered per object: it may not always).
        A lone create goes exactly as its caller built it."""
        assert self._tokens is not None and self._token_key is not None
        for item in batch.items:
            if not item.token:
                item.token = next(self._tokens)
                item.payload = with_token(item.payload, self._token_key, item.token)

    def _settle(self, batch: Batch, outcomes: list[Any]) -> list[Item]:
        """Settle what the reply decides; return the items it could not be matched to."""
        unanswered: list[Item] = []
        for item, outcome in zip(batch.items, outcomes, strict=True):
            if isinstance(outcome, Proven):
                batch.resolve(item, outcome.value)
            elif isinstance(outcome, Refused):
                error = self._delivery.scrub(outcome.error)
                if isinstance(error, EndpointNotEnabledError) and not getattr(
                    error, "__notes__", None
                ):
                    plan = self.endpoint.plan.name.replace("_", " ")
                    error.add_note(f"{self.endpoint.request_type} needs the {plan} plan or higher")
                if error.fatal:
                    self._lifecycle.fail_all(error)
                batch.fail([item], error)
            elif isinstance(outcome, Unproven):
                batch.fail([item], self._unproven(outcome.why, 1))
            else:
                assert isinstance(outcome, Unanswered)
                unanswered.append(item)
        return unanswered

    def _unproven(self, why: str, count: int) -> SonoranError:
        name = self.endpoint.request_type
        if self.endpoint.creates:
            self._counters.outcome_unknown += count
            self._counters.by_type[name].outcome_unknown += count
            return self._delivery.scrub(
                OutcomeUnknownError(
                    f"{name}: {why}; it may have been applied, so it was not re-sent "
                    "(check GET_CALLS)"
                )
            )
        return self._delivery.scrub(
            ProtocolError(f"{name}: {why}; not confirmed (it may be retried)")
        )

    async def _resolve_unanswered(
        self, batch: Batch, items: list[Item], shape: Shape, witness: int | None = None
    ) -> None:
        live = [item for item in items if not item.future.done()]
        if not self.endpoint.creates:
            # Idempotent: sending it again alone is safe and gets it its own answer.
            self._learn(MultiObject.AMBIGUOUS)
            self._counters.resent += len(live)
            batch.hand_on(live)
            self._lane.resend(live)
            return
        reconciler = self._reconciler
        if reconciler is None or reconciler.impossible is not None or not self.endpoint.lookup:
            self._learn(MultiObject.AMBIGUOUS)
            batch.fail(
                live, self._unproven("the reply could not be matched to the objects", len(live))
            )
            return
        batch.status = BatchStatus.RECONCILING
        self._counters.reconciliations += 1
        self._counters.by_type[self.endpoint.request_type].reconciliations += 1
        reconciliation(len(items))
        matches = await reconciler.find(self.endpoint, items, witness)
        absent: list[Item] = []
        unknown: list[Item] = []
        for item, match in zip(items, matches, strict=True):
            if match is Found.ABSENT:
                absent.append(item)
            elif match is Found.UNKNOWN:
                unknown.append(item)
            else:
                batch.resolve(item, match)
        if unknown:
            batch.fail(
                unknown,
                self._unproven(
                    "the reply could not be matched to the objects and GET_CALLS did not settle it",
                    len(unknown),
                ),
            )
        self._learn(_habit(shape, matches))
        absent = [item for item in absent if not item.future.done()]
        if absent:
            self._counters.resent += len(absent)
            batch.hand_on(absent)
            self._lane.resend(absent)

    def _learn(self, habit: MultiObject) -> None:
        if not self._wire.learns_multi_object:
            return
        if self.multi_object not in (MultiObject.UNKNOWN, MultiObject.PER_ITEM):
            return  # learned already; the first ambiguous reply decides
        if habit is MultiObject.PER_ITEM and self.multi_object is MultiObject.PER_ITEM:
            return
        if habit is MultiObject.UNKNOWN:
            return
        self.multi_object = habit
        reconcilable = self.endpoint.lookup is not None and self._reconciler is not None
        keeps_batching = habit is MultiObject.PER_ITEM or (
            reconcilable and habit in (MultiObject.ALL_ONE_LINE, MultiObject.ALL_THEN_400)
        )
        if not keeps_batching and not self._lane.single:
            self._lane.single = True
            self.fell_back = True
            logger.warning(
                "%s: the server answers several objects in one request as %s; sending one "
                "object per request from now on",
                self.endpoint.request_type,
                habit.value,
            )
        elif habit is not MultiObject.PER_ITEM:
            logger.warning(
                "%s: the server answers several objects in one request as %s; each such "
                "reply is checked through GET_CALLS",
                self.endpoint.request_type,
                habit.value,
            )

    def _cut_off(self, batch: Batch) -> SonoranError:
        name = self.endpoint.request_type
        applied_maybe = batch.on_wire or batch.status is BatchStatus.RECONCILING
        if applied_maybe and self.endpoint.creates:
            return OutcomeUnknownError(
                f"{name}: client closed while the request was in flight; it may have been applied"
            )
        if batch.on_wire:
            return ClientClosedError(f"{name}: client closed in flight")
        return ClientClosedError(f"{name}: client closed before the request was applied")


def _habit(shape: Shape, matches: list[Any]) -> MultiObject:
    """The server's habit, from which objects of an ambiguous reply turned out to exist."""
    if any(m is Found.UNKNOWN for m in matches):
        return MultiObject.AMBIGUOUS  # could not tell: one object per request from now on
    found = [isinstance(m, int) for m in matches]
    if not any(found):
        return MultiObject.UNKNOWN  # nothing was applied: this reply teaches nothing
    if shape is Shape.ONE_LINE_FOR_MANY:
        if found[0] and not any(found[1:]):
            return MultiObject.FIRST_ONLY
        return MultiObject.ALL_ONE_LINE
    # One 400 for several: applied in order up to a bad object.
    first_missing = found.index(False) if False in found else len(found)
    if not any(found[first_missing:]):
        return MultiObject.ALL_THEN_400
    return MultiObject.AMBIGUOUS

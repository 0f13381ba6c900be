"""Sending one batch: from its items to every caller's outcome, and a verdict for the lane.

The sender splits off what cannot share the request, sends the rest through the delivery
(retries, 429s), reads the reply through the wire and has the settler settle each caller
from it. Objects a multi-object reply could not be matched to are found out about
(creates, through GET_CALLS) or handed back to be sent alone (the rest), and the first
such reply teaches the endpoint's `Habit`. What the lane must do next is the `Verdict`
the sender returns: it never reaches back into the lane.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import attrs

from ._batch import Batch, BatchStatus, Item
from ._delivery import Delivery
from ._endpoints import Endpoint
from ._errors import ProtocolError, SonoranError
from ._habits import Habit, MultiObject, habit_of
from ._outcomes import Shape, Unanswered
from ._reconcile import Found, Reconciler
from ._settle import Settler
from ._stats import Counters
from ._tokens import Tokens
from ._tracing import batch_ended, batch_started, reconciliation
from ._wire import Wire

logger = logging.getLogger("sonoran_async")

__all__ = ["MultiObject", "Sender", "Verdict"]


@attrs.frozen
class Verdict:
    """What the lane does once a batch is sent: send `resend` again, one object per
    request, and with `one_per_request` send one object per request from now on. The
    batch's other items are settled."""

    resend: tuple[Item, ...] = ()
    one_per_request: bool = False


SETTLED = Verdict()


class Sender:
    def __init__(
        self,
        endpoint: Endpoint[Any, Any],
        wire: Wire,
        *,
        delivery: Delivery,
        settler: Settler,
        habit: Habit,
        reconciler: Reconciler | None,
        counters: Counters,
        tokens: Tokens | None,
    ) -> None:
        self.endpoint = endpoint
        self._wire = wire
        self._delivery = delivery
        self._settler = settler
        self.habit = habit
        self._reconciler = reconciler
        self._counters = counters
        self._tokens = tokens  # for creates that share a request, when tokens are on
        self.in_flight = 0  # requests of this type awaiting their reply (or reconciliation)

    async def send(self, batch: Batch) -> Verdict:
        """Send `batch` and settle what its reply decides (the batch's `finish` settles
        anything left, so no caller waits forever)."""
        endpoint = self.endpoint
        counters = self._counters
        # e.g. v2 closes for another server: each goes in a request of its own
        apart = tuple(self._wire.cannot_share(endpoint, batch.items))
        if apart:
            batch.detach(apart)
        size = len(batch.items)
        counters.items += size
        counters.batch_sizes[size] += 1
        counters.by_type[endpoint.request_type].batch_sizes[size] += 1
        self.in_flight += 1
        if self._tokens is not None and size > 1:
            self._tokens.mark(batch)
        verdict = SETTLED
        sent = False  # a request of this batch may have reached the server
        span = batch_started(endpoint, batch)  # OpenTelemetry, when configured
        try:
            request = self._wire.build(endpoint, batch.items)
            sent = True
            reply = await self._delivery.send(endpoint, request, batch)
            reading = self._wire.read(endpoint, batch.requests, reply)
            unanswered = self._settler.settle(batch, reading.outcomes)
            if unanswered:
                # The id the reply named (one line for several), if any: a look-up must see it.
                witness = next(o.witness for o in reading.outcomes if isinstance(o, Unanswered))
                verdict = await self._find_out(batch, unanswered, reading.shape, witness)
            elif reading.shape is Shape.LINES and size > 1:
                self.habit.learn(MultiObject.PER_ITEM)
        except SonoranError as exc:
            batch.fail_all(self._delivery.scrub(exc))
        except asyncio.CancelledError:
            # Only aclose() cancels a send, once its deadline has passed.
            batch.fail_all(self._settler.cut_off(batch))
            if apart:  # never sent: they would have gone back to the lane
                unsent = Batch(list(apart))
                unsent.fail_all(self._settler.cut_off(unsent))
            raise
        except Exception as exc:  # a bug must not leave callers waiting forever
            what = self._delivery.scrub(ProtocolError(f"{type(exc).__name__}: {exc}"))
            logger.error("%s: unexpected error while sending: %s", endpoint.request_type, what)
            batch.fail_all(self._settler.failed_after_sending(batch, what) if sent else what)
        finally:
            self.in_flight -= 1
            batch.finish()
            batch_ended(span, batch)
        if apart:
            return attrs.evolve(verdict, resend=apart + verdict.resend)
        return verdict

    async def _find_out(
        self, batch: Batch, items: list[Item], shape: Shape, witness: int | None
    ) -> Verdict:
        """For objects the reply could not be matched to: re-send the idempotent alone,
        find the creates through GET_CALLS (or fail them as unknown)."""
        live = [item for item in items if not item.future.done()]
        if not self.endpoint.creates:
            # Idempotent: sending it again alone is safe and gets it its own answer.
            return self._hand_back(batch, live, self.habit.learn(MultiObject.AMBIGUOUS))
        reconciler = self._reconciler
        if reconciler is None or reconciler.impossible is not None or not self.endpoint.lookup:
            fall_back = self.habit.learn(MultiObject.AMBIGUOUS)
            why = "the reply could not be matched to the objects"
            batch.fail(live, self._settler.unproven(why, len(live)))
            return Verdict(one_per_request=fall_back)
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
            why = "the reply could not be matched to the objects and GET_CALLS did not settle it"
            batch.fail(unknown, self._settler.unproven(why, len(unknown)))
        fall_back = self.habit.learn(habit_of(shape, matches))
        absent = [item for item in absent if not item.future.done()]
        return self._hand_back(batch, absent, fall_back)

    def _hand_back(self, batch: Batch, items: list[Item], fall_back: bool) -> Verdict:
        """These leave the batch unsettled, for the lane to send again one by one."""
        if items:
            self._counters.resent += len(items)
            batch.detach(items)
        return Verdict(tuple(items), fall_back)

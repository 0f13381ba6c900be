"""Settling callers from what a reply says: the proven resolve, the refused fail with
the server's error, the unproven fail with OutcomeUnknownError (a create: it may have
been applied) or ProtocolError (the rest). The futures themselves are set by the
`Batch`; this module decides what each caller gets, and how a cut-off is told."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from ._batch import Batch, BatchStatus, Item
from ._endpoints import Endpoint
from ._errors import (
    ClientClosedError,
    EndpointNotEnabledError,
    OutcomeUnknownError,
    ProtocolError,
    SonoranError,
)
from ._outcomes import Outcome, Refused, Unanswered, Unproven
from ._state import Lifecycle
from ._stats import Counters

_E = TypeVar("_E", bound=BaseException)


class Scrub(Protocol):
    """Cuts the key out of an error's texts (`Delivery.scrub`)."""

    def __call__(self, error: _E, /) -> _E: ...


def outcome_unknown(
    counters: Counters, endpoint: Endpoint[Any, Any], why: str, count: int
) -> OutcomeUnknownError:
    """The error of `count` creates that may or may not have been applied (counted)."""
    counters.outcome_unknown += count
    counters.by_type[endpoint.request_type].outcome_unknown += count
    return OutcomeUnknownError(
        f"{endpoint.request_type}: {why}; it may have been applied, so it was not re-sent "
        "(check GET_CALLS)"
    )


class Settler:
    """One endpoint's reading of outcomes into what its callers get."""

    def __init__(
        self,
        endpoint: Endpoint[Any, Any],
        counters: Counters,
        lifecycle: Lifecycle,
        scrub: Scrub,
    ) -> None:
        self._endpoint = endpoint
        self._counters = counters
        self._lifecycle = lifecycle
        self._scrub = scrub  # cuts the key out of error texts

    def settle(self, batch: Batch, outcomes: list[Outcome]) -> list[Item]:
        """Settle what the reply decides; return the items it could not be matched to."""
        unanswered: list[Item] = []
        for item, outcome in batch.resolve_proven(outcomes):
            if isinstance(outcome, Refused):
                error = self._scrub(outcome.error)
                if isinstance(error, EndpointNotEnabledError) and not getattr(
                    error, "__notes__", None
                ):
                    error.add_note(self._endpoint.plan_needed)
                if error.fatal:
                    self._lifecycle.fail_all(error)
                batch.fail([item], error)
            elif isinstance(outcome, Unproven):
                batch.fail([item], self.unproven(outcome.why, 1))
            else:
                assert isinstance(outcome, Unanswered)
                unanswered.append(item)
        return unanswered

    def unproven(self, why: str, count: int) -> SonoranError:
        """The error of `count` objects whose success nothing proves."""
        if self._endpoint.creates:
            return self._scrub(outcome_unknown(self._counters, self._endpoint, why, count))
        name = self._endpoint.request_type
        return self._scrub(ProtocolError(f"{name}: {why}; not confirmed (it may be retried)"))

    def failed_after_sending(self, batch: Batch, error: SonoranError) -> SonoranError:
        """A bug after the request may have gone out: a create's outcome stays open."""
        if not self._endpoint.creates:
            return error
        open_items = sum(not item.future.done() for item in batch.items)
        return outcome_unknown(
            self._counters, self._endpoint, f"internal error after sending ({error})", open_items
        )

    def cut_off(self, batch: Batch) -> SonoranError:
        """What callers get when close cancels their batch."""
        name = self._endpoint.request_type
        applied_maybe = batch.on_wire or batch.status is BatchStatus.RECONCILING
        if applied_maybe and self._endpoint.creates:
            return OutcomeUnknownError(
                f"{name}: client closed while the request was in flight; it may have been applied"
            )
        if batch.on_wire:
            return ClientClosedError(f"{name}: client closed in flight")
        return ClientClosedError(f"{name}: client closed before the request was applied")

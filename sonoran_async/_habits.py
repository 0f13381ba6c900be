"""Learning what the server does with several objects in one request (v1's `data`
array), from the first reply that could not be matched to its objects. What is learned
is kept for the client's life and decides whether the lane keeps sharing requests."""

from __future__ import annotations

import enum
import logging
from typing import Any

from ._endpoints import Endpoint
from ._outcomes import Shape
from ._reconcile import Found

logger = logging.getLogger("sonoran_async")


class MultiObject(enum.Enum):
    """What the server does with several objects in one request, as learned."""

    UNKNOWN = "unknown"
    PER_ITEM = "per_item"  # one line per object
    FIRST_ONLY = "first_only"  # applies data[0] and answers for it alone
    ALL_ONE_LINE = "all_one_line"  # applies every object, answers one line
    ALL_THEN_400 = "all_then_400"  # applies in order, stops at a bad one with a 400
    AMBIGUOUS = "ambiguous"  # answered in a way nobody could match: one object per request


class Habit:
    """One endpoint's learned multi-object behaviour."""

    def __init__(self, endpoint: Endpoint[Any, Any], *, learns: bool, reconcilable: bool) -> None:
        self._endpoint = endpoint
        self._learns = learns  # False where the API defines the behaviour (v2)
        self._reconcilable = reconcilable  # creates found again through GET_CALLS
        self.multi_object = MultiObject.UNKNOWN

    def learn(self, habit: MultiObject) -> bool:
        """Record what a reply showed; True when from now on the lane must send one
        object per request (said once: the first ambiguous reply decides)."""
        if not self._learns or habit is MultiObject.UNKNOWN:
            return False
        if self.multi_object not in (MultiObject.UNKNOWN, MultiObject.PER_ITEM):
            return False  # learned already
        if habit is self.multi_object:
            return False
        self.multi_object = habit
        keeps_sharing = habit is MultiObject.PER_ITEM or (
            self._reconcilable and habit in (MultiObject.ALL_ONE_LINE, MultiObject.ALL_THEN_400)
        )
        if habit is not MultiObject.PER_ITEM:
            then = (
                "each such reply is checked through GET_CALLS"
                if keeps_sharing
                else "sending one object per request from now on"
            )
            logger.warning(
                "%s: the server answers several objects in one request as %s; %s",
                self._endpoint.request_type,
                habit.value,
                then,
            )
        return not keeps_sharing


def habit_of(shape: Shape, matches: list[Any]) -> MultiObject:
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

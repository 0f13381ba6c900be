"""The documented integer enums, lenient towards values this version does not know."""

from __future__ import annotations

import enum
from typing import Any


class LenientIntEnum(enum.IntEnum):
    """An IntEnum that keeps unknown integers from replies instead of failing.

    Communities customise unit statuses and the API grows new values; a GET_CALLS
    snapshot must not fail because one call carries a value this version does not know.
    Request validation still accepts only the documented members.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            member = int.__new__(cls, value)
            member._name_ = f"UNKNOWN_{value}"
            member._value_ = value
            return member
        return None

    @classmethod
    def is_documented(cls, value: object) -> bool:
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and value in cls._value2member_map_
        )


class Origin(LenientIntEnum):
    CALLER = 0
    RADIO_DISPATCH = 1
    OBSERVED = 2
    WALK_UP = 3


class CallStatus(LenientIntEnum):
    PENDING = 0
    ACTIVE = 1
    CLOSED = 2


class UnitStatus(LenientIntEnum):
    UNAVAILABLE = 0
    BUSY = 1
    AVAILABLE = 2
    ENROUTE = 3
    ON_SCENE = 4


class CallType(LenientIntEnum):
    DISPATCH = 0
    EMERGENCY = 1
    ALL = 100


class Plan(LenientIntEnum):
    """Sonoran CAD subscription plans, low to high, numbered as GET_VERSION answers them."""

    FREE = 0
    STARTER = 1
    STANDARD = 2
    PLUS = 3
    PRO = 4
    SONORAN_ONE = 6

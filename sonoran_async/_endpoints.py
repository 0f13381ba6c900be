"""The route table: every endpoint described once, as data. A new endpoint is one row."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import attrs

from . import _codec
from ._models import (
    Call911,
    CallsQuery,
    CloseCall,
    DispatchEdit,
    NewDispatch,
    Remove911,
    Request,
)


class Plan(enum.IntEnum):
    """Sonoran CAD subscription plans, low to high (endpoints are gated by plan)."""

    FREE = 0
    STARTER = 1
    STANDARD = 2
    PLUS = 3
    PRO = 4
    SONORAN_ONE = 5


@attrs.frozen
class Endpoint:
    request_type: str
    request: type[Request]
    #: Turns one reply part (a text line, or a JSON value for JSON replies) into a result.
    parse: Callable[[Any], Any]
    #: Safe to re-send when the outcome of a request is unknown.
    idempotent: bool
    plan: Plan
    json_reply: bool = False
    #: False: never merge different objects into one request; identical concurrent
    #: objects share one request instead (single flight).
    coalesce: bool = True

    @property
    def path(self) -> str:
        return f"emergency/{self.request_type.lower()}"


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("CALL_911", Call911, _codec.parse_created_id, idempotent=False, plan=Plan.STANDARD),
    Endpoint("REMOVE_911", Remove911, _codec.parse_ack, idempotent=True, plan=Plan.STANDARD),
    Endpoint(
        "GET_CALLS",
        CallsQuery,
        _codec.parse_snapshot,
        idempotent=True,
        plan=Plan.PLUS,
        json_reply=True,
        coalesce=False,
    ),
    # Its page says STANDARD, Sonoran's restrictions table says PLUS.
    Endpoint("CLOSE_CALL", CloseCall, _codec.parse_ack, idempotent=True, plan=Plan.STANDARD),
    Endpoint("EDIT_DISPATCH", DispatchEdit, _codec.parse_ack, idempotent=True, plan=Plan.PLUS),
    Endpoint(
        "NEW_DISPATCH", NewDispatch, _codec.parse_created_id, idempotent=False, plan=Plan.PLUS
    ),
)

BY_REQUEST: dict[type[Request], Endpoint] = {e.request: e for e in ENDPOINTS}

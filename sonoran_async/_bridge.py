"""Request models of the neighbouring v1 endpoints a game-server bridge needs.

UNIT_LOCATION, ATTACH_UNIT, DETACH_UNIT, ADD_CALL_NOTE, SET_CALL_POSTAL, SET_CALL_PRIMARY
and GET_VERSION, as Sonoran documents them (`reference/v1/`). Each is a `Request[Result]`
with one row in `_endpoints.ENDPOINTS`.
"""

from __future__ import annotations

import enum
import math
from typing import Any

import attrs

from ._checks import (
    as_tuple,
    bool_,
    checked,
    frozen,
    int_,
    items,
    server_id,
    str_,
    validate,
)
from ._enums import Plan
from ._errors import ValidationError
from ._models import Request


class LocationUpdate(enum.Enum):
    """What became of one `unit_location()` call."""

    #: Sent, and the server's reply proved it.
    SENT = "sent"
    #: A newer update for the same unit arrived before this one left: only the newest of a
    #: batching window is sent, and this one was dropped in its favour (not an error).
    SUPERSEDED = "superseded"


def _finite(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(name, f"expected a finite number, got {value!r}")


@attrs.define(kw_only=True, on_setattr=frozen)
class Coordinates:
    """A live-map position (floats, as the game reports them)."""

    x: float = attrs.field(metadata=checked(_finite))
    y: float = attrs.field(metadata=checked(_finite))

    def __attrs_post_init__(self) -> None:
        validate(self)


def _coordinates(name: str, value: Any) -> None:
    if value is not None and not isinstance(value, Coordinates):
        raise ValidationError(name, "expected Coordinates(x=..., y=...)")


@attrs.define(kw_only=True, on_setattr=frozen)
class UnitLocation(Request[LocationUpdate]):
    """A UNIT_LOCATION object: where a unit (by its API ID) is now.

    Updates are grouped for a few seconds and conflated: of several updates for the same
    `api_id` in one window only the newest is sent; the others resolve SUPERSEDED.
    """

    api_id: str = attrs.field(metadata=checked(str_(non_empty=True)))
    location: str = attrs.field(default="", metadata=checked(str_()))
    coordinates: Coordinates | None = attrs.field(default=None, metadata=checked(_coordinates))

    def __attrs_post_init__(self) -> None:
        validate(self)


def _ids(name: str, value: Any) -> None:
    items(int, what="identifier ids (int)")(name, value)
    if any(isinstance(v, bool) for v in value):
        raise ValidationError(name, "expected a sequence of identifier ids (int)")


def _who(model: Any) -> None:
    if not model.units and model.account is None and not getattr(model, "ident_ids", ()):
        names = "units, account" + (" or ident_ids" if hasattr(model, "ident_ids") else "")
        raise ValidationError(type(model).__name__, f"name the units: set {names}")


@attrs.define(kw_only=True, on_setattr=frozen)
class AttachUnits(Request[None]):
    """An ATTACH_UNIT object: attach units to a dispatch call, by API IDs, by account UUID
    or by identifier ids."""

    call_id: int = attrs.field(metadata=checked(int_(0)))
    units: tuple[str, ...] = attrs.field(
        default=(), converter=as_tuple, metadata=checked(items(str, what="API ID strings"))
    )
    account: str | None = attrs.field(default=None, metadata=checked(str_(optional=True)))
    ident_ids: tuple[int, ...] = attrs.field(default=(), converter=as_tuple, metadata=checked(_ids))
    server_id: int | None = server_id()

    def __attrs_post_init__(self) -> None:
        validate(self)
        _who(self)


@attrs.define(kw_only=True, on_setattr=frozen)
class DetachUnits(Request[None]):
    """A DETACH_UNIT object: detach units from whatever dispatch call they are on."""

    units: tuple[str, ...] = attrs.field(
        default=(), converter=as_tuple, metadata=checked(items(str, what="API ID strings"))
    )
    account: str | None = attrs.field(default=None, metadata=checked(str_(optional=True)))
    server_id: int | None = server_id()

    def __attrs_post_init__(self) -> None:
        validate(self)
        _who(self)


@attrs.define(kw_only=True, on_setattr=frozen)
class AddCallNote(Request[None]):
    """An ADD_CALL_NOTE object: a note on a dispatch call, optionally with its sender."""

    call_id: int = attrs.field(metadata=checked(int_(0)))
    note: str = attrs.field(metadata=checked(str_(non_empty=True)))
    label: str | None = attrs.field(default=None, metadata=checked(str_(optional=True)))
    server_id: int | None = server_id()

    def __attrs_post_init__(self) -> None:
        validate(self)


@attrs.define(kw_only=True, on_setattr=frozen)
class SetCallPostal(Request[None]):
    """A SET_CALL_POSTAL object."""

    call_id: int = attrs.field(metadata=checked(int_(0)))
    postal: str = attrs.field(metadata=checked(str_(non_empty=True)))
    server_id: int | None = server_id()

    def __attrs_post_init__(self) -> None:
        validate(self)


@attrs.define(kw_only=True, on_setattr=frozen)
class SetCallPrimary(Request[None]):
    """A SET_CALL_PRIMARY object; `primary=-1` clears the call's primary identifier."""

    call_id: int = attrs.field(metadata=checked(int_(0)))
    primary: int = attrs.field(metadata=checked(int_(-1)))
    track_primary: bool = attrs.field(default=False, metadata=checked(bool_()))
    server_id: int | None = server_id()

    def __attrs_post_init__(self) -> None:
        validate(self)


@attrs.define(kw_only=True, on_setattr=frozen)
class VersionQuery(Request[Plan]):
    """GET_VERSION: the community's plan. Sent with an empty `data` array."""

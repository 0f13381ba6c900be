"""Units: GET_ACTIVE_UNITS (a page of typed units) and the UNIT_STATUS and UNIT_PANIC
commands.

The commands are idempotent (setting a status twice leaves it set), so an ambiguous reply
is re-sent safely. Several units' commands in one batching window share one request where
the API takes several (v1's `data` array; v2's `communityUserIds`/`identIds` for one
status), and they are conflated per unit: of several commands for the same unit waiting
in one window only the newest is sent and the others resolve SUPERSEDED.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable
from typing import Any

import attrs

from ._checks import as_tuple, bool_, checked, frozen, int_, is_int, server_id, str_, validate
from ._codec import converter
from ._enums import UnitStatus
from ._errors import ValidationError
from ._models import Request
from .events._models import nested_list
from .events._units import Unit


class UnitCommand(enum.Enum):
    """What became of one `unit_status()` / `unit_panic()` call."""

    #: Sent, and the reply proved it.
    SENT = "sent"
    #: A newer command for the same unit left in its place (not an error).
    SUPERSEDED = "superseded"


def units(document: Any) -> tuple[Unit, ...]:
    """GET_ACTIVE_UNITS: an array of units (one unit object where v2's example prints one)."""
    if type(document) is dict:
        document = [document]
    if type(document) is not list:
        raise ValueError("expected an array of units")
    return tuple(nested_list(Unit)(document))


@attrs.define(kw_only=True, on_setattr=frozen)
class ActiveUnitsQuery(Request[tuple[Unit, ...]]):
    """GET_ACTIVE_UNITS: one page (at most 100) of the server's active units."""

    server_id: int | None = server_id()
    only_units: bool = attrs.field(default=True, metadata=checked(bool_()))
    include_offline: bool = attrs.field(default=False, metadata=checked(bool_()))
    limit: int = attrs.field(default=100, metadata=checked(int_(1, 100)))
    offset: int = attrs.field(default=0, metadata=checked(int_(0)))

    def __attrs_post_init__(self) -> None:
        validate(self)


def _status(name: str, value: Any) -> None:
    if not UnitStatus.is_documented(value) and not (is_int(value) and value >= 0):
        raise ValidationError(name, f"expected a UnitStatus, got {value!r}")


def _as_status(value: Any) -> Any:
    return UnitStatus(value) if is_int(value) and value >= 0 else value


def _ids(name: str, value: Any) -> None:
    if not isinstance(value, tuple) or not all(is_int(v) for v in value):
        raise ValidationError(name, "expected a sequence of identifier ids (int)")


_opt_str = checked(str_(optional=True))


@attrs.define(kw_only=True, on_setattr=frozen)
class _UnitTarget:
    """Which units a command is for: exactly one way of naming them."""

    #: v1: the API id in the unit's identifiers (typically the Steam hex).
    api_id: str | None = attrs.field(default=None, metadata=_opt_str)
    #: The Sonoran account UUID (v2's `accountUuid`).
    account: str | None = attrs.field(default=None, metadata=_opt_str)
    ident_ids: tuple[int, ...] = attrs.field(default=(), converter=as_tuple, metadata=checked(_ids))
    #: v2: the linked in-game user identifier.
    community_user_id: str | None = attrs.field(default=None, metadata=_opt_str)
    server_id: int | None = server_id()

    def _check_target(self) -> None:
        named = [
            self.api_id is not None,
            self.account is not None,
            bool(self.ident_ids),
            self.community_user_id is not None,
        ]
        if sum(named) != 1:
            raise ValidationError(
                type(self).__name__,
                "name the units one way: api_id, account, ident_ids or community_user_id",
            )

    def target(self) -> Hashable:
        """What makes two commands commands for the same units (conflation)."""
        return (self.api_id, self.account, self.ident_ids, self.community_user_id, self.server_id)


@attrs.define(kw_only=True, on_setattr=frozen)
class UnitStatusUpdate(_UnitTarget, Request[UnitCommand]):
    """UNIT_STATUS: set units' status (Standard)."""

    status: UnitStatus = attrs.field(
        default=UnitStatus.AVAILABLE, converter=_as_status, metadata=checked(_status)
    )

    def __attrs_post_init__(self) -> None:
        validate(self)
        self._check_target()


@attrs.define(kw_only=True, on_setattr=frozen)
class UnitPanicUpdate(_UnitTarget, Request[UnitCommand]):
    """UNIT_PANIC: press or release units' panic button (Standard)."""

    is_panic: bool = attrs.field(default=True, metadata=checked(bool_()))

    def __attrs_post_init__(self) -> None:
        validate(self)
        self._check_target()


for _cls in (ActiveUnitsQuery, UnitStatusUpdate, UnitPanicUpdate):
    attrs.resolve_types(_cls)


def _sparse(cls: type[Any]) -> None:
    """v1 sends only the ways of naming units that are set (no empty `identIds`)."""
    base = converter.get_unstructure_hook(cls)

    def unstructure(request: Any) -> dict[str, Any]:
        wire: dict[str, Any] = base(request)
        if not wire.get("identIds"):
            wire.pop("identIds", None)
        return wire

    converter.register_unstructure_hook(cls, unstructure)


_sparse(UnitStatusUpdate)
_sparse(UnitPanicUpdate)

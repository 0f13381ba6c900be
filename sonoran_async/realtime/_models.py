"""What a realtime session takes and reports: live-map updates, its state, its errors."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from typing import Any

import attrs

from .._bridge import UnitLocation
from .._errors import SonoranError, ValidationError

#: The wire name of each target field, in the order the documentation lists them.
_TARGETS = (
    ("api_id", "apiId"),
    ("ident_id", "identId"),
    ("community_user_id", "communityUserId"),
    ("roblox", "roblox"),
)


class RealtimeError(SonoranError):
    """The websocket session failed (it could not connect, or stayed down too long)."""


class RealtimeAuthError(RealtimeError):
    """`authenticatev2` answered `success: false`; `text` is the server's error. Never
    retried: a wrong key must not hammer the API."""

    def __init__(self, text: str) -> None:
        super().__init__(f"websocket authentication refused: {text}")
        self.text = text

    def __reduce__(self) -> tuple[type[RealtimeAuthError], tuple[str], dict[str, Any]]:
        return (type(self), (self.text,), self.__dict__)


class LocationRefusedError(RealtimeError):
    """The hub refused a `unitLocation` call for a reason a re-send cannot fix."""

    def __init__(self, text: str) -> None:
        super().__init__(f"unitLocation refused: {text}")
        self.text = text

    def __reduce__(self) -> tuple[type[LocationRefusedError], tuple[str], dict[str, Any]]:
        return (type(self), (self.text,), self.__dict__)


class RealtimeClosedError(RealtimeError):
    """The session was closed (or failed) before this update could be sent."""


class ConnectionState(enum.Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"
    #: Authentication was refused on a reconnect, or the outage outlasted `max_outage`.
    FAILED = "failed"


@attrs.define(eq=False)
class RealtimeStats:
    """What a session has done (mutable, updated in place)."""

    state: ConnectionState = ConnectionState.CONNECTING
    connects: int = 0  # successful connections (the first one included)
    reconnects: int = 0  # of which after a lost connection
    outages: int = 0  # lost connections (one WARNING each)
    last_error: str | None = None  # why the last connection or attempt failed
    location_calls: int = 0  # unitLocation calls the hub accepted
    updates_sent: int = 0  # unit updates in them
    superseded: int = 0  # updates replaced by a newer one of the same unit before leaving
    resent: int = 0  # updates put back to be sent again (connection lost, refused as too fast)
    too_fast: int = 0  # calls the hub refused as too fast (never expected)
    too_many: int = 0  # calls the hub refused as too large (never expected)
    pushes: int = 0  # pushEvent messages received and dispatched
    malformed_pushes: int = 0  # pushEvent messages that were no event
    fallback_sent: int = 0  # updates sent over HTTP UNIT_LOCATION while the socket was down


def _finite(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None and attribute.name in ("z", "w"):
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(attribute.name, f"expected a finite number, got {value!r}")


@attrs.frozen(kw_only=True)
class LiveCoordinates:
    """A live-map position: `x`, `y`, and optionally `z` (height) and `w` (heading)."""

    x: float = attrs.field(validator=_finite)
    y: float = attrs.field(validator=_finite)
    z: float | None = attrs.field(default=None, validator=_finite)
    w: float | None = attrs.field(default=None, validator=_finite)

    def wire(self) -> dict[str, float]:
        out = {"x": self.x, "y": self.y}
        out.update({k: v for k, v in (("z", self.z), ("w", self.w)) if v is not None})
        return out


def _opt(kind: type | tuple[type, ...]) -> Any:
    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
            raise ValidationError(attribute.name, f"expected {kind}, got {type(value).__name__}")

    return check


@attrs.frozen(kw_only=True)
class LiveLocation:
    """One `unitLocationObject`: `location` plus exactly one target (`api_id`, `ident_id`,
    `community_user_id` or `roblox`); optional `coordinates`, `peer_id` (P2P bodycam
    streams only) and `vehicle` (the live-map model, sent as given)."""

    location: str = attrs.field(validator=_opt(str))
    api_id: str | None = attrs.field(default=None, validator=_opt(str))
    ident_id: int | None = attrs.field(default=None, validator=_opt(int))
    community_user_id: str | None = attrs.field(default=None, validator=_opt(str))
    roblox: int | str | None = attrs.field(default=None, validator=_opt((int, str)))
    coordinates: LiveCoordinates | None = attrs.field(default=None, validator=_opt(LiveCoordinates))
    peer_id: str | None = attrs.field(default=None, validator=_opt(str))
    vehicle: Mapping[str, Any] | None = attrs.field(default=None, validator=_opt(Mapping))

    def __attrs_post_init__(self) -> None:
        if self.location is None:
            raise ValidationError("location", "required")
        named = [wire for name, wire in _TARGETS if getattr(self, name) not in (None, "")]
        if len(named) != 1:
            raise ValidationError(
                "target", "set exactly one of api_id, ident_id, community_user_id, roblox"
            )

    @property
    def target(self) -> tuple[str, Any]:
        """(wire field, value): what conflation keys on (updates of one unit)."""
        return next(
            (w, getattr(self, n)) for n, w in _TARGETS if getattr(self, n) not in (None, "")
        )

    def wire(self) -> dict[str, Any]:
        field, value = self.target
        out: dict[str, Any] = {field: value, "location": self.location}
        if self.coordinates is not None:
            out["coordinates"] = self.coordinates.wire()
        if self.peer_id is not None:
            out["peerId"] = self.peer_id
        if self.vehicle is not None:
            out["vehicle"] = dict(self.vehicle)
        return out

    @classmethod
    def of(cls, update: LiveLocation | UnitLocation) -> LiveLocation:
        """Take the HTTP model too: `UnitLocation(api_id=..., coordinates=Coordinates(x, y))`."""
        if isinstance(update, LiveLocation):
            return update
        if not isinstance(update, UnitLocation):
            raise ValidationError("update", "expected a LiveLocation or a UnitLocation")
        xy = update.coordinates
        return cls(
            location=update.location,
            api_id=update.api_id,
            coordinates=None if xy is None else LiveCoordinates(x=xy.x, y=xy.y),
        )

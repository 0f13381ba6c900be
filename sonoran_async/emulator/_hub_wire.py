"""Pieces of the emulator's hub: the SignalR JSON hub protocol's frames (its own copy: the
emulator imports nothing from the client), the documented texts, the counters, and how a
unit update is checked and filed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import attrs
import orjson

from ._fields import WireObject

UNAUTHENTICATED: Final = "Unauthenticated. Call authenticate first."
MISSING_UPDATES: Final = "Missing unit location updates."
TOO_MANY_UPDATES: Final = "Too many unit updates in one call. Max is 25."
TOO_FAST: Final = "UNIT_LOCATION updates are limited to every 200ms."
INVALID_TARGET: Final = (
    "Each unit update requires identId, apiId, communityUserId, or roblox, and location."
)
INVALID_SERVER_ID: Final = "INVALID SERVER ID"
#: Target field -> the prefix of its key in `state.units` (an API ID is stored as itself,
#: as the HTTP UNIT_LOCATION stores it).
TARGETS: Final = {
    "apiId": "",
    "identId": "identId:",
    "communityUserId": "communityUserId:",
    "roblox": "roblox:",
}

RS: Final = "\x1e"
HANDSHAKE_OK: Final = "{}" + RS
PING: Final = '{"type":6}' + RS


def invocation(target: str, arguments: list[Any]) -> str:
    """A server-to-client invocation (no completion wanted)."""
    return orjson.dumps({"type": 1, "target": target, "arguments": arguments}).decode() + RS


def completion(invocation_id: str, result: Any, error: str | None) -> str:
    message: dict[str, Any] = {"type": 3, "invocationId": invocation_id}
    if error is not None:
        message["error"] = error
    else:
        message["result"] = result
    return orjson.dumps(message).decode() + RS


def decode(text: str) -> Iterator[dict[str, Any]]:
    """The messages of one frame; ValueError when it is not the JSON hub protocol."""
    if not text.endswith(RS):
        raise ValueError("no record separator")
    for part in text.split(RS)[:-1]:
        message = orjson.loads(part)  # orjson.JSONDecodeError is a ValueError
        if type(message) is not dict:
            raise ValueError("not an object")
        yield message


@attrs.define(eq=False)
class HubStats:
    """Counters of the websocket hub since the emulator started (updated in place)."""

    connections: int = 0  # sockets that completed the handshake
    authenticated: int = 0  # successful authentications
    auth_refused: int = 0  # refused authentications
    location_calls: int = 0  # unitLocation calls accepted
    locations: int = 0  # unit updates applied by them
    too_fast: int = 0  # unitLocation calls refused as sooner than min_interval
    too_many: int = 0  # unitLocation calls refused as larger than max_updates
    location_errors: int = 0  # other refused unitLocation calls
    pushed: int = 0  # pushEvent messages sent (one per socket)
    max_batch: int = 0  # the largest accepted unitLocation call
    min_gap: float | None = None  # the shortest time between two accepted calls of a socket


def valid_update(update: Any) -> bool:
    if type(update) is not dict:
        return False
    location = update.get("location")
    return type(location) is str and any(update.get(t) not in (None, "") for t in TARGETS)


def unit_key(update: WireObject) -> str:
    for field, prefix in TARGETS.items():
        value = update.get(field)
        if value not in (None, ""):
            return f"{prefix}{value}"
    raise AssertionError("validated before")  # pragma: no cover

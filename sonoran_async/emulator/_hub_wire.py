"""The SignalR JSON hub protocol's frames, as the emulator's hub writes and reads them
(its own copy: the emulator imports nothing from the client)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import orjson

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

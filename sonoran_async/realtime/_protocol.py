"""The SignalR JSON hub protocol, as far as a client of Sonoran's `/apiWsHub` needs it.

Every message is one JSON object followed by the record separator 0x1E; one websocket text
frame may carry several, and a message may span frames (the connection buffers the
unfinished end, bounded). The connection starts with the handshake
`{"protocol":"json","version":1}`, answered by `{}` (or `{"error": ...}`). After it:

| type | message | fields |
|---|---|---|
| 1 | Invocation | `invocationId` (absent: no completion wanted), `target`, `arguments` |
| 3 | Completion | `invocationId`, then `result` or `error` |
| 6 | Ping | (keep-alive, both ways) |
| 7 | Close | `error`, `allowReconnect` (optional) |

Types 2, 4 and 5 (streaming) are not used by the hub and are ignored when received.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any, Final

import orjson

#: Ends every message.
RS: Final = "\x1e"
HANDSHAKE: Final = '{"protocol":"json","version":1}' + RS


class MessageType(enum.IntEnum):
    INVOCATION = 1
    STREAM_ITEM = 2
    COMPLETION = 3
    STREAM_INVOCATION = 4
    CANCEL_INVOCATION = 5
    PING = 6
    CLOSE = 7


class ProtocolViolation(Exception):
    """The peer sent something that is not the SignalR JSON protocol."""


def encode(message: dict[str, Any]) -> str:
    """One message as a frame's text."""
    return orjson.dumps(message).decode() + RS


def invocation(target: str, arguments: list[Any], invocation_id: str | None) -> str:
    message: dict[str, Any] = {"type": MessageType.INVOCATION, "target": target}
    if invocation_id is not None:
        message["invocationId"] = invocation_id
    message["arguments"] = arguments
    return encode(message)


PING: Final = encode({"type": MessageType.PING})


def close(error: str | None = None) -> str:
    message: dict[str, Any] = {"type": MessageType.CLOSE}
    if error is not None:
        message["error"] = error
    return encode(message)


def decode(text: str) -> Iterator[dict[str, Any]]:
    """The messages of one frame's text, in order."""
    if not text.endswith(RS):
        raise ProtocolViolation("a frame that does not end with the record separator")
    for part in text.split(RS)[:-1]:
        try:
            message = orjson.loads(part)
        except orjson.JSONDecodeError:
            raise ProtocolViolation("a message that is not JSON") from None
        if type(message) is not dict:
            raise ProtocolViolation("a message that is not a JSON object")
        yield message


def handshake_error(text: str) -> str | None:
    """The handshake reply's error, or None when it accepted (`{}`). The reply may share a
    frame with the first messages; only the first record is the reply."""
    first = text.split(RS, 1)[0] + RS
    reply = next(decode(first))
    error = reply.get("error")
    return None if error is None else str(error)


def after_handshake(text: str) -> str:
    """What follows the handshake reply in the same frame ('' when nothing)."""
    return text.split(RS, 1)[1] if RS in text else ""

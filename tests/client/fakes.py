"""An in-memory transport that speaks the multi-object contract, with scripted misbehaviour.

For tests where what matters is the client's bookkeeping rather than a real HTTP
exchange (property tests run hundreds of examples, so they avoid sockets).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from sonoran_async import Reply, TransportError

#: How the fake answers one request: per-item lines, fewer lines than objects, one 400
#: line for the envelope or for one object, a 503, a 429, a reset after applying, garbage.
#: Also: every line naming the first object's id, and an error line as its whole answer.
BEHAVIOURS = (
    "lines",
    "short",
    "envelope",
    "object400",
    "503",
    "429",
    "reset_after",
    "garbage",
    "repeat_id",
    "error_line",
)


class ScriptedServer:
    """Creates a call per CALL_911 object it answers for, with ids from one counter."""

    def __init__(self, script: Iterable[str] = (), *, delay: float = 0.0) -> None:
        self.script = list(script)
        self.delay = delay
        self.ids = itertools.count(1)
        self.created: dict[str, list[int]] = {}  # caller -> ids created for it
        self.requests: list[dict[str, Any]] = []

    def _create(self, obj: dict[str, Any]) -> str:
        if obj.get("location") == "bad":
            return "ERROR: Invalid field location: rejected"
        call_id = next(self.ids)
        self.created.setdefault(obj["caller"], []).append(call_id)
        return f"EMERGENCY CALL ADDED ID: {call_id}"

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        assert body is not None
        envelope = orjson.loads(bytes(body))
        self.requests.append(envelope)
        if self.delay:
            await asyncio.sleep(self.delay)
        else:
            await asyncio.sleep(0)
        behaviour = self.script.pop(0) if self.script else "lines"
        data = envelope["data"]
        if behaviour == "envelope":
            return Reply(400, b"API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY")
        if behaviour == "object400":
            return Reply(400, b"Server not found with ID: 7")
        if behaviour == "503":
            return Reply(503, b"Service Unavailable")
        if behaviour == "429":
            return Reply(429, b'{"message":"API rate limit exceeded"}', "0")
        if behaviour == "garbage":
            return Reply(200, b"\x00<html>oops</html>")
        if behaviour == "error_line":
            return Reply(200, b"API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY")
        if behaviour == "short":
            data = data[: max(1, len(data) // 2)]
        lines = [self._create(obj) for obj in data]
        proofs = [line for line in lines if not line.startswith("ERROR")]
        if behaviour == "repeat_id" and proofs:  # one object's id on every line
            lines = [proofs[0]] * len(lines)
        if behaviour == "reset_after":
            raise TransportError("connection reset", request_sent=True)
        if len(envelope["data"]) == 1 and lines[0].startswith("ERROR"):
            return Reply(400, lines[0].removeprefix("ERROR: ").encode())
        return Reply(200, "\n".join(lines).encode())

    async def aclose(self) -> None:
        return None

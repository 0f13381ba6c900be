"""Reconciliation: which creates of an ambiguously answered request exist on the server.

After a reply that cannot be matched to its objects (one line for several, or one 400
for all), each create is looked up through a fresh GET_CALLS: by the token it carries in
its metaData when there is one, else by its fields. The answer per object is its id
(found: proof it exists), ABSENT (proof it was not applied, so it may be re-sent), or
UNKNOWN (no proof either way).
"""

from __future__ import annotations

import enum
import logging
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson

from ._batch import Batch, Item
from ._codec import RequestBody, assemble, parse_snapshot
from ._endpoints import GET_CALLS, Endpoint
from ._enums import CallType
from ._errors import (
    EndpointNotEnabledError,
    ProtocolError,
    ServerNotFoundError,
    SonoranError,
    error_from_text,
)
from ._replies import CallsSnapshot
from ._transport import Reply

logger = logging.getLogger("sonoran_async")


class Found(enum.Enum):
    ABSENT = "absent"
    UNKNOWN = "unknown"


Match = int | Found
Exchange = Callable[[Endpoint[Any, Any], RequestBody, Batch], Awaitable[Reply]]


class Reconciler:
    def __init__(self, exchange: Exchange, prefix: RequestBody, token_key: str | None) -> None:
        self._exchange = exchange
        self._prefix = prefix  # GET_CALLS envelope prefix
        self._token_key = token_key
        #: Set once GET_CALLS proved impossible (e.g. above the plan): stop trying.
        self.impossible: str | None = None

    async def find(self, endpoint: Endpoint[Any, Any], items: Sequence[Item]) -> list[Match]:
        """Per item: its call id, ABSENT or UNKNOWN. Never raises for server trouble."""
        if self.impossible is not None or endpoint.lookup is None:
            return [Found.UNKNOWN] * len(items)
        objects = [orjson.loads(item.payload) for item in items]
        by_server: dict[Any, list[int]] = defaultdict(list)
        for index, obj in enumerate(objects):
            by_server[obj.get("serverId")].append(index)
        matches: list[Match] = [Found.UNKNOWN] * len(items)
        for server_id, indexes in by_server.items():
            try:
                snapshot = await self._snapshot(endpoint, server_id)
            except ServerNotFoundError as exc:
                if _names(exc.text, server_id):
                    # No such server: nothing can have been created on it.
                    for index in indexes:
                        matches[index] = Found.ABSENT
                    continue
                logger.warning(
                    "%s: the look-up on server %s was answered for another server (%r); "
                    "its objects' outcome stays unknown",
                    endpoint.request_type,
                    server_id,
                    exc.text,
                )
                continue
            except SonoranError as exc:
                if isinstance(exc, EndpointNotEnabledError):
                    self.impossible = "GET_CALLS is not in the community's plan"
                logger.warning(
                    "%s: could not look up an ambiguously answered request (%s); its "
                    "objects' outcome stays unknown",
                    endpoint.request_type,
                    exc,
                )
                continue
            calls = _calls_of(endpoint, snapshot)
            for index, match in zip(
                indexes,
                self._match(
                    endpoint, [items[i] for i in indexes], [objects[i] for i in indexes], calls
                ),
                strict=True,
            ):
                matches[index] = match
        return matches

    async def _snapshot(self, endpoint: Endpoint[Any, Any], server_id: Any) -> CallsSnapshot:
        assert endpoint.lookup is not None
        call_type = int(endpoint.lookup.call_type)
        query = orjson.dumps({"serverId": server_id, "closedLimit": 100, "type": call_type})
        reply = await self._exchange(GET_CALLS, assemble(self._prefix, [query]), Batch([]))
        if reply.status != 200:
            error = error_from_text(reply.status, reply.body.decode("utf-8", "replace"))
            raise error or ProtocolError(f"GET_CALLS answered HTTP {reply.status}")
        try:
            return parse_snapshot(orjson.loads(reply.body))
        except orjson.JSONDecodeError:
            raise ProtocolError("GET_CALLS answered no JSON") from None

    def _match(
        self,
        endpoint: Endpoint[Any, Any],
        items: Sequence[Item],
        objects: Sequence[dict[str, Any]],
        calls: Sequence[Any],
    ) -> list[Match]:
        key = self._token_key
        if key is not None and all(item.token for item in items):
            by_token: dict[str, list[int]] = defaultdict(list)
            for call in calls:
                token = (call.meta_data or {}).get(key)
                if token is not None:
                    by_token[str(token)].append(call.call_id)
            return [_one(by_token.get(item.token, [])) for item in items]
        assert endpoint.lookup is not None
        return _match_fields(endpoint.lookup.fields, objects, calls)


def _names(text: str, server_id: Any) -> bool:
    """Whether a "Server not found with ID: n" text is about `server_id` (proof of absence
    only then: a text naming another server proves nothing about this one)."""
    return (
        server_id is not None
        and re.search(rf"(?<!\d){re.escape(str(server_id))}(?!\d)", text) is not None
    )


def _one(ids: list[int]) -> Match:
    if not ids:
        return Found.ABSENT
    return ids[0] if len(ids) == 1 else Found.UNKNOWN


def _calls_of(endpoint: Endpoint[Any, Any], snapshot: CallsSnapshot) -> list[Any]:
    assert endpoint.lookup is not None
    if endpoint.lookup.call_type is CallType.EMERGENCY:
        return list(snapshot.emergency_calls)
    return [*snapshot.active_calls, *snapshot.closed_calls]


def _match_fields(
    fields: tuple[str, ...], objects: Sequence[dict[str, Any]], calls: Sequence[Any]
) -> list[Match]:
    """Without tokens: a signature shared by k objects is settled only if exactly k calls
    (all found) or none (all absent) carry it; anything else is a guess, so UNKNOWN."""

    def signature(values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(values.get(name) for name in fields)

    on_server: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for call in calls:
        on_server[signature(call.raw)].append(call.call_id)
    wanted: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for index, obj in enumerate(objects):
        wanted[signature(obj)].append(index)
    matches: list[Match] = [Found.UNKNOWN] * len(objects)
    for sig, indexes in wanted.items():
        ids = sorted(on_server.get(sig, []))
        if not ids:
            for index in indexes:
                matches[index] = Found.ABSENT
        elif len(ids) == len(indexes):
            for index, call_id in zip(indexes, ids, strict=True):
                matches[index] = call_id
    return matches

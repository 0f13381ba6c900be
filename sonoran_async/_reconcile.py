"""Reconciliation: which creates of an ambiguously answered request exist on the server.

After a reply that cannot be matched to its objects (one line for several, or one 400
for all), each create is looked up through GET_CALLS: by the token it carries in its
metaData when there is one, else by its fields. The answer per object is its id (found:
proof it exists), ABSENT (proof it was not applied, so it may be re-sent), or UNKNOWN.

Absence is proven, never assumed (`judge`, shared with the ingest resume look-up): a
snapshot that does not show an object proves its absence only if the snapshot echoes
tokens (some call in it carries one under our key, or it lists no call at all) and is
fresh for that object (an object sent after it in the same request shows in the same
snapshot, or two snapshots `recheck_after` seconds apart agree), and shows the call the
reply's one line named, if it named one. Every GET_CALLS made here takes its rate slot.
"""

from __future__ import annotations

import enum
import logging
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import orjson

from ._batch import Batch, Item
from ._clock import SYSTEM_CLOCK, Clock
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
from ._policies import ReconcilePolicy
from ._replies import CallsSnapshot
from ._transport import Reply

logger = logging.getLogger("sonoran_async")
_E = TypeVar("_E", bound=BaseException)


class Found(enum.Enum):
    ABSENT = "absent"
    UNKNOWN = "unknown"


Match = int | Found
Exchange = Callable[[Endpoint[Any, Any], RequestBody, Batch], Awaitable[Reply]]
#: Per snapshot: a token (or a field signature) -> the ids of the calls that carry it.
Seen = Mapping[Any, Sequence[int]]


def token_of(call: Any, token_key: str) -> str | None:
    """The token a call carries under `token_key` (metaData as an object, or as a JSON
    string holding one, as some servers send it); None without one."""
    meta: Any = getattr(call, "meta_data", None)
    if meta is None:
        meta = call.raw.get("metaData") if hasattr(call, "raw") else None
        if type(meta) is str:
            try:
                meta = orjson.loads(meta)
            except orjson.JSONDecodeError:
                return None
    if type(meta) is not dict:
        return None
    token = meta.get(token_key)
    return None if token is None or token == "" else str(token)


def tokens_on(calls: Iterable[Any], token_key: str) -> dict[str, list[int]]:
    """Token -> the ids of the calls that carry it, in one snapshot."""
    seen: dict[str, list[int]] = defaultdict(list)
    for call in calls:
        token = token_of(call, token_key)
        if token is not None:
            seen[token].append(call.call_id)
    return seen


def judge(
    wanted: Sequence[Any], snapshots: Sequence[Seen], *, echoed: bool, in_order: bool
) -> list[Match]:
    """Per wanted token, from successive snapshots (oldest first, each taken after the
    request was answered): its id if the newest shows it on exactly one call; ABSENT only
    with proof; else UNKNOWN.

    Proof of absence needs `echoed` (the newest snapshot shows some call carrying a token
    under our key: it returns metaData as sent) and freshness: with `in_order` (the wanted
    tokens are one request's objects, in their order: servers apply them in order), a
    later one shown by the same snapshot; or the two newest snapshots show the same of
    the wanted tokens (a lagging replica has caught up by the second).
    """
    latest = snapshots[-1]
    agreed = len(snapshots) >= 2 and _ours(snapshots[-2], wanted) == _ours(latest, wanted)
    last_shown = -1
    if in_order:
        last_shown = max((i for i, t in enumerate(wanted) if latest.get(t)), default=-1)
    matches: list[Match] = []
    for index, token in enumerate(wanted):
        ids = latest.get(token) or ()
        if len(ids) == 1:
            matches.append(ids[0])
        elif ids or not echoed:
            matches.append(Found.UNKNOWN)
        elif index < last_shown or agreed:
            matches.append(Found.ABSENT)
        else:
            matches.append(Found.UNKNOWN)
    return matches


async def look_up_tokens(
    fetch: Callable[[], Awaitable[Iterable[Any]]],
    token_key: str,
    wanted: Sequence[str],
    *,
    policy: ReconcilePolicy | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> list[Match]:
    """Per wanted token (of objects sent in any order, e.g. by an earlier run): its id,
    ABSENT or UNKNOWN, from up to `max_snapshots` calls of `fetch` (one snapshot's calls
    each) `recheck_after` seconds apart; `judge`'s rule without the in-order witness."""
    policy = policy or ReconcilePolicy()
    seen: list[Seen] = []
    matches: list[Match] = [Found.UNKNOWN] * len(wanted)
    for attempt in range(max(policy.max_snapshots, 2)):
        if attempt:
            await clock.sleep(policy.recheck_after)
        tokens = tokens_on(await fetch(), token_key)
        seen.append(tokens)
        matches = judge(wanted, seen, echoed=bool(tokens), in_order=False)
        if Found.UNKNOWN not in matches:
            break
    return matches


def _ours(seen: Seen, wanted: Sequence[Any]) -> dict[Any, tuple[int, ...]]:
    return {t: tuple(seen[t]) for t in wanted if seen.get(t)}


class Reconciler:
    def __init__(
        self,
        exchange: Exchange,
        prefix: RequestBody,
        token_key: str | None,
        *,
        policy: ReconcilePolicy | None = None,
        clock: Clock = SYSTEM_CLOCK,
        scrub: Callable[[SonoranError], SonoranError] = lambda error: error,
    ) -> None:
        self._exchange = exchange  # takes the request's rate slot itself
        self._prefix = prefix  # GET_CALLS envelope prefix
        self._token_key = token_key
        self._policy = policy or ReconcilePolicy()
        self._clock = clock
        self._scrub = scrub
        #: Set once GET_CALLS proved impossible (e.g. above the plan): stop trying.
        self.impossible: str | None = None

    async def find(
        self, endpoint: Endpoint[Any, Any], items: Sequence[Item], witness: int | None = None
    ) -> list[Match]:
        """Per item (in request order): its call id, ABSENT or UNKNOWN. `witness`: a call
        id the reply proved this request made; a snapshot without it is stale. Never
        raises but for cancellation: anything going wrong leaves the outcome UNKNOWN."""
        if self.impossible is not None or endpoint.lookup is None:
            return [Found.UNKNOWN] * len(items)
        try:
            return await self._find(endpoint, items, witness)
        except Exception as exc:  # an internal failure: the outcome stays open
            logger.error(
                "%s: the look-up failed (%s); its objects' outcome stays unknown",
                endpoint.request_type,
                self._scrub(ProtocolError(f"{type(exc).__name__}: {exc}")),
            )
            return [Found.UNKNOWN] * len(items)

    async def _find(
        self, endpoint: Endpoint[Any, Any], items: Sequence[Item], witness: int | None
    ) -> list[Match]:
        objects = [orjson.loads(item.payload) for item in items]
        by_server: dict[Any, list[int]] = defaultdict(list)
        for index, obj in enumerate(objects):
            by_server[obj.get("serverId")].append(index)
        if len(by_server) > 1:
            witness = None  # the witness's server is not known
        matches: list[Match] = [Found.UNKNOWN] * len(items)
        for server_id, indexes in by_server.items():
            group = await self._on_server(
                endpoint,
                server_id,
                [items[i] for i in indexes],
                [objects[i] for i in indexes],
                witness,
            )
            for index, match in zip(indexes, group, strict=True):
                matches[index] = match
        return matches

    async def _on_server(
        self,
        endpoint: Endpoint[Any, Any],
        server_id: Any,
        items: Sequence[Item],
        objects: Sequence[dict[str, Any]],
        witness: int | None,
    ) -> list[Match]:
        """Up to `max_snapshots` GET_CALLS, `recheck_after` seconds apart, until every
        object is found or proven absent (or nothing more can be learned)."""
        key = self._token_key
        by_token = key is not None and all(item.token for item in items)
        wanted: list[Any] = [item.token for item in items] if by_token else []
        seen: list[Seen] = []
        matches: list[Match] = [Found.UNKNOWN] * len(items)
        for attempt in range(self._policy.max_snapshots):
            if attempt:
                await self._clock.sleep(self._policy.recheck_after)
            try:
                snapshot, listed = await self._snapshot(endpoint, server_id)
            except SonoranError as exc:
                return self._failed(endpoint, server_id, exc, len(items), matches)
            calls = _calls_of(endpoint, snapshot)
            # A snapshot without the call the reply named is stale: it proves no absence.
            stale = witness is not None and all(call.call_id != witness for call in calls)
            # No call listed at all (the lists present, and empty): none can be ours,
            # whatever the server does with metaData. `{}` lists nothing: no proof.
            nothing_there = listed and not calls
            if by_token:
                assert key is not None
                tokens = tokens_on(calls, key)
                seen.append(tokens)
                echoed = (bool(tokens) or nothing_there) and not stale
                matches = judge(wanted, seen, echoed=echoed, in_order=True)
            else:
                assert endpoint.lookup is not None
                echoed = (bool(calls) or nothing_there) and not stale
                matches = _match_fields(endpoint.lookup.fields, objects, calls, seen, echoed)
            if Found.UNKNOWN not in matches:
                break
        return matches

    def _failed(
        self,
        endpoint: Endpoint[Any, Any],
        server_id: Any,
        exc: SonoranError,
        count: int,
        matches: list[Match],
    ) -> list[Match]:
        """A look-up that failed: what earlier snapshots found stands, the rest is
        unknown, except on a server the server itself says does not exist."""
        exc = self._scrub(exc)
        if isinstance(exc, ServerNotFoundError) and _names(exc.text, server_id):
            return [Found.ABSENT] * count  # no such server: nothing was created on it
        if isinstance(exc, ServerNotFoundError):
            what = f"was answered for another server ({exc.text!r})"
        else:
            if isinstance(exc, EndpointNotEnabledError):
                self.impossible = "GET_CALLS is not in the community's plan"
            what = f"failed ({exc})"
        logger.warning(
            "%s: the look-up on server %s %s; what it did not find stays unknown",
            endpoint.request_type,
            server_id,
            what,
        )
        return [m if isinstance(m, int) else Found.UNKNOWN for m in matches]

    async def _snapshot(
        self, endpoint: Endpoint[Any, Any], server_id: Any
    ) -> tuple[CallsSnapshot, bool]:
        """A fresh snapshot, and whether it lists the looked-up type's calls at all."""
        assert endpoint.lookup is not None
        call_type = int(endpoint.lookup.call_type)
        query = orjson.dumps({"serverId": server_id, "closedLimit": 100, "type": call_type})
        reply = await self._exchange(GET_CALLS, assemble(self._prefix, [query]), Batch([]))
        if reply.status != 200:
            error = error_from_text(reply.status, reply.body[:2000].decode("utf-8", "replace"))
            raise error or ProtocolError(f"GET_CALLS answered HTTP {reply.status}")
        try:
            document = orjson.loads(reply.body)
        except orjson.JSONDecodeError:
            raise ProtocolError("GET_CALLS answered no JSON") from None
        snapshot = parse_snapshot(document)
        if type(document) is list:
            document = document[0]
        lists = _LISTS[endpoint.lookup.call_type]
        listed = all(type(document.get(name)) is list for name in lists)
        return snapshot, listed


_LISTS = {
    CallType.EMERGENCY: ("emergencyCalls",),
    CallType.DISPATCH: ("activeCalls", "closedCalls"),
}


def _names(text: str, server_id: Any) -> bool:
    """Whether a "Server not found with ID: n" text is about `server_id` (proof of absence
    only then: a text naming another server proves nothing about this one)."""
    return (
        server_id is not None
        and re.search(rf"(?<!\d){re.escape(str(server_id))}(?!\d)", text) is not None
    )


def _calls_of(endpoint: Endpoint[Any, Any], snapshot: CallsSnapshot) -> list[Any]:
    assert endpoint.lookup is not None
    if endpoint.lookup.call_type is CallType.EMERGENCY:
        return list(snapshot.emergency_calls)
    return [*snapshot.active_calls, *snapshot.closed_calls]


def _signature(values: Mapping[str, Any], fields: tuple[str, ...]) -> bytes:
    """The fields as canonical JSON: any value hashes (an object-valued description
    too), and a field left out, null or "" compare equal (servers drop empty ones)."""
    return orjson.dumps(
        [None if values.get(name) in (None, "") else values.get(name) for name in fields],
        option=orjson.OPT_SORT_KEYS,
    )


def _match_fields(
    fields: tuple[str, ...],
    objects: Sequence[dict[str, Any]],
    calls: Sequence[Any],
    seen: list[Seen],
    echoed: bool,
) -> list[Match]:
    """Without tokens: a signature shared by k objects is found only if exactly k calls
    carry it; absent only if no call does and `judge`'s freshness rule holds (the
    snapshot is appended to `seen`); anything else is a guess, so UNKNOWN."""
    on_server: dict[bytes, list[int]] = defaultdict(list)
    for call in calls:
        on_server[_signature(call.raw, fields)].append(call.call_id)
    seen.append(on_server)
    signatures = [_signature(obj, fields) for obj in objects]
    # Not in order: a later object's fields may match a call made long before this one.
    verdicts = judge(signatures, seen, echoed=echoed, in_order=False)
    wanted: dict[bytes, list[int]] = defaultdict(list)
    for index, sig in enumerate(signatures):
        wanted[sig].append(index)
    matches: list[Match] = [Found.UNKNOWN] * len(objects)
    for sig, indexes in wanted.items():
        ids = sorted(on_server.get(sig, []))
        if not ids:
            for index in indexes:
                matches[index] = verdicts[index]  # ABSENT only with proof
        elif len(ids) == len(indexes):
            for index, call_id in zip(indexes, ids, strict=True):
                matches[index] = call_id
    return matches

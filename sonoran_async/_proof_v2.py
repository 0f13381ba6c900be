"""What proves that one object succeeded under v2: the reply's JSON document, read per
route (`V2Route.proof`).

As in v1, proof is positive and per object: a create needs a call object with an integer
`callId` (the new id); a removal or an update needs the reply to name the object's own
call id; a close needs its id among the reply's `callIds`. Each function takes the
document and the request it answers, and returns the result or raises `NoProof`.
"""

from __future__ import annotations

from typing import Any

import attrs
import orjson

from ._codec import parse_snapshot, quoted
from ._errors import ProtocolError
from ._proof import NoProof
from ._replies import CallsSnapshot


def _call_id(document: Any) -> int | None:
    """An object's integer `callId` (5.0 is 5; "5", 5.7 and true are no id)."""
    if type(document) is not dict:
        return None
    value = document.get("callId")
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    return None


def created(document: Any, _: Any) -> int:
    """A create: the new call object, with its integer `callId`."""
    call_id = _call_id(document)
    if call_id is None or call_id < 0:
        raise NoProof(f"no call object with an integer callId: {_shown(document)}")
    return call_id


def names_own_call(document: Any, request: Any) -> None:
    """A removal or an update: the call object of the request's own `call_id`."""
    if _call_id(document) != request.call_id:
        raise NoProof(f"it does not name call {request.call_id}: {_shown(document)}")


def listed_in_call_ids(document: Any, request: Any) -> None:
    """A close: the request's `call_id` among the reply's `callIds`."""
    ids = document.get("callIds") if type(document) is dict else None
    if type(ids) is not list or not any(
        type(i) in (int, float) and i == request.call_id for i in ids
    ):
        raise NoProof(f"callIds does not name call {request.call_id}: {_shown(document)}")


_SNAPSHOT_KEYS = {
    "ActiveCalls": "activeCalls",
    "EmergencyCalls": "emergencyCalls",
    "ClosedCalls": "closedCalls",
}


def snapshot(document: Any, _: Any) -> CallsSnapshot:
    """GET_CALLS: PascalCase lists (a lone object is read as a list of one, as the
    OpenAPI example shows them) and `ClosedCallCount`."""
    if type(document) is not dict:
        raise NoProof(f"no snapshot: {_shown(document)}")
    camel: dict[str, Any] = {}
    for pascal, key in _SNAPSHOT_KEYS.items():
        value = document.get(pascal, document.get(key))
        if value is not None:
            camel[key] = [value] if type(value) is dict else value
    try:
        calls = parse_snapshot(camel)
    except ProtocolError as exc:
        raise NoProof(str(exc)) from None
    count = document.get("ClosedCallCount", document.get("closedCallCount"))
    if type(count) is float and count.is_integer():
        count = int(count)
    return attrs.evolve(calls, closed_call_count=count if type(count) is int else None)


def _shown(document: Any) -> str:
    return quoted(orjson.dumps(document).decode(errors="replace"))

"""The v2 wire: REST paths and verbs per operation, Bearer authentication, JSON replies.

The models stay the public vocabulary; this module maps them onto v2:

| request | v2 |
|---|---|
| Call911 | `POST v2/emergency/servers/{serverId}/calls/911` |
| Remove911 | `DELETE .../calls/911/{callId}` |
| CallsQuery | `GET .../calls?closedLimit=&closedOffset=&type=` |
| CloseCall | `POST .../dispatch-calls/close` with `{"callIds": [...]}`: many callers, one request |
| DispatchEdit | `PATCH .../dispatch-calls/{callId}` (a metaData sent replaces the stored one) |
| NewDispatch | `POST .../dispatch-calls` (unassigned: `communityUserIds: []`) |

Proof of success, as in v1, is positive and per object: a create needs a call object with
an integer `callId` (the new id); a removal or an update needs the reply to name the
object's own call id; a close needs its id among the reply's `callIds`. Errors are
`application/problem+json`, mapped to the same exceptions as v1's texts; any other error
body (HTML, a gateway's JSON, nothing) proves nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlencode

import attrs
import orjson

from . import _v2_live
from ._batch import Item
from ._codec import RequestBody, converter, parse_snapshot
from ._endpoints import ENDPOINTS, Endpoint
from ._errors import (
    ApiError,
    ApiNotEnabledError,
    CallNotFoundError,
    EndpointNotEnabledError,
    InvalidApiKeyError,
    ProtocolError,
    ServerNotFoundError,
    ValidationError,
    error_from_text,
    keep_references,
)
from ._models import Call911, CallsQuery, CloseCall, DispatchEdit, NewDispatch, Remove911
from ._outcomes import Outcome, Proven, Reading, Refused, Shape, Unanswered, Unproven
from ._proof import NoProof
from ._replies import CallsSnapshot
from ._transport import Reply
from ._wire import HttpRequest, SecretHeaders

#: Rate bucket names, one per operation (v2 limits each operation per key).
BUCKETS: Final[Mapping[str, str]] = {
    name: f"v2:{name}"
    for name in (
        "CALL_911",
        "REMOVE_911",
        "GET_CALLS",
        "CLOSE_CALL",
        "EDIT_DISPATCH",
        "NEW_DISPATCH",
    )
} | _v2_live.BUCKETS
_CLOSE_OVERHEAD = len(b'{"callIds":[]}')
#: Request models whose queued bytes are the v2 body (the others go in path and query).
_BODIES = (Call911, NewDispatch, DispatchEdit)


def _quote(text: str) -> str:
    return repr(text[:120] + ("..." if len(text) > 120 else ""))


class V2Wire:
    """Bearer authentication; one object per request, except closes (`callIds`)."""

    buckets: Mapping[str, str] = BUCKETS
    learns_multi_object = False

    def __init__(self, api_key: str, server_id: int) -> None:
        self._server_id = server_id
        bearer = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self._headers = SecretHeaders(bearer)
        self._json_headers = SecretHeaders(bearer, **{"Content-Type": "application/json"})

    def __repr__(self) -> str:  # the key stays out
        return f"<V2Wire server_id={self._server_id}>"

    def encode(
        self, request: Any, token_key: str | None, unstructure: Callable[[Any], Any] | None
    ) -> tuple[bytes, str]:
        if (op := _LIVE_OPS.get(type(request))) is not None:
            return op.encode(request, self._server_id), ""
        wire: dict[str, Any] = (unstructure or converter.unstructure)(request)
        if isinstance(request, _BODIES):
            wire.pop("serverId", None)  # in the path, never in the body
            wire.pop("callId", None)
            if isinstance(request, NewDispatch):
                if wire.pop("units", None):
                    raise ValidationError(
                        "units", "v2 attaches no units by API id; leave units empty for v2"
                    )
                wire["communityUserIds"] = []  # an unassigned call, as v2 requires a target
        else:  # path and query only: the bytes identify the request (single flight)
            wire["serverId"] = self._server_of(request)
        try:
            return orjson.dumps(wire), ""
        except TypeError as exc:
            raise ValidationError("meta_data", f"not JSON: {exc}") from None

    def supports(self, endpoint: Endpoint[Any, Any]) -> bool:
        return endpoint.request_type in self.buckets

    def overhead(self, endpoint: Endpoint[Any, Any]) -> int:
        return _CLOSE_OVERHEAD if endpoint.request is CloseCall else 0

    def coalesces(self, endpoint: Endpoint[Any, Any]) -> bool:
        op = _v2_live.OPS.get(endpoint.request_type)
        return endpoint.request is CloseCall or (op is not None and op.group is not None)

    def put_off(self, endpoint: Endpoint[Any, Any], items: Sequence[Item]) -> list[Item]:
        """A close names one server in its path: closes for other servers go alone."""
        if len(items) < 2:
            return []
        if (op := _v2_live.OPS.get(endpoint.request_type)) is not None:
            return _v2_live.put_off(op, items, self._server_id)
        server = self._server_of(items[0].request)
        return [item for item in items if self._server_of(item.request) != server]

    def build(self, endpoint: Endpoint[Any, Any], items: Sequence[Item]) -> HttpRequest:
        first = items[0].request
        if (op := _v2_live.OPS.get(endpoint.request_type)) is not None:
            method, path, body = op.build([item.request for item in items], self._server_id)
            if body is None:
                return HttpRequest(method, path, None, self._headers)
            return self._json(method, path, body)
        base = f"v2/emergency/servers/{self._server_of(first)}"
        if isinstance(first, Call911):
            return self._json("POST", f"{base}/calls/911", items[0].payload)
        if isinstance(first, NewDispatch):
            return self._json("POST", f"{base}/dispatch-calls", items[0].payload)
        if isinstance(first, DispatchEdit):
            return self._json("PATCH", f"{base}/dispatch-calls/{first.call_id}", items[0].payload)
        if isinstance(first, CloseCall):
            ids = orjson.dumps({"callIds": [item.request.call_id for item in items]})
            return self._json("POST", f"{base}/dispatch-calls/close", ids)
        if isinstance(first, Remove911):
            return HttpRequest("DELETE", f"{base}/calls/911/{first.call_id}", None, self._headers)
        assert isinstance(first, CallsQuery)
        query = urlencode(
            {
                "closedLimit": first.closed_limit,
                "closedOffset": first.closed_offset,
                "type": int(first.call_type),
            }
        )
        return HttpRequest("GET", f"{base}/calls?{query}", None, self._headers)

    def read(self, endpoint: Endpoint[Any, Any], requests: Sequence[Any], reply: Reply) -> Reading:
        return read_reply(endpoint, requests, reply.status, reply.body)

    def _json(self, method: str, path: str, body: bytes) -> HttpRequest:
        return HttpRequest(method, path, RequestBody(body), self._json_headers)

    def _server_of(self, request: Any) -> int:
        server: int | None = request.server_id
        return self._server_id if server is None else server


# --- reading replies -----------------------------------------------------------------------


def read_reply(
    endpoint: Endpoint[Any, Any], requests: Sequence[Any], status: int, body: bytes
) -> Reading:
    """One outcome per request from a final v2 reply (not a 429, not a 5xx)."""
    n = len(requests)
    if status < 200 or 300 <= status < 400:
        return Reading(Shape.NOTHING, [Unproven(f"HTTP {status} is no answer")] * n)
    if status >= 400:
        return _read_error(status, body, n)
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        text = body.decode("utf-8", "replace").strip()
        why = f"HTTP {status}, not JSON: {_quote(text)}" if text else f"HTTP {status}, empty"
        return Reading(Shape.NOTHING, [Unproven(why)] * n)
    proof = _PROOFS[endpoint.request_type]
    outcomes: list[Outcome] = []
    for request in requests:
        try:
            outcomes.append(Proven(proof(document, request)))
        except NoProof as exc:
            outcomes.append(Unproven(f"the reply proves nothing: {exc}"))
    return Reading(Shape.LINES, outcomes)


def _read_error(status: int, body: bytes, n: int) -> Reading:
    error = error_from_problem(status, body)
    keep_references(error, body)  # Sonoran's traceId, for a support ticket
    if error is None:
        text = body.decode("utf-8", "replace").strip()
        return Reading(Shape.NOTHING, [Unproven(f"HTTP {status}: {_quote(text)}")] * n)
    if n == 1 or error.fatal or isinstance(error, EndpointNotEnabledError | ServerNotFoundError):
        return Reading(Shape.ENVELOPE if n > 1 else Shape.LINES, [Refused(error)] * n)
    # One error for several closes: which of them it concerns is not said. Each is
    # re-sent alone (closing is idempotent) to get its own answer.
    why = f"HTTP {status} for {n} objects: {_quote(str(error))}"
    return Reading(Shape.ERROR_FOR_MANY, [Unanswered(why)] * n)


def error_from_problem(status: int, body: bytes) -> ApiError | None:
    """The error an `application/problem+json` body states, or None for any other body
    (a proxy's page, a gateway's JSON, nothing): those prove nothing."""
    try:
        problem = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if type(problem) is not dict or not {"title", "detail", "type"} & problem.keys():
        return None
    detail = str(problem.get("detail") or problem.get("title") or "")
    text = f"{problem.get('title') or status}: {detail}" if detail else f"HTTP {status}"
    known = error_from_text(status, detail)
    if known is not None and type(known) is not ApiError:
        return known
    lowered = detail.lower()
    cls: type[ApiError] = ApiError
    if status == 401:
        cls = InvalidApiKeyError
    elif status == 403:
        cls = ApiNotEnabledError if "api is not enabled" in lowered else EndpointNotEnabledError
    elif status == 404 and "call" in lowered:
        cls = CallNotFoundError
    elif status == 404 and "server" in lowered:
        cls = ServerNotFoundError
    return cls(status, text)


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


def _created(document: Any, _: Any) -> int:
    call_id = _call_id(document)
    if call_id is None or call_id < 0:
        raise NoProof(f"no call object with an integer callId: {_shown(document)}")
    return call_id


def _names_own_call(document: Any, request: Any) -> None:
    if _call_id(document) != request.call_id:
        raise NoProof(f"it does not name call {request.call_id}: {_shown(document)}")


def _closed(document: Any, request: CloseCall) -> None:
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


def _snapshot(document: Any, _: Any) -> CallsSnapshot:
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
        snapshot = parse_snapshot(camel)
    except ProtocolError as exc:
        raise NoProof(str(exc)) from None
    count = document.get("ClosedCallCount", document.get("closedCallCount"))
    if type(count) is float and count.is_integer():
        count = int(count)
    return attrs.evolve(snapshot, closed_call_count=count if type(count) is int else None)


def _shown(document: Any) -> str:
    return _quote(orjson.dumps(document).decode(errors="replace"))


_PROOFS: dict[str, Callable[[Any, Any], Any]] = {
    "CALL_911": _created,
    "NEW_DISPATCH": _created,
    "REMOVE_911": _names_own_call,
    "EDIT_DISPATCH": _names_own_call,
    "CLOSE_CALL": _closed,
    "GET_CALLS": _snapshot,
} | {name: op.proof for name, op in _v2_live.OPS.items()}
#: Request models whose v2 form is `_v2_live`'s.
_LIVE_OPS: dict[type[Any], _v2_live.V2Op] = {
    e.request: _v2_live.OPS[e.request_type] for e in ENDPOINTS if e.request_type in _v2_live.OPS
}

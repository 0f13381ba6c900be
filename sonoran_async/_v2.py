"""The v2 wire: REST paths and verbs per operation, Bearer authentication, JSON replies.

The models stay the public vocabulary; each endpoint's row (`_endpoints.V2Route`) says
where v2 has it: method, path template, which fields go in the path, the query and the
body, its proof. This module reads those rows, as `V1Wire` reads the v1 part of them.

Errors are `application/problem+json`, mapped to the same exceptions as v1's texts; any
other error body (HTML, a gateway's JSON, nothing) proves nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import orjson

from ._batch import Item
from ._codec import RequestBody, converter, quoted
from ._endpoints import ENDPOINTS, Endpoint, V2Route
from ._errors import (
    ApiError,
    ApiNotEnabledError,
    CallNotFoundError,
    EndpointNotEnabledError,
    InvalidApiKeyError,
    ServerNotFoundError,
    ValidationError,
    error_from_text,
    keep_references,
)
from ._outcomes import Outcome, Proven, Reading, Refused, Shape, Unanswered, Unproven
from ._proof import NoProof
from ._transport import Reply
from ._wire import Encoder, HttpRequest, SecretHeaders


class V2Wire:
    """Bearer authentication; one object per request, except where a route gathers
    several callers' objects into one body (closes: `callIds`)."""

    learns_multi_object = False
    api_version = 2
    prefixes: Mapping[str, RequestBody] = {}

    def __init__(self, api_key: str, server_id: int) -> None:
        self._server_id = server_id
        bearer = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self._headers = SecretHeaders(bearer)
        self._json_headers = SecretHeaders(bearer, **{"Content-Type": "application/json"})
        self.buckets: Mapping[str, str] = {
            e.request_type: e.bucket(2) for e in ENDPOINTS if e.v2 is not None
        }
        self._routes: dict[type[Any], V2Route] = {
            e.request: e.v2 for e in ENDPOINTS if e.v2 is not None
        }

    def __repr__(self) -> str:  # the key stays out
        return f"<V2Wire server_id={self._server_id}>"

    def encode(
        self, request: Any, token_key: str | None, unstructure: Callable[[Any], Any] | None
    ) -> tuple[bytes, str]:
        route = self._routes[type(request)]
        if route.build is not None:  # the bytes identify the request (single flight)
            method, path, body = route.build([request], self._server_id)
            return orjson.dumps([method, path]) + (body or b""), ""
        wire: dict[str, Any] = (unstructure or converter.unstructure)(request)
        if route.body:
            for name in route.path_fields:  # in the path, never in the body
                wire.pop(name, None)
            for name, why in route.unsupported.items():
                if wire.pop(name, None):
                    raise ValidationError(name, why)
            wire.update(route.constant)
        else:  # path and query only: the bytes identify the request (single flight)
            wire["serverId"] = self._server_of(request)
        try:
            return orjson.dumps(wire), ""
        except TypeError as exc:
            raise ValidationError("meta_data", f"not JSON: {exc}") from None

    def encoder(self, endpoint: Endpoint[Any, Any], token_key: str | None) -> Encoder:
        unstructure = converter.get_unstructure_hook(endpoint.request)
        return functools.partial(self.encode, token_key=None, unstructure=unstructure)

    def supports(self, endpoint: Endpoint[Any, Any]) -> bool:
        return endpoint.v2 is not None

    def overhead(self, endpoint: Endpoint[Any, Any]) -> int:
        gather = endpoint.v2.gather if endpoint.v2 is not None else None
        return len(orjson.dumps({gather[1]: []})) if gather else 0

    def coalesces(self, endpoint: Endpoint[Any, Any]) -> bool:
        route = endpoint.v2
        return route is not None and (route.gather is not None or route.group is not None)

    def cannot_share(self, endpoint: Endpoint[Any, Any], items: Sequence[Item]) -> list[Item]:
        """Objects in one request share its path (a close names one server) or its group
        (a unit command: one value, one server): the others go in requests of their own."""
        if len(items) < 2:
            return []
        route = self._route(endpoint)
        if route.build is not None and route.group is None:
            return list(items[1:])
        key = self._sharing_key(route)
        first = key(items[0].request)
        return [item for item in items if key(item.request) != first]

    def build(self, endpoint: Endpoint[Any, Any], items: Sequence[Item]) -> HttpRequest:
        route = self._route(endpoint)
        first = items[0].request
        if route.build is not None:
            method, path, body = route.build([item.request for item in items], self._server_id)
            if body is None:
                return HttpRequest(method, path, None, self._headers)
            return self._json(method, path, body)
        path = self._path(route, first)
        if route.gather is not None:
            field, key = route.gather
            ids = [converter.unstructure(item.request)[field] for item in items]
            return self._json(route.method, path, orjson.dumps({key: ids}))
        if route.body:
            return self._json(route.method, path, items[0].payload)
        if route.query:
            wire = converter.unstructure(first)
            path += "?" + urlencode({name: wire[name] for name in route.query if name in wire})
        return HttpRequest(route.method, path, None, self._headers)

    def read(self, endpoint: Endpoint[Any, Any], requests: Sequence[Any], reply: Reply) -> Reading:
        return read_reply(endpoint, requests, reply.status, reply.body)

    def _route(self, endpoint: Endpoint[Any, Any]) -> V2Route:
        route = endpoint.v2
        assert route is not None, f"{endpoint.request_type} is not part of v2"
        return route

    def _sharing_key(self, route: V2Route) -> Callable[[Any], Hashable]:
        group = route.group
        if group is not None:
            return lambda request: group(request, self._server_id)
        return lambda request: self._path(route, request)

    def _path(self, route: V2Route, request: Any) -> str:
        wire = converter.unstructure(request)
        wire["serverId"] = self._server_of(request)
        return route.path.format_map(wire)

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
        why = f"HTTP {status}, not JSON: {quoted(text)}" if text else f"HTTP {status}, empty"
        return Reading(Shape.NOTHING, [Unproven(why)] * n)
    proof = endpoint.v2.proof if endpoint.v2 is not None else None
    assert proof is not None, f"{endpoint.request_type} is not part of v2"
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
        return Reading(Shape.NOTHING, [Unproven(f"HTTP {status}: {quoted(text)}")] * n)
    if n == 1 or error.fatal or isinstance(error, EndpointNotEnabledError | ServerNotFoundError):
        return Reading(Shape.ENVELOPE if n > 1 else Shape.LINES, [Refused(error)] * n)
    # One error for several gathered objects: which of them it concerns is not said. Each
    # is re-sent alone (closing is idempotent) to get its own answer.
    why = f"HTTP {status} for {n} objects: {quoted(str(error))}"
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

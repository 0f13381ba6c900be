"""The wire seam: how one batch becomes an HTTP request and how its reply is read.

The batcher, the sender and the delivery are the same for every API version; what
differs is the wire: v1 posts an envelope (`{id, key, type, data: [...]}`) to
`/<category>/<type>` and answers text lines, v2 speaks REST (`Authorization: Bearer`,
verbs and paths per operation, JSON replies). A `Wire` is chosen once per client.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import attrs

from ._batch import Item
from ._codec import RequestBody, assemble, converter, encode_object, envelope_prefix
from ._endpoints import ENDPOINTS, Endpoint
from ._outcomes import Reading, read_reply
from ._transport import JSON_HEADERS, Reply


class SecretHeaders(dict[str, str]):
    """Request headers that carry the key: their repr (error trackers capture frame
    locals by repr) never shows the values."""

    def __repr__(self) -> str:
        return f"<headers {', '.join(self)}: values hidden>"


def _hidden(headers: Mapping[str, str]) -> str:
    return f"<{len(headers)} header(s), values hidden>"


@attrs.frozen
class HttpRequest:
    """One request as it goes on the wire. Its body or headers carry the API key, so
    neither is ever shown by its repr."""

    method: str
    #: Relative to the base URL (no leading slash), query string included.
    path: str
    body: RequestBody | None
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=_hidden)


#: One request object -> its bytes as queued and the token it carries ("" if none).
Encoder = Callable[[Any], tuple[bytes, str]]


def _no_data(request: Any) -> tuple[bytes, str]:
    return b"", ""


class Wire(Protocol):
    """One API version's encoding of requests and reading of replies."""

    #: 1 or 2.
    api_version: int
    #: The rate bucket of each request type (`Limiter.acquire(bucket, ...)`).
    buckets: Mapping[str, str]
    #: Whether what the server does with several objects in one request is unknown and
    #: must be learned (v1's `data` array); False where the API defines it (v2's close).
    #: Creates share requests only where it is True: only then is there reconciling.
    learns_multi_object: bool
    #: Request type -> the v1 envelope up to `data` (what GET_CALLS look-ups send);
    #: empty for v2.
    prefixes: Mapping[str, RequestBody]

    def encoder(self, endpoint: Endpoint[Any, Any], token_key: str | None) -> Encoder:
        """At submit: a request's bytes as queued and the token it carries ("" if none),
        for one endpoint, its arguments bound once (the hot path)."""
        ...

    def supports(self, endpoint: Endpoint[Any, Any]) -> bool:
        """Whether this API version has `endpoint` at all."""
        ...

    def overhead(self, endpoint: Endpoint[Any, Any]) -> int:
        """Bytes a request of `endpoint` adds around its objects (for `max_bytes`)."""
        ...

    def coalesces(self, endpoint: Endpoint[Any, Any]) -> bool:
        """Whether several callers' objects may share one request of `endpoint`."""
        ...

    def cannot_share(self, endpoint: Endpoint[Any, Any], items: Sequence[Item]) -> list[Item]:
        """The items of a batch that cannot share its request (each goes in another)."""
        ...

    def build(self, endpoint: Endpoint[Any, Any], items: Sequence[Item]) -> HttpRequest:
        """The request for a batch's items (those `cannot_share` did not name)."""
        ...

    def read(self, endpoint: Endpoint[Any, Any], requests: Sequence[Any], reply: Reply) -> Reading:
        """One outcome per request, from a final reply whose key is already cut out."""
        ...


class V1Wire:
    """The v1 envelope: every object of a batch in one `data` array, text replies."""

    api_version = 1
    learns_multi_object = True

    def __init__(self, community_id: str, api_key: str, server_id: int) -> None:
        self._server_id = server_id
        self.prefixes: Mapping[str, RequestBody] = {
            e.request_type: envelope_prefix(community_id, api_key, e.request_type)
            for e in ENDPOINTS
        }
        self.buckets: Mapping[str, str] = {e.request_type: e.bucket(1) for e in ENDPOINTS}
        #: Models with a serverId the client's default fills in.
        self._with_server = {
            e.request for e in ENDPOINTS if "server_id" in attrs.fields_dict(e.request)
        }

    def encoder(self, endpoint: Endpoint[Any, Any], token_key: str | None) -> Encoder:
        if not endpoint.sends_data:
            return _no_data
        return functools.partial(
            encode_object,
            default_server_id=self._server_id if endpoint.request in self._with_server else None,
            token_key=token_key,
            unstructure=converter.get_unstructure_hook(endpoint.request),
        )

    def supports(self, endpoint: Endpoint[Any, Any]) -> bool:
        return True

    def overhead(self, endpoint: Endpoint[Any, Any]) -> int:
        return len(self.prefixes[endpoint.request_type])

    def coalesces(self, endpoint: Endpoint[Any, Any]) -> bool:
        return True

    def cannot_share(self, endpoint: Endpoint[Any, Any], items: Sequence[Item]) -> list[Item]:
        return []

    def build(self, endpoint: Endpoint[Any, Any], items: Sequence[Item]) -> HttpRequest:
        body = assemble(self.prefixes[endpoint.request_type], [item.payload for item in items])
        return HttpRequest("POST", endpoint.path, body, JSON_HEADERS)

    def read(self, endpoint: Endpoint[Any, Any], requests: Sequence[Any], reply: Reply) -> Reading:
        return read_reply(endpoint, requests, reply.status, reply.body)

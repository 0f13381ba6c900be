"""The v2 REST API of the emulator: the six emergency call operations on a `V2Store`.

Every request enters through the same `EmulatorCore.serve` as v1 (its counters, latency,
rate limit and injected faults apply to v2 too), then is checked as Sonoran documents
it: `Authorization: Bearer <key>` (401 otherwise), then the per-operation rate limits
when enabled (429 with `Retry-After`, body `{"message", "request_id"}`), then the body
(the core's size and encoding limits; JSON within its depth and string limits: 400
otherwise), then the OpenAPI document (`openapi_v2.yaml`, the trimmed copy of Sonoran's
own, validated with openapi-core). Errors are `application/problem+json`. What the
operations do is the store's business (`_v2_store.py`), so the same state can be served
through v1 and v2.
"""

from __future__ import annotations

import math
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from functools import cache
from http import HTTPStatus
from importlib import resources
from typing import Any, Final

import orjson
import yaml
from aiohttp import web
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from yarl import URL

from ._core import EmulatorCore
from ._envelope import EnvelopeError, check_limits
from ._fields import WireObject
from ._http import INVALID_JSON, BodyError
from ._v2_store import CoreV2Store, V2Error, V2Store

#: Sonoran's published per-key limits, requests per minute (`rate-limits.md`).
PUBLISHED_LIMITS: Final[Mapping[str, float]] = {
    "create911Call": 10,
    "remove911Call": 10,
    "getCalls": 5,
    "closeDispatchCalls": 20,
    "updateDispatchCall": 10,
    "createDispatchCall": 20,
    # issue #25 (`_live_v2.py`)
    "getActiveUnits": 3,
    "setUnitStatus": 30,
    "setUnitPanic": 20,
    "lookupNameOrPlate": 30,
    "lookupByValue": 30,
    "getCharacters": 10,
    "getIdentifiers": 10,
}
#: The host the OpenAPI document names; requests are matched against it whatever the
#: emulator's own address.
_SPEC_HOST: Final = "https://api.sonorancad.com"


@cache
def _openapi() -> OpenAPI:
    """Sonoran's document, with its two slips mended: `bearerAuth:` with no value (the
    scopes must be a list) and response codes written as YAML integers."""
    text = resources.files(__package__).joinpath("openapi_v2.yaml").read_text("utf-8")
    spec: dict[str, Any] = yaml.safe_load(text)
    for operations in spec["paths"].values():
        for operation in operations.values():
            operation["security"] = [
                {name: scopes or [] for name, scopes in requirement.items()}
                for requirement in operation.get("security", [])
            ]
            operation["responses"] = {str(k): v for k, v in operation["responses"].items()}
    return OpenAPI.from_dict(spec)


class _SpecRequest:
    """An aiohttp request as openapi-core reads it, matched against the spec's host."""

    def __init__(self, request: web.Request, body: bytes | None) -> None:
        self.host_url = _SPEC_HOST
        self.path = request.path
        self.method = request.method.lower()
        self.body = body
        self.content_type = request.content_type if body else "application/json"
        self.parameters = RequestParameters(
            query=request.query, header=request.headers, cookie=request.cookies
        )

    @property
    def full_url_pattern(self) -> str:
        return str(URL(_SPEC_HOST).with_path(self.path))


def problem(status: int, title: str, detail: str, instance: str) -> web.Response:
    body = {
        "type": f"https://httpstatuses.com/{status}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "traceId": secrets.token_hex(8),
    }
    return web.Response(
        status=status, body=orjson.dumps(body), content_type="application/problem+json"
    )


def too_many(wait: float) -> web.Response:
    """v2's 429: `Retry-After` and `{"message", "request_id"}`."""
    body = {"message": "API rate limit exceeded", "request_id": secrets.token_hex(16)}
    return web.Response(
        status=429,
        body=orjson.dumps(body),
        content_type="application/json",
        headers={"Retry-After": str(max(1, math.ceil(wait)))},
    )


class _Window:
    """At most `per_minute` requests in any 60 s (a sliding log, as strict as they come)."""

    def __init__(self, per_minute: float) -> None:
        self.per_minute = per_minute
        self.sent: list[float] = []

    def wait(self, now: float) -> float:
        self.sent = [t for t in self.sent if t > now - 60.0]
        if len(self.sent) < self.per_minute:
            self.sent.append(now)
            return 0.0
        return self.sent[0] + 60.0 - now


Handler = Callable[[web.Request, WireObject | None], WireObject]


class V2Api:
    """The v2 routes on one core's state; `requests` counts the requests per operation,
    `rate_limited` the 429s of the per-operation limits (also in `core.stats`)."""

    def __init__(self, core: EmulatorCore, *, limits: Mapping[str, float] | None = None) -> None:
        self.core = core
        self.store: V2Store = CoreV2Store(core)
        self.requests: Counter[str] = Counter()
        self.rate_limited = 0
        self._windows = {op: _Window(n) for op, n in (limits or {}).items()}

    def routes(self) -> list[web.RouteDef]:
        base = "/v2/emergency/servers/{serverId:[^/]+}"
        ops: list[tuple[str, str, str, Handler, int]] = [
            ("POST", f"{base}/calls/911", "create911Call", self._create_911, 200),
            ("DELETE", f"{base}/calls/911/{{callId:[^/]+}}", "remove911Call", self._remove, 200),
            ("GET", f"{base}/calls", "getCalls", self._get_calls, 200),
            ("POST", f"{base}/dispatch-calls/close", "closeDispatchCalls", self._close, 200),
            ("PATCH", f"{base}/dispatch-calls/{{callId:[^/]+}}", "updateDispatchCall",
             self._update, 200),
            ("POST", f"{base}/dispatch-calls", "createDispatchCall", self._create_dispatch, 201),
        ]  # fmt: skip
        return [
            web.route(method, path, self._endpoint(op, handler, status))
            for method, path, op, handler, status in ops
        ]

    def _endpoint(
        self, operation: str, handler: Handler, status: int
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def answer(request: web.Request) -> web.StreamResponse:
            instance = request.path
            scheme, _, key = request.headers.get("Authorization", "").partition(" ")
            if scheme != "Bearer" or not key or not self.store.authorized(key.strip()):
                detail = (
                    "Missing Authorization header."
                    if "Authorization" not in request.headers
                    else "API key is invalid."
                )
                return problem(401, "Unauthorized", detail, instance)
            window = self._windows.get(operation)
            if window is not None and (wait := window.wait(time.monotonic())) > 0:
                self.rate_limited += 1
                self.core.stats.rate_limited += 1
                return too_many(wait)
            try:
                raw = await self.core.read_body(request)
                document = self._parse(raw)
            except (BodyError, EnvelopeError) as exc:
                title = HTTPStatus(exc.status).phrase
                return problem(exc.status, title, exc.text.removeprefix("ERROR: "), instance)
            result = _openapi().unmarshal_request(_SpecRequest(request, raw or None))
            if result.errors:
                detail = "; ".join(str(e) for e in result.errors)
                return problem(400, "Bad Request", detail, instance)
            if raw and type(document) is not dict:
                return problem(400, "Bad Request", "The body must be an object.", instance)
            try:
                reply = handler(request, document)
            except V2Error as exc:
                return problem(exc.status, exc.title, exc.detail, instance)
            return web.Response(
                status=status, body=orjson.dumps(reply), content_type="application/json"
            )

        async def serve(request: web.Request) -> web.StreamResponse:
            self.requests[operation] += 1
            return await self.core.serve(request, answer, too_many)

        return serve

    def _parse(self, raw: bytes) -> Any:
        """The JSON body (None if empty), strictly: UTF-8, finite numbers, within the
        core's depth and string limits, so the OpenAPI check only sees what it can read."""
        if not raw:
            return None
        try:
            document = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise EnvelopeError(400, INVALID_JSON) from None
        check_limits(raw, document, self.core.max_depth, self.core.max_string)
        return document

    # --- the operations: path and query values were checked against the spec ------------

    def _create_911(self, request: web.Request, body: WireObject | None) -> WireObject:
        return self.store.create_911(_int(request, "serverId"), body or {})

    def _remove(self, request: web.Request, _: WireObject | None) -> WireObject:
        return self.store.remove_911(_int(request, "serverId"), _int(request, "callId"))

    def _get_calls(self, request: web.Request, _: WireObject | None) -> WireObject:
        query = request.query
        return self.store.get_calls(
            _int(request, "serverId"),
            int(query["closedLimit"]),
            int(query["closedOffset"]),
            int(query["type"]),
        )

    def _close(self, request: web.Request, body: WireObject | None) -> WireObject:
        ids = (body or {}).get("callIds")
        if type(ids) is not list or not ids or not all(type(i) is int for i in ids):
            raise V2Error(422, "Unprocessable Entity", "callIds must be a non-empty integer array.")
        return self.store.close_dispatch_calls(_int(request, "serverId"), ids)

    def _update(self, request: web.Request, body: WireObject | None) -> WireObject:
        return self.store.update_dispatch_call(
            _int(request, "serverId"), _int(request, "callId"), body or {}
        )

    def _create_dispatch(self, request: web.Request, body: WireObject | None) -> WireObject:
        return self.store.create_dispatch_call(_int(request, "serverId"), body or {})


def _int(request: web.Request, name: str) -> int:
    return int(request.match_info[name])


V2_KEY: Final = web.AppKey("sonoran_emulator_v2", V2Api)


def add_v2_routes(
    app: web.Application, core: EmulatorCore, *, limits: Mapping[str, float] | None = None
) -> V2Api:
    """Serve v2 from `app` on `core`'s state (`PUBLISHED_LIMITS` as `limits` turns the
    published per-operation limits on). The API object is also `app[V2_KEY]`."""
    api = V2Api(core, limits=limits)
    app[V2_KEY] = api
    app.router.add_routes(api.routes())
    return api

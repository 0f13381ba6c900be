"""`EmulatorCore`: one emulated community's settings, state and counters.

Every route of every API version enters through `EmulatorCore.serve`: the request is
counted, the latency waited, the rate limit and the injected fault applied, and only then
does the version's own code answer (`handle` for v1, `_v2.py` for v2), reading its body
through `read_body` (the body limits). v1's answer: the envelope (`_envelope.py`), then
the one apply loop over the request's objects with the endpoint's handler (`_handlers.py`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Final, Literal, TypedDict

import orjson
from aiohttp import web

from . import _http
from ._envelope import DEFAULT_MAX_DEPTH, DEFAULT_MAX_STRING, EnvelopeError, Gate, read_envelope
from ._faults import SCRIPT_NAMES, Faults
from ._fields import ObjectError, WireObject
from ._handlers import HANDLERS, JSON_TYPES, ROUTES
from ._snapshots import SnapshotMode, check_snapshot_mode
from ._state import DEFAULT_LOG_SIZE, CadState, EmulatorStats, Listener

MultiMode = Literal["per_item", "first_only", "all_one_line", "all_then_400"]
#: How a request with several `data` objects is answered (see `EmulatorCore._apply`).
MULTI_MODES: Final[tuple[MultiMode, ...]] = (
    "per_item",
    "first_only",
    "all_one_line",
    "all_then_400",
)

#: Plans, numbered as GET_VERSION answers them.
PLANS: Final = {"FREE": 0, "STARTER": 1, "STANDARD": 2, "PLUS": 3, "PRO": 4, "SONORAN ONE": 6}

#: A version's answer to one request, once the core let it through.
Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: A version's 429 reply, given the seconds to wait.
TooMany = Callable[[float], web.Response]


class EmulatorSettings(TypedDict, total=False):
    """The keyword settings of `EmulatorCore`, `create_app` and `Emulator` (defaults there)."""

    plan: str
    server_ids: Iterable[int]
    multi: MultiMode
    rate_limit: float | None
    latency: float
    faults: Faults | None
    api_enabled: bool
    close_call_plan: str
    clock: Callable[[], float]
    max_body_bytes: int
    max_depth: int
    max_string: int
    log_size: int
    snapshot: SnapshotMode


def check_multi(mode: object) -> None:
    if mode not in MULTI_MODES:
        raise ValueError(f"multi must be one of {', '.join(MULTI_MODES)}; got {mode!r}")


def plan_rank(plan: str) -> int:
    """Rank of a plan name (case-insensitive, "SONORAN_ONE" accepted for "SONORAN ONE")."""
    key = plan.strip().upper().replace("_", " ") if isinstance(plan, str) else ""
    if key not in PLANS:
        raise ValueError(f"unknown plan {plan!r}; expected one of {', '.join(PLANS)}")
    return PLANS[key]


class EmulatorCore:
    """Settings, state, counters and the request handler of one emulated community."""

    def __init__(
        self,
        community_id: str = "demo",
        api_key: str = "demo-key",
        *,
        plan: str = "PRO",
        server_ids: Iterable[int] = (1,),
        multi: MultiMode = "per_item",
        rate_limit: float | None = None,
        latency: float = 0.0,
        faults: Faults | None = None,
        api_enabled: bool = True,
        close_call_plan: str = "STANDARD",
        clock: Callable[[], float] = time.time,
        max_body_bytes: int = 1 << 20,
        max_depth: int = DEFAULT_MAX_DEPTH,
        max_string: int = DEFAULT_MAX_STRING,
        log_size: int = DEFAULT_LOG_SIZE,
        snapshot: SnapshotMode = "faithful",
    ) -> None:
        check_multi(multi)
        check_snapshot_mode(snapshot)
        if latency < 0:
            raise ValueError("latency must be >= 0")
        if max_body_bytes < 1 or max_depth < 2 or max_string < 1:
            raise ValueError("max_body_bytes, max_depth and max_string must be positive")
        self.community_id = community_id
        self.api_key = api_key
        self.server_ids = frozenset(int(s) for s in server_ids)
        if not self.server_ids:
            raise ValueError("server_ids must not be empty")
        self.multi: MultiMode = multi
        self.latency = float(latency)
        self.faults = faults if faults is not None else Faults()
        self.api_enabled = api_enabled
        self.clock = clock
        self.max_body_bytes = max_body_bytes
        self.max_depth = max_depth
        self.max_string = max_string
        self.state = CadState(log_size=log_size)
        self.state.snapshot_mode = snapshot  # GET_CALLS pathologies (`_snapshots.py`)
        self.stats = EmulatorStats()
        self.script: list[str] = []
        self._bucket = _http.TokenBucket(rate_limit) if rate_limit is not None else None
        self._required = {t: plan_rank(route.plan) for t, route in HANDLERS.items()}
        self.set_plan(plan, close_call_plan)

    # ----------------------------------------------------------------- settings
    def set_plan(self, plan: str, close_call_plan: str | None = None) -> None:
        self.plan_number = plan_rank(plan)
        self.plan = plan
        if close_call_plan is not None:
            self._required["CLOSE_CALL"] = plan_rank(close_call_plan)

    def set_rate_limit(self, rate_limit: float | None) -> None:
        self._bucket = _http.TokenBucket(rate_limit) if rate_limit is not None else None

    def inject(self, *names: str) -> None:
        for name in names:
            if name not in SCRIPT_NAMES:
                raise ValueError(f"unknown fault {name!r}; expected one of {sorted(SCRIPT_NAMES)}")
        self.script.extend(names)

    def plan_allows(self, request_type: str) -> bool:
        return self.plan_number >= self._required[request_type]

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(request type, call id, object as received)` after every change
        applied to a call (a push-event sender hooks in here)."""
        self.state.listeners.append(listener)

    def now(self) -> float:
        return self.clock()

    # ------------------------------------------------------------------ HTTP
    async def serve(
        self, request: web.Request, answer: Answer, too_many: TooMany = _http.rate_limited
    ) -> web.StreamResponse:
        """The entry of every route, both versions: count the request, wait the latency,
        apply the rate limit and the injected fault, then let `answer` answer it.
        `too_many` words the 429 the way the request's version does."""
        stats = self.stats
        stats.requests += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        if self._bucket is not None and (wait := self._bucket.take()):
            stats.rate_limited += 1
            return too_many(wait)
        fault = self.script.pop(0) if self.script else self.faults.roll()
        if fault == "ok":
            fault = None
        if fault is not None:
            stats.faults += 1
            stats.faults_by_kind[fault] = stats.faults_by_kind.get(fault, 0) + 1
            if fault == "503":
                return _http.text(503, "Service Unavailable")
            if fault == "500":
                return _http.text(500, "Internal Server Error")
            if fault == "429":
                stats.rate_limited += 1
                return too_many(1.0)
            if fault == "reset":
                return _http.drop_connection(request)
        response = await answer(request)
        if fault == "500_after":
            return _http.text(500, "Internal Server Error")
        if fault == "reset_after":
            return _http.drop_connection(request)
        if fault == "slow":
            await asyncio.sleep(self.faults.slow_seconds)
        return response

    async def read_body(self, request: web.Request) -> bytes:
        """The request's body within `max_body_bytes` (Content-Encoding undone); a body
        past the limit or not decodable raises `_http.BodyError`, counted as refused."""
        try:
            length = request.content_length
            if length is not None and length > self.max_body_bytes:
                raise _http.BodyError(413, _http.BODY_TOO_LARGE)
            return await _http.read_body(request, self.max_body_bytes)
        except _http.BodyError:
            self.stats.refused += 1
            raise

    def count_applied(self, request_type: str, objects: int) -> None:
        """Count `objects` applied for `request_type` (both versions)."""
        self.stats.objects += objects
        per_type = self.stats.per_type
        per_type[request_type] = per_type.get(request_type, 0) + objects

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The v1 route: `POST /{category}/{name}`."""
        return await self.serve(request, self._answer)

    async def _answer(self, request: web.Request) -> web.Response:
        route = (request.match_info.get("category", ""), request.match_info.get("name", ""))
        request_type = ROUTES.get(route)
        if request_type is None:
            return _http.text(200, _http.BACKEND_REACHED)
        try:
            raw = await self.read_body(request)
        except _http.BodyError as exc:
            return _http.text(exc.status, exc.text)
        return self.process(request_type, raw)

    def process(self, request_type: str, raw: bytes) -> web.Response:
        """Check and apply one request body for `request_type` (the type its path names)."""
        route = HANDLERS[request_type]
        gate = Gate(
            self.community_id, self.api_key, self.api_enabled, self.max_depth, self.max_string
        )
        try:
            data = read_envelope(
                raw,
                request_type,
                gate,
                plan_allows=self.plan_allows(request_type),
                empty_data=route.empty_data,
            )
        except EnvelopeError as exc:
            return _http.text(exc.status, exc.text)
        if route.nested_data:
            received: list[Any] = data  # as sent: Sonoran.js wraps its objects in a list
            data = [x for o in received for x in (o if type(o) is list else (o,))]
            if not data:
                return _http.text(400, _http.DATA_EMPTY)
        mode: MultiMode = "all_one_line" if route.one_line else self.multi
        if request_type in JSON_TYPES or mode == "first_only":
            data = data[:1]  # GET_CALLS reads one query, whatever the mode
        for i, o in enumerate(data):
            if type(o) is not dict:
                return _http.text(400, f"ERROR: Invalid field data[{i}]: must be a JSON object")
        self.state.expire(self.clock())
        return self._apply(request_type, data, mode)

    def _apply(self, request_type: str, data: list[WireObject], mode: MultiMode) -> web.Response:
        """The one apply loop, for every `multi` mode:

        - per_item: every object, one line each (an error line starts with ERROR);
        - first_only: data[0] only (cut before this loop);
        - all_one_line: every object; ONE line, the last applied object's (400 and the
          first error if none applied);
        - all_then_400: objects in order up to the first bad one, which answers 400 for
          the whole request; those before it stay applied.

        UNIT_LOCATION is documented to apply all and answer one line: all_one_line always.
        """
        handler = HANDLERS[request_type].handler
        several = len(data) > 1
        stop_at_error = several and mode == "all_then_400"
        parts: list[Any] = []
        errors: list[str] = []
        for o in data:
            try:
                parts.append(handler(self, o))
            except ObjectError as exc:
                errors.append(exc.text)
                if stop_at_error:
                    break
                parts.append(exc.text if exc.text.startswith("ERROR") else "ERROR: " + exc.text)
        applied = len(parts) - (0 if stop_at_error else len(errors))
        if applied:
            self.count_applied(request_type, applied)
        if request_type in JSON_TYPES:
            return (
                _http.text(400, errors[0]) if errors else _http.json_reply(orjson.dumps(parts[0]))
            )
        if not several:
            return _http.text(400, errors[0]) if errors else _http.text(200, parts[0])
        if stop_at_error and errors:
            return _http.text(400, errors[0])
        if mode == "all_one_line":
            good = [part for part in parts if not part.startswith("ERROR")]
            return _http.text(200, good[-1]) if good else _http.text(400, errors[0])
        return _http.text(200, "\n".join(parts))

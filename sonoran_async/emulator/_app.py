"""The emulated Sonoran CAD v1 emergency API as an aiohttp.web application."""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import socket
import struct
import time
from collections.abc import Callable, Iterable
from typing import Any, Final, Literal, TypedDict, Unpack

import orjson
from aiohttp import web

from ._faults import SCRIPT_NAMES, Faults
from ._state import CadState, EmulatorStats, WireObject

MultiMode = Literal["per_item", "first_only", "all_one_line", "all_then_400"]
#: How a request with several `data` objects is answered (see `EmulatorCore`).
MULTI_MODES: Final[tuple[MultiMode, ...]] = (
    "per_item",
    "first_only",
    "all_one_line",
    "all_then_400",
)


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


PLANS: Final = {"FREE": 0, "STARTER": 1, "STANDARD": 2, "PLUS": 3, "PRO": 4, "SONORAN ONE": 5}

# Request type -> minimum plan (CLOSE_CALL is a setting: ``close_call_plan``).
_REQUIRED_PLAN: Final = {
    "CALL_911": "STANDARD",
    "REMOVE_911": "STANDARD",
    "GET_CALLS": "PLUS",
    "EDIT_DISPATCH": "PLUS",
    "NEW_DISPATCH": "PLUS",
}
_PATHS: Final = {t.lower(): t for t in (*_REQUIRED_PLAN, "CLOSE_CALL")}

INVALID_REQUEST_TYPE: Final = "INVALID REQUEST TYPE"
INVALID_COMMUNITY_ID: Final = "INVALID COMMUNITY ID"
API_NOT_ENABLED: Final = "API IS NOT ENABLED FOR THIS COMMUNITY"
INVALID_API_KEY: Final = "INVALID API KEY"
ENDPOINT_NOT_ENABLED: Final = "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY"
MISSING_EDIT_FIELDS: Final = (
    "ERROR: Missing editable dispatch fields. Provide at least one field to update."
)
BACKEND_REACHED: Final = "Backend Service Reached"
RATE_LIMITED_BODY: Final = b'{"message":"API rate limit exceeded"}'
BODY_TOO_LARGE: Final = "ERROR: Request body too large"
INVALID_JSON: Final = "ERROR: Invalid JSON body"
BODY_NOT_OBJECT: Final = "ERROR: Request body must be a JSON object"
DATA_MISSING: Final = "ERROR: Missing field data: must be an array of request objects"
DATA_NOT_ARRAY: Final = "ERROR: Invalid field data: must be an array of request objects"
DATA_EMPTY: Final = "ERROR: Invalid field data: must contain at least one request object"

_NUMERIC = re.compile(r"-?[0-9]+")
_ORIGINS: Final = frozenset({0, 1, 2, 3})
_STATUSES: Final = frozenset({0, 1, 2})
_PRIORITIES: Final = frozenset({1, 2, 3})
_CALL_TYPES: Final = frozenset({0, 1, 100})
_STATUS_CLOSED: Final = 2
_NOTE_FIELDS: Final = ("time", "label", "type", "content")
_META_STR_FIELDS: Final = ("block", "postal", "code")
_EDIT_STR_FIELDS: Final = ("block", "address", "postal", "title", "code", "description")


def check_multi(mode: object) -> None:
    if mode not in MULTI_MODES:
        raise ValueError(f"multi must be one of {', '.join(MULTI_MODES)}; got {mode!r}")


def plan_rank(plan: str) -> int:
    """Rank of a plan name (case-insensitive, "SONORAN_ONE" accepted for "SONORAN ONE")."""
    key = plan.strip().upper().replace("_", " ") if isinstance(plan, str) else ""
    if key not in PLANS:
        raise ValueError(f"unknown plan {plan!r}; expected one of {', '.join(PLANS)}")
    return PLANS[key]


class _ObjectError(Exception):
    """An error for one data object; ``text`` is its reply text."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _bad(name: str, what: str) -> _ObjectError:
    return _ObjectError(f"ERROR: Invalid field {name}: must be {what}")


def _missing(name: str) -> _ObjectError:
    return _ObjectError(f"ERROR: Missing required field: {name}")


def _int_id(o: WireObject, name: str, default: int | None = None) -> int:
    """An id field: an integer or a numeric string ("1" and 1 both work)."""
    v = o.get(name)
    if type(v) is int:
        return v
    if v is None:
        if default is None:
            raise _missing(name)
        return default
    if type(v) is str and _NUMERIC.fullmatch(v):
        try:
            return int(v)
        except ValueError:  # more digits than int() accepts
            pass
    raise _bad(name, "an integer")


def _req_str(o: WireObject, name: str) -> str:
    v = o.get(name)
    if type(v) is str:
        return v
    if v is None:
        raise _missing(name)
    raise _bad(name, "a string")


def _opt_str(o: WireObject, name: str, label: str | None = None) -> str | None:
    v = o.get(name)
    if v is None or type(v) is str:
        return v
    raise _bad(label or name, "a string")


def _opt_enum(o: WireObject, name: str, allowed: frozenset[int], what: str) -> int | None:
    v = o.get(name)
    if v is None:
        return None
    if type(v) is int and v in allowed:
        return v
    raise _bad(name, what)


def _opt_priority(o: WireObject, label: str = "priority") -> int | None:
    v = o.get("priority")
    if v is None:
        return None
    if type(v) is int and v in _PRIORITIES:
        return v
    raise _bad(label, "1, 2 or 3")


def _opt_bool(o: WireObject, name: str) -> bool | None:
    v = o.get(name)
    if v is None or type(v) is bool:
        return v
    raise _bad(name, "a boolean")


def _opt_primary(o: WireObject) -> int | str | None:
    v = o.get("primary")
    if v is None or type(v) is int or type(v) is str:
        return v
    raise _bad("primary", "an integer or a string")


def _opt_meta(o: WireObject) -> dict[str, Any] | None:
    md = o.get("metaData")
    if md is None:
        return None
    if type(md) is not dict:
        raise _bad("metaData", "an object")
    if md:
        _opt_priority(md, "metaData.priority")
        for name in _META_STR_FIELDS:
            _opt_str(md, name, "metaData." + name)
    return md


def _opt_minutes(o: WireObject) -> int | None:
    v = o.get("deleteAfterMinutes")
    if v is None:
        return None
    if type(v) is int and v > 0:
        return v
    raise _bad("deleteAfterMinutes", "a positive integer")


def _opt_notes(o: WireObject) -> list[Any] | None:
    notes = o.get("notes")
    if notes is None:
        return None
    if type(notes) is not list:
        raise _bad("notes", "an array of note objects")
    for i, note in enumerate(notes):
        if type(note) is not dict:
            raise _bad(f"notes[{i}]", "a note object")
        for name in _NOTE_FIELDS:
            _opt_str(note, name, f"notes[{i}].{name}")
    return notes


def _opt_units(o: WireObject) -> list[Any] | None:
    units = o.get("units")
    if units is None:
        return None
    if type(units) is not list or any(type(u) is not str for u in units):
        raise _bad("units", "an array of strings")
    return units


class _TokenBucket:
    """Requests per second with a burst of max(1, rate)."""

    def __init__(self, rate: float) -> None:
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
            raise ValueError(f"rate_limit must be a positive number of requests/s, got {rate!r}")
        self.rate = float(rate)
        self.capacity = max(1.0, self.rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def take(self) -> float:
        """Take a token; return 0 if granted, else the seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


def _text(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain")


def _json(body: bytes) -> web.Response:
    return web.Response(status=200, body=body, content_type="application/json")


def _rate_limited(retry_after: float) -> web.Response:
    seconds = max(1, math.ceil(retry_after))
    return web.Response(
        status=429,
        body=RATE_LIMITED_BODY,
        content_type="application/json",
        headers={"Retry-After": str(seconds)},
    )


def _drop_connection(request: web.BaseRequest) -> web.Response:
    """Reset the TCP connection (RST, no reply); the returned response is never sent."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError, AttributeError, TypeError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=500)


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
    ) -> None:
        check_multi(multi)
        if latency < 0:
            raise ValueError("latency must be >= 0")
        if max_body_bytes < 1:
            raise ValueError("max_body_bytes must be >= 1")
        self.community_id = community_id
        self.api_key = api_key
        self.plan = plan
        self.server_ids = frozenset(int(s) for s in server_ids)
        if not self.server_ids:
            raise ValueError("server_ids must not be empty")
        self.multi: MultiMode = multi
        self.latency = float(latency)
        self.faults = faults if faults is not None else Faults()
        self.api_enabled = api_enabled
        self.clock = clock
        self.max_body_bytes = max_body_bytes
        self.state = CadState()
        self.stats = EmulatorStats()
        self.script: list[str] = []
        self._bucket = _TokenBucket(rate_limit) if rate_limit is not None else None
        self._rank = plan_rank(plan)
        self._required = {t: plan_rank(p) for t, p in _REQUIRED_PLAN.items()}
        self._required["CLOSE_CALL"] = plan_rank(close_call_plan)
        self._handlers: dict[str, Callable[[WireObject], Any]] = {
            "CALL_911": self._call_911,
            "REMOVE_911": self._remove_911,
            "CLOSE_CALL": self._close_call,
            "EDIT_DISPATCH": self._edit_dispatch,
            "NEW_DISPATCH": self._new_dispatch,
            "GET_CALLS": self._get_calls_handler,
        }

    # ----------------------------------------------------------------- settings
    def set_plan(self, plan: str, close_call_plan: str | None = None) -> None:
        self._rank = plan_rank(plan)
        self.plan = plan
        if close_call_plan is not None:
            self._required["CLOSE_CALL"] = plan_rank(close_call_plan)

    def set_rate_limit(self, rate_limit: float | None) -> None:
        self._bucket = _TokenBucket(rate_limit) if rate_limit is not None else None

    def inject(self, *names: str) -> None:
        for name in names:
            if name not in SCRIPT_NAMES:
                raise ValueError(f"unknown fault {name!r}; expected one of {sorted(SCRIPT_NAMES)}")
        self.script.extend(names)

    # ------------------------------------------------------------------ HTTP
    async def handle(self, request: web.Request) -> web.StreamResponse:
        stats = self.stats
        stats.requests += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        bucket = self._bucket
        if bucket is not None:
            wait = bucket.take()
            if wait:
                stats.rate_limited += 1
                return _rate_limited(wait)
        if self.script:
            fault: str | None = self.script.pop(0)
            if fault == "ok":
                fault = None
        else:
            fault = self.faults.roll()
        if fault is not None:
            stats.faults += 1
            stats.faults_by_kind[fault] = stats.faults_by_kind.get(fault, 0) + 1
            if fault == "503":
                return _text(503, "Service Unavailable")
            if fault == "500":
                return _text(500, "Internal Server Error")
            if fault == "429":
                stats.rate_limited += 1
                return _rate_limited(1.0)
            if fault == "reset":
                return _drop_connection(request)

        if request.match_info.get("category") != "emergency" or (
            (rtype := _PATHS.get(request.match_info.get("name", ""))) is None
        ):
            response = _text(200, BACKEND_REACHED)
        else:
            length = request.content_length
            if length is not None and length > self.max_body_bytes:
                response = _text(413, BODY_TOO_LARGE)
            else:
                try:
                    raw = await request.read()
                except web.HTTPRequestEntityTooLarge:
                    response = _text(413, BODY_TOO_LARGE)
                else:
                    response = self.process(rtype, raw)

        if fault == "500_after":
            return _text(500, "Internal Server Error")
        if fault == "reset_after":
            return _drop_connection(request)
        if fault == "slow":
            await asyncio.sleep(self.faults.slow_seconds)
        return response

    def process(self, rtype: str, raw: bytes) -> web.Response:
        """Check and apply one request body for ``rtype`` (the type its path names)."""
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return _text(400, INVALID_JSON)
        if type(body) is not dict:
            return _text(400, BODY_NOT_OBJECT)
        if body.get("type") != rtype:
            return _text(400, INVALID_REQUEST_TYPE)
        if body.get("id") != self.community_id:
            return _text(400, INVALID_COMMUNITY_ID)
        if not self.api_enabled:
            return _text(400, API_NOT_ENABLED)
        if body.get("key") != self.api_key:
            return _text(400, INVALID_API_KEY)
        if self._rank < self._required[rtype]:
            return _text(400, ENDPOINT_NOT_ENABLED)
        data = body.get("data")
        if type(data) is not list:
            return _text(400, DATA_MISSING if data is None else DATA_NOT_ARRAY)
        if not data:
            return _text(400, DATA_EMPTY)
        if rtype == "GET_CALLS" or self.multi == "first_only":
            data = data[:1]  # GET_CALLS reads one query, whatever the mode
        for i, o in enumerate(data):
            if type(o) is not dict:
                return _text(400, f"ERROR: Invalid field data[{i}]: must be a JSON object")
        self.state.expire(self.clock())
        return self._apply(rtype, data)

    def _apply(self, rtype: str, data: list[WireObject]) -> web.Response:
        """The one apply loop, for every `multi` mode:

        - per_item: every object, one line each (an error line starts with ERROR);
        - first_only: data[0] only (cut before this loop);
        - all_one_line: every object; ONE line, the last applied object's (400 and the
          first error if none applied);
        - all_then_400: objects in order up to the first bad one, which answers 400 for
          the whole request; those before it stay applied.
        """
        handler = self._handlers[rtype]
        several = len(data) > 1
        stop_at_error = several and self.multi == "all_then_400"
        parts: list[Any] = []
        errors: list[str] = []
        for o in data:
            try:
                parts.append(handler(o))
            except _ObjectError as exc:
                errors.append(exc.text)
                if stop_at_error:
                    break
                parts.append(exc.text if exc.text.startswith("ERROR") else "ERROR: " + exc.text)
        applied = len(parts) - (len(errors) if not stop_at_error else 0)
        if applied:
            stats = self.stats
            stats.objects += applied
            stats.per_type[rtype] = stats.per_type.get(rtype, 0) + applied
        if rtype == "GET_CALLS":
            return _text(400, errors[0]) if errors else _json(orjson.dumps(parts[0]))
        if not several:
            return _text(400, errors[0]) if errors else _text(200, parts[0])
        if stop_at_error and errors:
            return _text(400, errors[0])
        if self.multi == "all_one_line":
            good = [part for part in parts if not part.startswith("ERROR")]
            return _text(200, good[-1]) if good else _text(400, errors[0])
        return _text(200, "\n".join(parts))

    # --------------------------------------------------------------- objects
    def _server(self, o: WireObject, default: int | None = None) -> int:
        sid = _int_id(o, "serverId", default)
        if sid not in self.server_ids:
            raise _ObjectError(f"Server not found with ID: {sid}")
        return sid

    def _register(self, cid: int, sid: int, minutes: int | None) -> None:
        state = self.state
        state._server_of[cid] = sid
        if minutes is not None:
            state.schedule_expiry(self.clock() + minutes * 60.0, cid)

    def _get_calls_handler(self, o: WireObject) -> Any:
        return self._get_calls(o)

    def _call_911(self, o: WireObject) -> str:
        # Hot path (benchmarks push 100k+ objects/s): the checks are inlined and the
        # helpers only run to name the problem when a check fails.
        get = o.get
        sid = get("serverId")
        if type(sid) is not int or sid not in self.server_ids:
            sid = self._server(o)
        caller = get("caller")
        location = get("location")
        description = get("description")
        if type(caller) is not str or type(location) is not str or type(description) is not str:
            _req_str(o, "caller")
            _req_str(o, "location")
            _req_str(o, "description")
        is_emergency = get("isEmergency", False)
        if type(is_emergency) is not bool:
            if is_emergency is not None:
                raise _bad("isEmergency", "a boolean")
            is_emergency = False
        meta = get("metaData")
        if meta is not None:
            _opt_meta(o)
        minutes = get("deleteAfterMinutes")
        if minutes is not None:
            _opt_minutes(o)
        state = self.state
        state.last_id = cid = state.last_id + 1
        record: WireObject = {
            "callId": cid,
            "isEmergency": is_emergency,
            "caller": caller,
            "location": location,
            "description": description,
        }
        if meta is not None:
            record["metaData"] = meta
        state.emergency_calls[cid] = record
        state._server_of[cid] = sid
        if minutes is not None:
            state.schedule_expiry(self.clock() + minutes * 60.0, cid)
        state.log.append(("CALL_911", cid, o))
        return f"EMERGENCY CALL ADDED ID: {cid}"

    def _find(self, calls: dict[int, WireObject], o: WireObject, sid: int) -> int:
        cid = _int_id(o, "callId")
        if cid not in calls or self.state._server_of.get(cid) != sid:
            raise _ObjectError(f"Call not found with ID: {cid}")
        return cid

    def _remove_911(self, o: WireObject) -> str:
        sid = self._server(o)
        state = self.state
        cid = self._find(state.emergency_calls, o, sid)
        del state.emergency_calls[cid]
        state.log.append(("REMOVE_911", cid, o))
        return "API ID(s) set!"

    def _close_call(self, o: WireObject) -> str:
        sid = self._server(o, 1)
        state = self.state
        cid = self._find(state.dispatch_calls, o, sid)
        record = state.dispatch_calls.pop(cid)
        record["status"] = _STATUS_CLOSED
        state._closed.append(record)
        state.log.append(("CLOSE_CALL", cid, o))
        return "UNITS ATTACHED"

    def _dispatch_fields(self, o: WireObject) -> dict[str, Any]:
        """The dispatch fields present in ``o`` (null counts as absent), checked."""
        fields: dict[str, Any] = {}
        v: Any = _opt_enum(o, "origin", _ORIGINS, "0, 1, 2 or 3")
        if v is not None:
            fields["origin"] = v
        v = _opt_enum(o, "status", _STATUSES, "0, 1 or 2")
        if v is not None:
            fields["status"] = v
        v = _opt_priority(o)
        if v is not None:
            fields["priority"] = v
        for name in _EDIT_STR_FIELDS:
            v = _opt_str(o, name)
            if v is not None:
                fields[name] = v
        v = _opt_primary(o)
        if v is not None:
            fields["primary"] = v
        v = _opt_bool(o, "trackPrimary")
        if v is not None:
            fields["trackPrimary"] = v
        v = _opt_meta(o)
        if v is not None:
            fields["metaData"] = v
        return fields

    def _new_dispatch(self, o: WireObject) -> str:
        sid = self._server(o)
        fields = self._dispatch_fields(o)
        notes = _opt_notes(o)
        _opt_units(o)
        minutes = _opt_minutes(o)
        state = self.state
        cid = state.next_id()
        record: WireObject = {
            "callId": cid,
            "origin": fields.pop("origin", 0),
            "status": fields.pop("status", 0),
            "priority": fields.pop("priority", 1),
            "block": fields.pop("block", ""),
            "address": fields.pop("address", ""),
            "postal": fields.pop("postal", ""),
            "title": fields.pop("title", ""),
            "code": fields.pop("code", ""),
            "description": fields.pop("description", ""),
            "notes": notes if notes is not None else [],
            "idents": [],
        }
        record.update(fields)  # primary, trackPrimary, metaData when sent
        state.dispatch_calls[cid] = record
        self._register(cid, sid, minutes)
        state.log.append(("NEW_DISPATCH", cid, o))
        return f"NEW DISPATCH CREATED - ID: {cid}"

    def _edit_dispatch(self, o: WireObject) -> str:
        sid = self._server(o)
        cid = _int_id(o, "callId")
        fields = self._dispatch_fields(o)
        if not fields:
            raise _ObjectError(MISSING_EDIT_FIELDS)
        state = self.state
        cid = self._find(state.dispatch_calls, o, sid)
        state.dispatch_calls[cid].update(fields)
        state.log.append(("EDIT_DISPATCH", cid, o))
        return f"DISPATCH CALL {cid} UPDATED"

    def _get_calls(self, o: WireObject) -> dict[str, list[WireObject]]:
        sid = self._server(o, 1)
        limit = o.get("closedLimit")
        if limit is None:
            limit = 10
        elif type(limit) is not int or not 1 <= limit <= 100:
            raise _bad("closedLimit", "an integer from 1 to 100")
        offset = o.get("closedOffset")
        if offset is None:
            offset = 0
        elif type(offset) is not int or offset < 0:
            raise _bad("closedOffset", "a non-negative integer")
        call_type = o.get("type")
        if call_type is None:
            call_type = 100
        elif type(call_type) is not int or call_type not in _CALL_TYPES:
            raise _bad("type", "0, 1 or 100")
        state = self.state
        server_of = state._server_of
        every_server = len(self.server_ids) == 1
        active: list[WireObject] = []
        closed_page: list[WireObject] = []
        emergency: list[WireObject] = []
        if call_type != 1:
            active = list(state.dispatch_calls.values())
            closed = state._closed
            if not every_server:
                active = [c for c in active if server_of[c["callId"]] == sid]
                closed = [c for c in closed if server_of[c["callId"]] == sid]
            end = len(closed) - offset
            if end > 0:
                closed_page = closed[max(0, end - limit) : end][::-1]
        if call_type != 0:
            emergency = list(state.emergency_calls.values())
            if not every_server:
                emergency = [c for c in emergency if server_of[c["callId"]] == sid]
        return {"activeCalls": active, "emergencyCalls": emergency, "closedCalls": closed_page}


CORE_KEY: Final = web.AppKey("sonoran_emulator_core", EmulatorCore)


def create_app(
    community_id: str = "demo", api_key: str = "demo-key", **settings: Unpack[EmulatorSettings]
) -> web.Application:
    """An aiohttp application serving the emulated API; its core is ``app[CORE_KEY]``."""
    core = EmulatorCore(community_id, api_key, **settings)
    app = web.Application(client_max_size=core.max_body_bytes)
    app[CORE_KEY] = core
    app.router.add_post(r"/{category:[A-Za-z0-9_\-]+}/{name:[A-Za-z0-9_\-]+}", core.handle)
    return app

"""Push events from the emulator to a bridge's listener, as Sonoran CAD does.

A listener on the CAD state turns each applied change into its documented push event
(`reference/v1/push-events/`) and queues the body; one task posts them in order with its
own session. The API's replies never wait for a push: a full queue drops the event and a
failed post is logged, both counted in the emulator's stats.

`data` is sent as one object, the shape Sonoran's own listener reads. The real CAD does not
push the dispatch events for changes made through the API; the emulator does, so that a
bridge's handlers can be tested offline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, Final

import aiohttp
import orjson
from aiohttp import web
from yarl import URL

from ._fields import WireObject
from ._state import CadState, EmulatorStats

log = logging.getLogger("sonoran_async.emulator.push")

Event = tuple[str, dict[str, Any]]


class PushBody(bytes):
    """A push body: it carries the community's key, so its repr never shows the bytes."""

    def __repr__(self) -> str:
        return f"<push body: {len(self)} bytes, key redacted>"


def _emergency(state: CadState, call_id: int, _: WireObject) -> Event | None:
    record = state.emergency_calls.get(call_id)
    if record is None:
        return None
    data: dict[str, Any] = {"call": record}
    if "metaData" in record:
        data["metaData"] = record["metaData"]
    return "EVENT_911", data


def _dispatch(event_type: str) -> Callable[[CadState, int, WireObject], Event | None]:
    def build(state: CadState, call_id: int, _: WireObject) -> Event | None:
        record = state.dispatch_calls.get(call_id)
        return None if record is None else (event_type, {"dispatch": record})

    return build


def _note(state: CadState, call_id: int, _: WireObject) -> Event | None:
    record = state.dispatch_calls.get(call_id)
    if record is None or not record.get("notes"):
        return None
    return "EVENT_DISPATCH_NOTE", {"callId": call_id, "note": record["notes"][-1]}


def _units(event_type: str) -> Callable[[CadState, int, WireObject], Event | None]:
    def build(_state: CadState, call_id: int, obj: WireObject) -> Event | None:
        idents = [i for i in obj.get("identIds") or () if type(i) is int]
        return event_type, {"callId": call_id, "idents": idents}

    return build


def _call_ids(event_type: str) -> Callable[[CadState, int, WireObject], Event | None]:
    def build(_state: CadState, call_id: int, _: WireObject) -> Event | None:
        return event_type, {"callIds": [call_id]}

    return build


def _as_sent(event_type: str) -> Callable[[CadState, int, WireObject], Event | None]:
    """The unit events (`_live.py`): the object recorded is the event's data."""

    def build(_state: CadState, _ident: int, obj: WireObject) -> Event | None:
        return event_type, obj

    return build


#: Applied change (request type) -> the push event it causes.
EVENTS: Final[dict[str, Callable[[CadState, int, WireObject], Event | None]]] = {
    "CALL_911": _emergency,
    "REMOVE_911": _call_ids("EVENT_REMOVE_911"),
    "NEW_DISPATCH": _dispatch("EVENT_DISPATCH_NEW"),
    "EDIT_DISPATCH": _dispatch("EVENT_DISPATCH_EDIT"),
    "SET_CALL_POSTAL": _dispatch("EVENT_DISPATCH_EDIT"),
    "SET_CALL_PRIMARY": _dispatch("EVENT_DISPATCH_EDIT"),
    "CLOSE_CALL": _call_ids("EVENT_DISPATCH_CLOSED"),
    "ADD_CALL_NOTE": _note,
    "ATTACH_UNIT": _units("EVENT_DISPATCH_UNIT_ATTACH"),
    "DETACH_UNIT": _units("EVENT_DISPATCH_UNIT_DETACH"),
} | {
    kind: _as_sent(f"EVENT_{kind}")
    for kind in ("UNIT_LOGIN", "UNIT_LOGOUT", "UNIT_STATUS", "UNIT_PANIC", "UNIT_UPDATE")
}


def check_push_url(url: str) -> URL:
    parsed = URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"push_url must be an absolute http(s) URL, got {url!r}")
    return parsed


class Pusher:
    """Sends the push events of one emulated community to `url`."""

    def __init__(
        self,
        url: str,
        api_key: str,
        state: CadState,
        stats: EmulatorStats,
        *,
        max_queue: int = 1000,
        timeout: float = 5.0,
        drain_timeout: float = 1.0,
        skip: Callable[[int, WireObject], bool] | None = None,
    ) -> None:
        parsed = check_push_url(url)
        self.url = url
        #: Where pushes go, for logs (no user info, no query).
        self.where = str(parsed.with_user(None).with_query(None).with_fragment(None))
        self._key = api_key
        self._state = state
        self._stats = stats
        self._timeout = timeout
        self._drain_timeout = drain_timeout
        #: True when a change's event went another way (a websocket): no HTTP push then.
        self._skip = skip
        self._queue: asyncio.Queue[tuple[str, PushBody]] = asyncio.Queue(max_queue)
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"<Pusher to {self.where} queued={self._queue.qsize()}>"

    def notify(self, kind: str, call_id: int, obj: WireObject) -> None:
        """The state listener: queue the push for one applied change (never blocks). The
        body is encoded now, so it shows the call as this change left it."""
        build = EVENTS.get(kind)
        if build is None or (self._skip is not None and self._skip(call_id, obj)):
            return
        event = build(self._state, call_id, obj)
        if event is None:
            return
        event_type, data = event
        body = PushBody(orjson.dumps({"key": self._key, "type": event_type, "data": data}))
        try:
            self._queue.put_nowait((event_type, body))
        except asyncio.QueueFull:
            self._stats.push_dropped += 1
            if self._stats.push_dropped % 1000 == 1:
                log.warning(
                    "push queue full: %s dropped (%d so far)", event_type, self._stats.push_dropped
                )

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))
        self._task = asyncio.create_task(self._run(self._session))

    async def stop(self) -> None:
        """Give queued pushes `drain_timeout` to leave, then stop."""
        task, self._task = self._task, None
        if task is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), self._drain_timeout)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def running(self, _app: web.Application) -> AsyncIterator[None]:
        """For `app.cleanup_ctx`: pushing while the application runs."""
        await self.start()
        yield
        await self.stop()

    async def _run(self, session: aiohttp.ClientSession) -> None:
        while True:
            event_type, body = await self._queue.get()
            try:
                await self._post(session, event_type, body)
            finally:
                self._queue.task_done()

    async def _post(self, session: aiohttp.ClientSession, event_type: str, body: bytes) -> None:
        headers = {"Content-Type": "application/json"}
        try:
            async with session.post(
                self.url, data=body, headers=headers, allow_redirects=False
            ) as reply:
                await reply.read()
                status = reply.status
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            self._stats.push_failed += 1
            log.warning("push %s to %s failed: %s", event_type, self.where, type(exc).__name__)
            return
        if 200 <= status < 300:
            self._stats.pushed += 1
        else:
            self._stats.push_failed += 1
            log.warning("push %s to %s answered HTTP %d", event_type, self.where, status)

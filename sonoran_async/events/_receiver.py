"""`EventReceiver`: the HTTP listener Sonoran CAD pushes events to, as aiohttp routes.

Sonoran posts `{"key": <the community's API key>, "type": "EVENT_...", "data": ...}` to
`http://<game server>/sonorancad/event`. Its own listener (the FiveM resource's
`core/httpd.lua`) authenticates by that key alone, compared case-insensitively; this one
does the same in constant time, answers before the handlers finish, and never lets a
handler's failure or a malformed body become a 500.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import zlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import attrs
import orjson
from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from ._models import PushEvent, UnknownEvent
from ._parse import parse_events

log = logging.getLogger("sonoran_async.events")

E = TypeVar("E", bound=PushEvent)
Handler = Callable[[E], Awaitable[None]]

DEFAULT_PATH = "/sonorancad/event"


@attrs.define(eq=False)
class ReceiverStats:
    """Counters since the receiver was created (mutable, updated in place)."""

    pushes: int = 0  # pushes accepted (authenticated and well-formed)
    events: int = 0  # events read from them
    unknown: int = 0  # of which UnknownEvent
    refused_key: int = 0  # 401: wrong or missing key
    malformed: int = 0  # 400/413: not JSON, not an object, no type, too large
    busy: int = 0  # 503: too many handlers in flight, the push was not handled
    handler_errors: int = 0  # handler calls that raised


def _key_digest(key: str) -> bytes:
    """What the key is compared as: ASCII case folded (Lua's `string.upper` in the C locale,
    as Sonoran's listener compares), hashed so that the comparison does not depend on its
    length and the receiver never holds the key itself."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass").upper()).digest()


class EventReceiver:
    """Receives Sonoran CAD push events and calls the async handlers registered for them.

    ```python
    receiver = EventReceiver(api_key)

    @receiver.on(Event911)
    async def new_911(event: Event911) -> None: ...

    web.run_app(receiver.make_app(), port=30120)      # or receiver.add_to(your_app)
    ```

    - `max_body`: larger bodies get 413 before they are read whole.
    - `max_in_flight`: handler calls running at once; a push that would exceed it is
      answered 503 and not handled (counted in `stats.busy`).
    - `close_timeout`: on the application's cleanup, handlers still running get this long
      to finish before they are cancelled.
    """

    def __init__(
        self,
        api_key: str,
        *,
        path: str = DEFAULT_PATH,
        max_body: int = 1 << 20,
        max_in_flight: int = 1000,
        close_timeout: float = 5.0,
    ) -> None:
        if not isinstance(api_key, str) or not api_key:
            raise ValueError("api_key must be a non-empty string")
        digest = _key_digest(api_key)
        del api_key  # kept only as its digest (not in a traceback's locals either)
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', got {path!r}")
        if max_body < 1 or max_in_flight < 1 or close_timeout < 0:
            raise ValueError("max_body and max_in_flight must be >= 1, close_timeout >= 0")
        self.path = path
        self.max_body = max_body
        self.max_in_flight = max_in_flight
        self.close_timeout = close_timeout
        self.stats = ReceiverStats()
        self._key = digest
        self._handlers: dict[type[PushEvent], list[Handler[Any]]] = {}
        self._any: list[Handler[PushEvent]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._busy = False  # refusing pushes since the last one handled (warned once)

    def __repr__(self) -> str:
        if not hasattr(self, "_tasks"):  # a construction refused (a traceback's locals)
            return "<EventReceiver (not constructed)>"
        return f"<EventReceiver {self.path} in_flight={len(self._tasks)}>"

    # ---------------------------------------------------------------- handlers
    def on(self, event_type: type[E]) -> Callable[[Handler[E]], Handler[E]]:
        """Decorator: call the handler with every event of `event_type` or a subclass
        (several handlers per type allowed)."""

        def register(handler: Handler[E]) -> Handler[E]:
            self._handlers.setdefault(event_type, []).append(handler)
            return handler

        return register

    def on_any(self, handler: Handler[PushEvent]) -> Handler[PushEvent]:
        """Decorator: call the handler with every event, `UnknownEvent`s included."""
        self._any.append(handler)
        return handler

    @property
    def in_flight(self) -> int:
        """Handler calls running now."""
        return len(self._tasks)

    # ----------------------------------------------------------- application
    def add_to(self, app: web.Application) -> None:
        """Serve `POST path` in `app` (yours, or a sub-application) and finish the handlers
        on its cleanup."""
        app.router.add_post(self.path, self.handle)
        app.on_cleanup.append(self._on_cleanup)

    def make_app(self) -> web.Application:
        """A new application serving only this receiver."""
        app = web.Application()
        self.add_to(app)
        return app

    async def aclose(self) -> None:
        """Let running handlers finish for up to `close_timeout`, then cancel the rest."""
        tasks = set(self._tasks)
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=self.close_timeout)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("push event handlers cancelled on close: %d", len(pending))
            await asyncio.gather(*pending, return_exceptions=True)

    async def _on_cleanup(self, _app: web.Application) -> None:
        await self.aclose()

    # --------------------------------------------------------------------- HTTP
    async def handle(self, request: web.Request) -> web.Response:
        """The route handler: check, parse, schedule the handlers, answer."""
        body = await self._read(request)
        if isinstance(body, web.Response):
            return body
        try:
            envelope = orjson.loads(body)
        except orjson.JSONDecodeError:
            return self._malformed("not JSON")
        if type(envelope) is not dict:
            return self._malformed("not a JSON object")
        key = envelope.get("key")
        if type(key) is not str or not hmac.compare_digest(_key_digest(key), self._key):
            self.stats.refused_key += 1
            log.warning("push event refused from %s: wrong or missing key", request.remote)
            return web.Response(status=401, text="invalid key")
        event_type = envelope.get("type")
        if type(event_type) is not str or not event_type.strip():
            return self._malformed("no type")
        if not self.dispatch(event_type, envelope.get("data")):
            return web.Response(status=503, text="busy", headers={"Retry-After": "1"})
        return web.Response(text="ok")

    def dispatch(self, event_type: str, data: Any) -> bool:
        """Parse one push's `type` and `data` and start its handlers (without waiting for
        them): what `handle` does after the key check, and what a websocket session
        (`sonoran_async.realtime`) calls for each `pushEvent`. False, and nothing handled,
        when `max_in_flight` would be exceeded."""
        events = parse_events(event_type, data)
        calls = [(h, ev) for ev in events for h in self._handlers_for(ev)]
        if len(self._tasks) + len(calls) > self.max_in_flight:
            self.stats.busy += 1
            if not self._busy:  # one WARNING per busy spell, not one per push (a burst)
                self._busy = True
                log.warning(
                    "push %s not handled: %d handlers in flight (until some finish, further "
                    "pushes are not handled either; counted in stats.busy)",
                    event_type,
                    len(self._tasks),
                )
            return False
        self._busy = False
        self.stats.pushes += 1
        self.stats.events += len(events)
        self.stats.unknown += sum(1 for ev in events if isinstance(ev, UnknownEvent))
        log.debug("push %s: %d event(s), %d handler call(s)", event_type, len(events), len(calls))
        for handler, event in calls:
            task = asyncio.create_task(self._call(handler, event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return True

    def _handlers_for(self, event: PushEvent) -> list[Handler[Any]]:
        """The handlers registered for the event's class or a base of it, then `on_any`'s."""
        mine = (h for cls in type(event).__mro__ for h in self._handlers.get(cls, ()))
        return [*mine, *self._any]

    async def _call(self, handler: Handler[Any], event: PushEvent) -> None:
        try:
            await handler(event)
        except Exception:
            self.stats.handler_errors += 1
            name = getattr(handler, "__qualname__", repr(handler))
            log.exception("push event handler %s failed on %s", name, type(event).__name__)

    async def _read(self, request: web.Request) -> bytes | web.Response:
        """The body, at most `max_body` bytes (after any Content-Encoding is undone)."""
        length = request.content_length
        if length is not None and length > self.max_body:
            return self._malformed("body too large", 413)
        body = bytearray()
        try:
            async for chunk in request.content.iter_chunked(1 << 16):
                body += chunk
                if len(body) > self.max_body:
                    return self._malformed("body too large", 413)
        except (RequestPayloadError, zlib.error, ValueError, EOFError, NotImplementedError):
            return self._malformed("unreadable body")
        return bytes(body)

    def _malformed(self, why: str, status: int = 400) -> web.Response:
        self.stats.malformed += 1
        log.info("push event refused: %s", why)
        return web.Response(status=status, text=f"bad request: {why}")

"""An in-process event source: what the emulator's state pushes, delivered on demand."""

from __future__ import annotations

from collections import deque
from typing import Any

import orjson

from sonoran_async.emulator import EmulatorCore
from sonoran_async.emulator._push import EVENTS
from sonoran_async.events import PushEvent, parse_events


class LocalEvents:
    """Has the `EventReceiver`'s `on(...)`; queues the events the emulator's changes cause
    (as the CAD does, none for dispatch changes made through the API) until `deliver`."""

    def __init__(self, core: EmulatorCore, *, api_dispatch_events: bool = False) -> None:
        self.core = core
        self.api_dispatch_events = api_dispatch_events
        self.handlers: list[tuple[type[Any], Any]] = []
        self.pending: deque[PushEvent] = deque()
        core.add_listener(self._listen)

    def on(self, kind: type[Any]) -> Any:
        def register(handler: Any) -> Any:
            self.handlers.append((kind, handler))
            return handler

        return register

    def _listen(self, kind: str, ident: int, obj: Any) -> None:
        build = EVENTS.get(kind)
        event = build(self.core.state, ident, obj) if build is not None else None
        if event is None:
            return
        event_type, data = event
        if event_type.startswith("EVENT_DISPATCH") and not self.api_dispatch_events:
            return
        self.pending.extend(parse_events(event_type, orjson.loads(orjson.dumps(data))))

    async def deliver(self, count: int | None = None) -> None:
        """Hand the oldest `count` queued events (all: None) to the handlers, in order."""
        for _ in range(len(self.pending) if count is None else min(count, len(self.pending))):
            event = self.pending.popleft()
            for kind, handler in list(self.handlers):
                if isinstance(event, kind):
                    await handler(event)

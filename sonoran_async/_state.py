"""The client's one state: open, closing, closed or failed, kept in one place."""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable

from ._errors import (
    ApiError,
    ClientClosedError,
    SonoranError,
    for_caller,
    quoted_references,
    references_of,
)

logger = logging.getLogger("sonoran_async")


class ClientState(enum.Enum):
    OPEN = "open"
    CLOSING = "closing"  # aclose() under way: queued work still leaves, nothing new enters
    CLOSED = "closed"
    FAILED = "failed"  # a fatal answer (bad key, bad community, API off): nothing more is sent


class Lifecycle:
    """Holds the state, refuses new work when not open, and stops everything on a fatal
    error through one `fail_all`."""

    def __init__(self, fail_queued: Callable[[SonoranError], None]) -> None:
        self.state = ClientState.OPEN
        self.fatal: ApiError | None = None
        self._fail_queued = fail_queued
        self._loop: asyncio.AbstractEventLoop | None = None
        self._close_started = False
        self._halted: SonoranError | None = None

    def is_open_in(self, loop: asyncio.AbstractEventLoop) -> bool:
        """The hot path's test: open, and already bound to this loop."""
        return self.state is ClientState.OPEN and loop is self._loop

    def check_open(self) -> None:
        """Raise unless new work may be queued (and bind the client to its event loop)."""
        if self.fatal is not None:
            raise for_caller(self.fatal)
        if self.state is not ClientState.OPEN:
            raise ClientClosedError("the client is closed")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif loop is not self._loop:
            raise RuntimeError(
                "this SonoranClient belongs to another event loop (the one it was first "
                "used in); create one client per event loop"
            )

    def stopped(self) -> SonoranError | None:
        """The error that stops all sending, if any (checked before every attempt)."""
        return self.fatal or self._halted

    def halt(self, error: SonoranError) -> None:
        """A close without flushing: fail what is queued, start no further attempt."""
        self._halted = error
        self._fail_queued(error)

    def fail_all(self, error: ApiError) -> None:
        """A fatal error: send nothing more, fail everything queued with the same error."""
        if self.fatal is not None:
            return
        self.fatal = error
        self.state = ClientState.FAILED
        logger.warning(
            "stopping: the server answered %r%s; no further requests",
            error.text,
            quoted_references(error),
            extra=references_of(error),
        )
        self._fail_queued(error)

    def begin_close(self) -> bool:
        """Move to CLOSING; False if a close has already begun (a failed client still
        closes once, to release its connections)."""
        if self._close_started:
            return False
        self._close_started = True
        if self.state is ClientState.OPEN:
            self.state = ClientState.CLOSING
        return True

    def closed(self) -> None:
        if self.state is not ClientState.FAILED:
            self.state = ClientState.CLOSED

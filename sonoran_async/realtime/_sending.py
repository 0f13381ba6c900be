"""The location sender of one connection: `unitLocation` calls of at most `max_per_call`
updates, one at a time, the longest-waiting units first, paced so that the hub never sees
two closer than its 200 ms:

- a call leaves at least `interval` after the previous one left (the configured rate), and
- at least `MIN_INTERVAL` after the previous one's completion arrived: the hub handled that
  call before it answered, so the two reach it at least 200 ms apart whatever the network
  jitter. With a round trip under `interval - MIN_INTERVAL` (50 ms by default) the first
  rule alone sets the pace; with a slower one the pace is round trip + 200 ms.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from .._bridge import LocationUpdate
from ._connection import ConnectionLost, HubConnection, InvocationError
from ._models import LocationRefusedError
from ._queue import Waiting, settle

if TYPE_CHECKING:
    from ._session import SonoranRealtime

log = logging.getLogger("sonoran_async.realtime")

#: The hub refuses unitLocation calls closer together than this ("limited to every 200ms").
MIN_INTERVAL = 0.2
#: And more updates than this in one call ("Max is 25").
MAX_UPDATES = 25

#: Calls in a row the hub may refuse as too fast, too many or unauthenticated (each is
#: re-sent: a position is safe to repeat) before the updates of the next one fail instead.
MAX_REFUSALS = 10


class LocationSender:
    """Runs while its connection lives; `in_flight`: the futures of the call waiting for
    its completion."""

    def __init__(self, rt: SonoranRealtime, conn: HubConnection) -> None:
        self._rt = rt
        self._conn = conn
        self.in_flight: list[asyncio.Future[LocationUpdate]] = []

    async def run(self) -> ConnectionLost:
        """Send until the connection is lost; why it was."""
        rt, conn, queue = self._rt, self._conn, self._rt._queue
        while not conn.lost.done():
            waiter: asyncio.Future[Any] = asyncio.ensure_future(queue.wait())
            either: set[asyncio.Future[Any]] = {waiter, conn.lost}
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if conn.lost.done():
                break
            ready = max(rt._last_call + rt.interval, rt._last_done + MIN_INTERVAL)
            pause = ready - rt.clock.monotonic()
            if pause > 0:
                await rt.clock.sleep(pause)
                if conn.lost.done():
                    break
            batch = queue.take(rt.max_per_call)
            if batch:
                try:
                    await self._send(batch)
                except Exception:  # a bug: back in line, so the session's failure fails them
                    queue.put_back([item for item in batch if not item.future.done()])
                    raise
        return conn.lost.result()

    async def _send(self, batch: list[Waiting]) -> None:
        rt, stats = self._rt, self._rt.stats
        self.in_flight = [item.future for item in batch]
        rt._last_call = rt.clock.monotonic()
        try:
            reply = await self._conn.invoke(
                "unitLocation", [[item.wire for item in batch]], rt.invoke_timeout
            )
        except ConnectionLost:
            self._resend(batch)
            return
        except asyncio.CancelledError:  # closing: back to the queue, whose callers then fail
            rt._queue.put_back(batch)
            raise
        except InvocationError as exc:
            self._refuse(batch, str(exc))
            return
        finally:
            self.in_flight = []
            rt._last_done = rt.clock.monotonic()
        if type(reply) is dict and reply.get("success") is True:
            rt._refusals = 0
            stats.location_calls += 1
            stats.updates_sent += len(batch)
            for item in batch:
                settle(item.future, LocationUpdate.SENT)
            return
        text = str(reply.get("error") if type(reply) is dict else reply)
        lowered = text.lower()
        retryable = ("limited to every", "too many unit updates", "unauthenticated")
        if any(part in lowered for part in retryable):
            rt._refusals += 1
            if rt._refusals > MAX_REFUSALS or ("too many" in lowered and len(batch) == 1):
                self._refuse(batch, text)  # bounded: these updates are not re-sent for ever
                return
        if "limited to every" in lowered:  # "UNIT_LOCATION updates are limited to every 200ms."
            stats.too_fast += 1
            log.error("realtime: the hub found a unitLocation call too fast (%s); re-sent", text)
            self._resend(batch)
        elif "too many unit updates" in lowered:  # "... in one call. Max is 25."
            stats.too_many += 1
            rt.max_per_call = max(1, len(batch) // 2)
            log.error(
                "realtime: the hub found %d updates too many (%s); now %d per call",
                len(batch),
                text,
                rt.max_per_call,
            )
            self._resend(batch)
        elif "unauthenticated" in lowered:  # the hub forgot us: reconnect, authenticate again
            self._resend(batch)
            await self._conn.close()
        else:
            self._refuse(batch, text)

    def _resend(self, batch: list[Waiting]) -> None:
        self._rt.stats.resent += len(batch)
        self._rt._queue.put_back(batch)

    def _refuse(self, batch: list[Waiting], text: str) -> None:
        error = LocationRefusedError(text)
        for item in batch:
            settle(item.future, error=error)

"""The lookup cache: never serves (nor stores, nor shares) a lookup that notifies a user,
honours its TTL on the client's clock, and sends one request for identical lookups in
flight."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sonoran_async import LookupCache, LookupQuery, SonoranClient
from sonoran_async._transport import Reply

from ..virtual_clock import VirtualClock

PLATES = ("ABC123", "abc123 ", "XYZ9", "Q1")


class CountingTransport:
    """Answers every LOOKUP with a record naming the request's sequence number."""

    def __init__(self, clock: VirtualClock | None = None) -> None:
        self.clock = clock  # given: each reply takes one virtual second
        self.sent: list[dict[str, Any]] = []
        self.gate: asyncio.Event | None = None  # set: replies wait for it

    async def request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Reply:
        assert body is not None
        (obj,) = orjson.loads(bytes(body))["data"]
        self.sent.append(obj)
        number = len(self.sent)
        if self.gate is not None:
            await self.gate.wait()
        if self.clock is not None:
            await self.clock.sleep(1.0)
        await asyncio.sleep(0)
        record = {"id": number, "type": 5, "name": obj.get("plate", "")}
        return Reply(200, orjson.dumps({"records": [record]}))

    async def aclose(self) -> None:
        pass


def client(transport: CountingTransport, clock: VirtualClock, ttl: float = 120.0) -> SonoranClient:
    return SonoranClient(
        "demo",
        "demo-key",
        transport=transport,
        clock=clock,
        rate_limit=None,
        lookup_cache=timedelta(seconds=ttl),
    )


lookups = st.tuples(
    st.sampled_from(PLATES),
    st.sampled_from([None, "STEAM:1", "acc-1"]),  # a user to notify, or none
    st.floats(0, 50),  # virtual seconds before it
)


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(lookups, min_size=1, max_size=25))
def test_never_serves_a_notifying_lookup_and_honours_the_ttl(
    steps: list[tuple[str, str | None, float]],
) -> None:
    async def run() -> None:
        clock = VirtualClock()
        transport = CountingTransport(clock)
        fetched: dict[str, tuple[float, int]] = {}  # normalised plate -> (answered, number)
        async with client(transport, clock, ttl=60.0) as cad:
            for plate, notify, wait in steps:
                clock.now += wait
                kwargs: dict[str, Any] = {}
                if notify is not None:
                    kwargs["api_id" if notify.startswith("STEAM") else "account"] = notify
                before = len(transport.sent)
                result = await cad.lookup(LookupQuery(plate=plate, **kwargs))
                (record,) = result.records
                key = plate.strip().casefold()
                if notify is not None:  # always sent, never served from the cache
                    assert len(transport.sent) == before + 1 and record.id == len(transport.sent)
                    assert transport.sent[-1].get("apiId", transport.sent[-1].get("account"))
                    continue
                if record.id == len(transport.sent) and len(transport.sent) == before + 1:
                    fetched[key] = (clock.now, record.id)  # a fresh request
                else:  # served: the entry is this search's own, younger than the TTL
                    when, number = fetched[key]
                    assert record.id == number and clock.now - when < 60.0
                    assert "apiId" not in transport.sent[number - 1]
                    assert "account" not in transport.sent[number - 1]

    asyncio.run(run())


async def test_identical_lookups_in_flight_share_one_request_unless_they_notify() -> None:
    clock, transport = VirtualClock(), CountingTransport()
    transport.gate = asyncio.Event()
    async with client(transport, clock) as cad:
        pure = [cad.lookup(LookupQuery(plate=p)) for p in ("abc123", "ABC123", " abc123")]
        loud = [cad.lookup(LookupQuery(plate="abc123", api_id="STEAM:1")) for _ in range(3)]
        tasks = [asyncio.ensure_future(c) for c in (*pure, *loud)]
        await asyncio.sleep(0.01)
        transport.gate.set()
        results = await asyncio.gather(*tasks)
    assert len(transport.sent) == 1 + 3  # one shared read, every notifying lookup alone
    assert len({r.records[0].id for r in results[:3]}) == 1
    assert len({r.records[0].id for r in results[3:]}) == 3
    cache = cad.lookup_cache
    assert cache is not None and cache.stats.misses == 1 and cache.stats.shared == 2


async def test_a_failed_lookup_is_not_stored_and_a_cancelled_caller_does_not_cancel_others() -> (
    None
):
    clock = VirtualClock()
    cache = LookupCache(10.0, clock)
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow() -> str:
        started.set()
        await release.wait()
        return "value"

    first = asyncio.ensure_future(cache.get("k", slow))
    await started.wait()
    second = asyncio.ensure_future(cache.get("k", slow))
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    assert await second == "value"

    async def boom() -> str:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        await cache.get("e", boom)
    assert await cache.get("e", slow) == "value"  # the error was not stored


async def test_invalidation_drops_entries_and_what_is_in_flight() -> None:
    clock = VirtualClock()
    cache = LookupCache(10.0, clock, max_entries=2)
    release = asyncio.Event()
    calls = 0

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        mine = calls
        await release.wait()
        return mine

    in_flight = asyncio.ensure_future(cache.get("k", fetch))
    await asyncio.sleep(0)
    cache.invalidate()  # a record event while the lookup was in flight
    after = asyncio.ensure_future(cache.get("k", fetch))  # not shared with the older one
    await asyncio.sleep(0)
    release.set()
    assert (await in_flight, await after) == (1, 2)
    assert await cache.get("k", fetch) == 2  # only the newer one was stored
    for key in ("a", "b", "c"):
        await cache.get(key, fetch)
    assert len(cache) == 2 and cache.stats.evicted == 2


async def test_record_events_invalidate_through_any_source_with_on() -> None:
    from sonoran_async.events import EventRecordEdit, parse_events

    class Source:
        def __init__(self) -> None:
            self.handlers: list[tuple[type[Any], Any]] = []

        def on(self, kind: type[Any]) -> Any:
            def register(handler: Any) -> Any:
                self.handlers.append((kind, handler))
                return handler

            return register

    source, clock = Source(), VirtualClock()
    transport = CountingTransport()
    async with client(transport, clock) as cad:
        cad.follow_records(source)
        await cad.lookup(LookupQuery(plate="abc"))
        await cad.lookup(LookupQuery(plate="abc"))
        (event,) = parse_events("EVENT_RECORD_EDIT", {"record": {"id": 1}})
        for kind, handler in source.handlers:
            if isinstance(event, kind):
                await handler(event)
        assert isinstance(event, EventRecordEdit)
        await cad.lookup(LookupQuery(plate="abc"))
    assert len(transport.sent) == 2

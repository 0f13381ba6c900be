"""The lookup cache attacked: searches the server tells apart must never share an entry,
and a lookup that notifies a user (any of the three ways) never touches the cache."""

from __future__ import annotations

import asyncio

from sonoran_async import LookupIntQuery, LookupQuery, SearchType

from ..virtual_clock import VirtualClock
from .test_lookup_cache import CountingTransport, client


async def test_lookup_int_values_are_matched_exactly_so_keyed_exactly() -> None:
    """The API (and the emulator) match a LOOKUP_INT value exactly: the cache keyed it
    case-folded and stripped, so the secret "abc" was answered with "AbC"'s records."""
    clock, transport = VirtualClock(), CountingTransport()
    async with client(transport, clock) as cad:
        for value in ("AbC", "abc", " AbC", "AbC"):
            await cad.lookup_int(LookupIntQuery(search_type=SearchType.SECRET, value=value))
    assert [sent["value"] for sent in transport.sent] == ["AbC", "abc", " AbC"]


async def test_a_lookup_naming_a_community_user_is_never_cached_nor_shared() -> None:
    clock, transport = VirtualClock(), CountingTransport()
    transport.gate = asyncio.Event()
    async with client(transport, clock) as cad:
        pure = asyncio.ensure_future(cad.lookup(LookupQuery(plate="ABC")))
        loud = [
            asyncio.ensure_future(cad.lookup(LookupQuery(plate="ABC", community_user_id="u1")))
            for _ in range(2)
        ]
        await asyncio.sleep(0.01)
        transport.gate.set()
        await asyncio.gather(pure, *loud)
        await cad.lookup(LookupQuery(plate="ABC", community_user_id="u1"))
        query = LookupIntQuery(search_type=SearchType.NUMBER, value=7, community_user_id="u1")
        await cad.lookup_int(query)
        await cad.lookup_int(query)
    assert len(transport.sent) == 1 + 3 + 2
    cache = cad.lookup_cache
    assert cache is not None and len(cache) == 1 and cache.stats.shared == 0

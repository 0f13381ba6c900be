"""The client's reads and unit commands for bridges (issue #25): lookups through the
opt-in cache, active units page by page, UNIT_STATUS / UNIT_PANIC, and `mirror()`.

Mixed into `SonoranClient`, which provides `_call`; `_live_init` is called from its
`__init__`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from ._clock import Clock
from ._lookup_cache import EventSource, LookupCache, LookupCacheSetting, make_lookup_cache
from ._lookups import (
    CharactersQuery,
    Identifiers,
    IdentifiersQuery,
    LookupIntQuery,
    LookupQuery,
    LookupResult,
    Record,
    RecordType,
    SearchType,
)
from ._mirror import LiveMirror
from ._models import Request
from ._units import ActiveUnitsQuery, UnitCommand, UnitPanicUpdate, UnitStatusUpdate
from .events._units import Unit

ResultT = TypeVar("ResultT")
#: Called with (request, result) after each of the client's own calls succeeds.
WriteObserver = Callable[[Any, Any], None]

#: Pages of GET_ACTIVE_UNITS read at most by `all_active_units()` (100 units each).
MAX_UNIT_PAGES = 50
#: LOOKUP_INT's ACTIVE_STATUS for a closed warrant (records carrying a `status`).
_CLOSED = 1


@attrs.define(kw_only=True, frozen=True)
class PlateReport:
    """What a plate has: registrations, and the BOLOs and warrants not closed.

    Sonoran does not document how a record says it is closed; a record whose `status`
    is 1 (LOOKUP_INT's "closed") is taken as closed, any other as active.
    """

    plate: str
    registrations: tuple[Record, ...]
    bolos: tuple[Record, ...]
    warrants: tuple[Record, ...]
    result: LookupResult = attrs.field(repr=False)

    @property
    def flagged(self) -> bool:
        """An active BOLO or warrant."""
        return bool(self.bolos or self.warrants)


def _active(records: tuple[Record, ...]) -> tuple[Record, ...]:
    return tuple(r for r in records if r.raw.get("status") != _CLOSED)


class LiveMethods:
    """See the module docstring."""

    _lookup_cache: LookupCache | None
    _observers: list[WriteObserver]
    _server_id: int
    _live_clock: Clock

    async def _call(self, request: Request[ResultT], kind: type[Any]) -> ResultT:
        raise NotImplementedError

    def _live_init(self, lookup_cache: LookupCacheSetting, clock: Clock) -> None:
        self._lookup_cache = make_lookup_cache(lookup_cache, clock)
        self._observers = []
        self._live_clock = clock

    def _wrote(self, request: Any, result: ResultT) -> ResultT:
        """Tell the observers (a live mirror) of a call that succeeded; its result."""
        for observer in self._observers:
            observer(request, result)
        return result

    @property
    def lookup_cache(self) -> LookupCache | None:
        """The lookup cache (`lookup_cache=` given), or None."""
        return self._lookup_cache

    def follow_records(self, events: EventSource) -> None:
        """Empty the lookup cache on every record push event `events` delivers."""
        if self._lookup_cache is not None:
            self._lookup_cache.follow(events)

    async def _read(self, query: Any, kind: type[Any]) -> Any:
        cache = self._lookup_cache
        if cache is None or query.notifies:  # a side effect: always sent, never shared
            return await self._call(query, kind)
        return await cache.get(query.cache_key(), lambda: self._call(query, kind))

    # --- lookups -----------------------------------------------------------------------

    async def lookup(self, query: LookupQuery) -> LookupResult:
        """LOOKUP (Plus): records for a name or a plate. Served from the lookup cache when
        it is on, unless the query names a user (then it is always sent)."""
        result: LookupResult = await self._read(query, LookupQuery)
        return result

    async def lookup_int(self, query: LookupIntQuery) -> LookupResult:
        """LOOKUP_INT (Plus): records by identifier, status, number, secret or account."""
        result: LookupResult = await self._read(query, LookupIntQuery)
        return result

    async def plate(self, plate: str, *, partial: bool = False) -> PlateReport:
        """What a plate has: registrations, active BOLOs, active warrants (types 5, 3, 2)."""
        query = LookupQuery(
            plate=plate,
            types=(RecordType.VEHICLE_REGISTRATION, RecordType.BOLO, RecordType.WARRANT),
            partial=partial,
        )
        result = await self.lookup(query)
        return PlateReport(
            plate=plate,
            registrations=result.of_type(RecordType.VEHICLE_REGISTRATION),
            bolos=_active(result.of_type(RecordType.BOLO)),
            warrants=_active(result.of_type(RecordType.WARRANT)),
            result=result,
        )

    async def lookup_record(self, number: int) -> LookupResult:
        """LOOKUP_INT by record number."""
        return await self.lookup_int(LookupIntQuery(search_type=SearchType.NUMBER, value=number))

    async def get_characters(
        self,
        *,
        api_id: str | None = None,
        account: str | None = None,
        community_user_id: str | None = None,
    ) -> tuple[Record, ...]:
        """GET_CHARACTERS (Plus): a user's characters, the selected one first (cached
        like lookups when the cache is on; a character selection event empties it)."""
        query = CharactersQuery(api_id=api_id, account=account, community_user_id=community_user_id)
        found: tuple[Record, ...] = await self._read(query, CharactersQuery)
        return found

    async def get_identifiers(
        self, *, api_id: str | None = None, account: str | None = None
    ) -> Identifiers:
        """GET_IDENTIFIERS (Plus): an account's unit identifiers (never cached: their
        status changes all the time)."""
        return await self._call(IdentifiersQuery(api_id=api_id, account=account), IdentifiersQuery)

    # --- units -------------------------------------------------------------------------

    async def get_active_units(
        self,
        *,
        server_id: int | None = None,
        limit: int = 100,
        offset: int = 0,
        only_units: bool = True,
        include_offline: bool = False,
    ) -> tuple[Unit, ...]:
        """GET_ACTIVE_UNITS (Plus): one page of active units."""
        query = ActiveUnitsQuery(
            server_id=server_id,
            limit=limit,
            offset=offset,
            only_units=only_units,
            include_offline=include_offline,
        )
        return await self._call(query, ActiveUnitsQuery)

    async def all_active_units(
        self,
        *,
        server_id: int | None = None,
        only_units: bool = True,
        include_offline: bool = False,
        max_pages: int = MAX_UNIT_PAGES,
    ) -> tuple[Unit, ...]:
        """Every active unit: pages of 100 until a short page (at most `max_pages`)."""
        found: list[Unit] = []
        for page in range(max_pages):
            units = await self.get_active_units(
                server_id=server_id,
                limit=100,
                offset=page * 100,
                only_units=only_units,
                include_offline=include_offline,
            )
            found.extend(units)
            if len(units) < 100:
                break
        return tuple(found)

    async def unit_status(self, update: UnitStatusUpdate) -> UnitCommand:
        """UNIT_STATUS (Standard): SENT, or SUPERSEDED by a newer status for the same unit
        within the batching window."""
        return await self._call(update, UnitStatusUpdate)

    async def unit_panic(self, update: UnitPanicUpdate) -> UnitCommand:
        """UNIT_PANIC (Standard): SENT, or SUPERSEDED by a newer one for the same unit."""
        return await self._call(update, UnitPanicUpdate)

    # --- the live mirror -----------------------------------------------------------------

    def mirror(
        self,
        *,
        server_id: int | None = None,
        events: EventSource | None = None,
        resync_interval: float | None = None,
    ) -> LiveMirror:
        """`async with cad.mirror(events=receiver) as live:` a current view of the
        server's units and calls (see `LiveMirror`)."""
        return LiveMirror(
            self,  # type: ignore[arg-type]
            server_id=self._server_id if server_id is None else server_id,
            events=events,
            resync_interval=resync_interval,
            clock=self._live_clock,
        )

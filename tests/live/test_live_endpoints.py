"""LOOKUP, LOOKUP_INT, GET_CHARACTERS, GET_IDENTIFIERS, GET_ACTIVE_UNITS, UNIT_STATUS and
UNIT_PANIC against the emulator, in both API versions."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from sonoran_async import (
    ApiError,
    EndpointNotEnabledError,
    LookupIntQuery,
    LookupQuery,
    Plan,
    RecordType,
    SearchType,
    UnitCommand,
    UnitPanicUpdate,
    UnitStatus,
    UnitStatusUpdate,
    ValidationError,
)
from sonoran_async.emulator import make_record

from .conftest import Seeded

VERSIONS = pytest.mark.parametrize("api_version", [1, 2])


def _who(api_version: int) -> dict[str, Any]:
    """How each version names the demo unit's user."""
    return {"api_id": "STEAM:1"} if api_version == 1 else {"community_user_id": "license:1"}


@VERSIONS
async def test_lookup_by_name_and_by_plate(seeded: Seeded, api_version: int) -> None:
    async with seeded.client(api_version) as cad:
        by_name = await cad.lookup(LookupQuery(first="jo", last="doe"))
        by_plate = await cad.lookup(LookupQuery(plate="abc", types=[RecordType.BOLO]))
        exact = await cad.lookup(LookupQuery(plate="abc", partial=False))
    names = {r.name for r in (*by_name.records, *by_name.characters)}
    assert names == {"John Doe", "Warrant"}
    assert [r.type for r in by_plate.records] == [RecordType.BOLO]
    assert by_plate.records[0].value("reason") == "stolen"
    assert by_plate.raw is not None and exact.records == ()


@VERSIONS
async def test_plate_report_registration_and_only_active_bolos_and_warrants(
    seeded: Seeded, api_version: int
) -> None:
    seeded.live.add_record(make_record(2, "Warrant", {"plate": "ABC123"}, status=0))
    seeded.live.add_record(make_record(2, "Old warrant", {"plate": "ABC123"}, status=1))
    seeded.live.add_record(make_record(8, "Police record", {"plate": "ABC123"}))
    async with seeded.client(api_version) as cad:
        report = await cad.plate("ABC123")
        clean = await cad.plate("ZZZ999")
    assert [r.value("owner") for r in report.registrations] == ["John Doe"]
    assert [r.name for r in report.bolos] == ["BOLO"]
    assert [r.name for r in report.warrants] == ["Warrant"]
    assert report.flagged and not clean.flagged and clean.registrations == ()


@VERSIONS
async def test_an_empty_search_is_refused_before_sending(seeded: Seeded, api_version: int) -> None:
    async with seeded.client(api_version) as cad:
        before = seeded.requests(api_version)
        with pytest.raises(ValidationError, match="INVALID EMPTY SEARCH"):
            await cad.lookup(LookupQuery(first="  ", plate=""))
        with pytest.raises(ValidationError, match="INVALID EMPTY SEARCH"):
            await cad.lookup_int(LookupIntQuery(search_type=SearchType.NUMBER, value=" "))
    assert seeded.requests(api_version) == before


@VERSIONS
async def test_the_emulator_answers_an_empty_search_as_documented(
    seeded: Seeded, api_version: int
) -> None:
    path = "/general/lookup" if api_version == 1 else "/v2/general/lookups"
    async with aiohttp.ClientSession() as http:
        if api_version == 1:
            body = {"id": "demo", "key": "demo-key", "type": "LOOKUP", "data": [{"plate": ""}]}
            reply = await http.post(seeded.url + path, json=body)
        else:
            headers = {"Authorization": "Bearer demo-key"}
            reply = await http.post(seeded.url + path, json={"plate": ""}, headers=headers)
        text = await reply.text()
    assert reply.status == 400 and "INVALID EMPTY SEARCH" in text


@VERSIONS
async def test_lookup_int_by_number_and_by_active_status(seeded: Seeded, api_version: int) -> None:
    async with seeded.client(api_version) as cad:
        by_number = await cad.lookup_record(3)
        open_ones = await cad.lookup_int(
            LookupIntQuery(search_type=SearchType.ACTIVE_STATUS, value=0, types=[RecordType.BOLO])
        )
    assert [r.id for r in by_number.records] == [3]
    assert [r.name for r in open_ones.records] == ["BOLO"]


@VERSIONS
async def test_characters_and_identifiers(seeded: Seeded, api_version: int) -> None:
    async with seeded.client(api_version) as cad:
        mine = await cad.get_characters(account="acc-john")
        idents = await cad.get_identifiers(account="acc-john")
        unlinked = {"api_id": "STEAM:404"} if api_version == 1 else {"community_user_id": "x"}
        with pytest.raises(ApiError, match=r"(?i)not linked"):
            await cad.get_characters(**unlinked)
    assert [c.name for c in mine] == ["John Doe"] and mine[0].value("first") == "John"
    (unit,) = idents.identifiers
    assert idents.selected == unit.ident_id and unit.data is not None
    assert unit.data.unit_num == "A-10"


async def test_v1_reads_characters_by_api_id_and_v2_refuses_api_ids(seeded: Seeded) -> None:
    async with seeded.client(1) as v1:
        assert [c.name for c in await v1.get_characters(api_id="STEAM:2")] == ["Jane Roe"]
    async with seeded.client(2) as v2:
        with pytest.raises(ValidationError, match="api_id"):
            await v2.get_characters(api_id="STEAM:2")
        with pytest.raises(ValidationError, match="account"):
            await v2.get_identifiers(api_id="STEAM:2")


@VERSIONS
async def test_active_units_paged(seeded: Seeded, api_version: int) -> None:
    live = seeded.live
    for n in range(150):
        live.login(live.add_identifier(accId=f"acc-{n}", unitNum=f"U-{n}"))
    live.login(live.add_identifier(accId="acc-d", isDispatch=True, unitNum="DISPATCH"))
    async with seeded.client(api_version) as cad:
        first = await cad.get_active_units(limit=10)
        second = await cad.get_active_units(limit=10, offset=10)
        every = await cad.all_active_units()
        with_dispatch = await cad.get_active_units(only_units=False, offset=151)
    assert len(first) == len(second) == 10 and first[0].ident_id != second[0].ident_id
    assert len(every) == 151 and not any(u.is_dispatch for u in every)
    assert [u.data.unit_num for u in with_dispatch if u.data] == ["DISPATCH"]


@VERSIONS
async def test_unit_status_and_panic(seeded: Seeded, api_version: int) -> None:
    (ident,) = seeded.live.online[1]
    async with seeded.client(api_version) as cad:
        sent = await cad.unit_status(
            UnitStatusUpdate(status=UnitStatus.ENROUTE, **_who(api_version))
        )
        panic = await cad.unit_panic(UnitPanicUpdate(ident_ids=[ident], is_panic=True))
    assert sent is panic is UnitCommand.SENT
    unit = seeded.live.identifiers[ident]
    assert (unit["status"], unit["isPanic"]) == (3, True)


@VERSIONS
async def test_unit_commands_for_several_units_share_one_request(
    seeded: Seeded, api_version: int
) -> None:
    live = seeded.live
    idents = []
    for n in range(5):
        ident = live.add_identifier(accId=f"a{n}", apiId1=f"S:{n}", communityUserId=f"lic:{n}")
        live.login(ident)
        idents.append(ident)
    if api_version == 1:
        targets: list[dict[str, Any]] = [{"api_id": f"S:{n}"} for n in range(5)]
    else:
        targets = [{"community_user_id": f"lic:{n}"} for n in range(5)]
    async with seeded.client(api_version) as cad:
        before = seeded.requests(api_version)
        results = await asyncio.gather(
            *(cad.unit_status(UnitStatusUpdate(status=UnitStatus.BUSY, **t)) for t in targets)
        )
        sent = seeded.requests(api_version) - before
    assert results == [UnitCommand.SENT] * 5 and sent == 1
    assert {live.identifiers[i]["status"] for i in idents} == {1}


@VERSIONS
async def test_unit_commands_are_conflated_per_unit(seeded: Seeded, api_version: int) -> None:
    (ident,) = seeded.live.online[1]
    async with seeded.client(api_version) as cad:
        older, newer = await asyncio.gather(
            cad.unit_status(UnitStatusUpdate(ident_ids=[ident], status=UnitStatus.BUSY)),
            cad.unit_status(UnitStatusUpdate(ident_ids=[ident], status=UnitStatus.ON_SCENE)),
        )
    assert (older, newer) == (UnitCommand.SUPERSEDED, UnitCommand.SENT)
    assert seeded.live.identifiers[ident]["status"] == 4


@VERSIONS
async def test_plan_gates(seeded: Seeded, api_version: int) -> None:
    seeded.core.set_plan("STANDARD")
    async with seeded.client(api_version) as cad:
        with pytest.raises(EndpointNotEnabledError):
            await cad.lookup(LookupQuery(plate="abc"))
        with pytest.raises(EndpointNotEnabledError):
            await cad.get_active_units()
        (ident,) = seeded.live.online[1]
        assert await cad.unit_panic(UnitPanicUpdate(ident_ids=[ident])) is UnitCommand.SENT
    async with seeded.client(api_version, plan=Plan.STANDARD) as cad:
        before = seeded.requests(api_version)
        with pytest.raises(EndpointNotEnabledError, match="refused before sending"):
            await cad.lookup(LookupQuery(plate="abc"))
        assert seeded.requests(api_version) == before


def test_a_command_names_its_units_one_way() -> None:
    with pytest.raises(ValidationError, match="one way"):
        UnitStatusUpdate(status=UnitStatus.BUSY)
    with pytest.raises(ValidationError, match="one way"):
        UnitPanicUpdate(api_id="S:1", ident_ids=[1])


async def test_the_calls_cache_never_serves_units_or_lookups(seeded: Seeded) -> None:
    (ident,) = seeded.live.online[1]
    async with seeded.client(1, calls_cache_max_age=60.0) as cad:
        before = await cad.get_active_units()
        seeded.live.set_status([ident], 4)
        after = await cad.get_active_units()
        await cad.get_calls()
        await cad.get_calls()  # GET_CALLS still is cached
    assert (before[0].status, after[0].status) == (UnitStatus.UNAVAILABLE, UnitStatus.ON_SCENE)
    assert seeded.core.stats.per_type.get("GET_CALLS") == 1

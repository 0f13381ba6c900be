"""Every operation through the same public calls, in both API versions, against one
emulator serving v1 and v2 on the same state."""

from __future__ import annotations

import asyncio

import pytest

from sonoran_async import (
    Call911,
    CallNotFoundError,
    CallType,
    ClientState,
    CloseCall,
    DispatchEdit,
    EndpointNotEnabledError,
    InvalidApiKeyError,
    NewDispatch,
    ProtocolError,
    ServerNotFoundError,
    SonoranClient,
    ValidationError,
)

from .conftest import Both

VERSIONS = pytest.mark.parametrize("api_version", [1, 2])


@VERSIONS
async def test_911_call_created_listed_removed(both: Both, api_version: int) -> None:
    async with both.client(api_version) as cad:
        call_id = await cad.call_911(
            Call911(caller="Jane", location="Route 68", meta_data={"x": "1.5"})
        )
        listed = await cad.get_calls(call_type=CallType.EMERGENCY)
        await cad.remove_911(call_id)
        after = await cad.get_calls(call_type=CallType.EMERGENCY)
    assert [(c.call_id, c.caller, c.meta_data) for c in listed.emergency_calls] == [
        (call_id, "Jane", {"x": "1.5"})
    ]
    assert after.emergency_calls == ()
    assert [kind for kind, _, _ in both.core.state.log] == ["CALL_911", "REMOVE_911"]


@VERSIONS
async def test_dispatch_created_edited_closed(both: Both, api_version: int) -> None:
    async with both.client(api_version) as cad:
        call_id = await cad.new_dispatch(NewDispatch(title="Stop", priority=2, postal="100"))
        await cad.edit_dispatch(DispatchEdit(call_id=call_id, title="Felony stop"))
        active = await cad.get_calls(call_type=CallType.DISPATCH)
        await cad.close_call(call_id)
        closed = await cad.get_calls(call_type=CallType.DISPATCH)
    assert [(c.call_id, c.title, c.priority, c.postal) for c in active.active_calls] == [
        (call_id, "Felony stop", 2, "100")
    ]
    assert closed.active_calls == ()
    assert [c.call_id for c in closed.closed_calls] == [call_id]
    if api_version == 2:
        assert closed.closed_call_count == 1
    else:
        assert closed.closed_call_count is None


@VERSIONS
async def test_unknown_ids_and_servers_are_the_same_errors(both: Both, api_version: int) -> None:
    async with both.client(api_version) as cad:
        with pytest.raises(CallNotFoundError):
            await cad.remove_911(999)
        with pytest.raises(CallNotFoundError):
            await cad.edit_dispatch(DispatchEdit(call_id=999, title="x"))
        with pytest.raises(ServerNotFoundError):
            await cad.call_911(Call911(caller="A", location="B", server_id=7))
        with pytest.raises(ServerNotFoundError):
            await cad.get_calls(server_id=7)
    assert both.core.state.log == []


@VERSIONS
async def test_a_wrong_key_stops_the_client(both: Both, api_version: int) -> None:
    cad = SonoranClient(
        "demo", "wrong-key", base_url=both.url, rate_limit=None, api_version=api_version
    )
    async with cad:
        with pytest.raises(InvalidApiKeyError) as caught:
            await cad.call_911(Call911(caller="A", location="B"))
        assert cad.state is ClientState.FAILED
    assert "wrong-key" not in str(caught.value)
    assert both.core.state.log == []


@VERSIONS
async def test_an_endpoint_above_the_plan(both: Both, api_version: int) -> None:
    both.core.set_plan("STANDARD")
    async with both.client(api_version) as cad:
        with pytest.raises(EndpointNotEnabledError):
            await cad.new_dispatch(NewDispatch(title="T"))
        assert await cad.call_911(Call911(caller="A", location="B")) == 1


async def test_a_call_created_through_v1_is_closed_through_v2(both: Both) -> None:
    async with both.client(1) as v1, both.client(2) as v2:
        call_id = await v1.new_dispatch(NewDispatch(title="Fire"))
        seen = await v2.get_calls()
        await v2.close_call(call_id)
        closed = await v1.get_calls()
    assert [c.call_id for c in seen.active_calls] == [call_id]
    assert [c.call_id for c in closed.closed_calls] == [call_id]


async def test_v2_closes_coalesce_into_one_request(both: Both) -> None:
    async with both.client(1) as v1, both.client(2) as v2:
        ids = await asyncio.gather(*(v1.new_dispatch(NewDispatch(title=f"{n}")) for n in range(5)))
        await asyncio.gather(*(v2.close_call(i) for i in ids))
        stats = v2.stats
    assert both.api.requests["closeDispatchCalls"] == 1
    assert stats.batch_sizes == {5: 1}
    assert sorted(cid for kind, cid, _ in both.core.state.log if kind == "CLOSE_CALL") == ids


async def test_v2_close_proves_each_id_on_its_own(both: Both) -> None:
    """The reply names the ids it closed; a caller whose id it leaves out is not told
    its call was closed."""
    async with both.client(1) as v1, both.client(2) as v2:
        real = await v1.new_dispatch(NewDispatch(title="real"))
        futures = [await v2.submit(CloseCall(call_id=i)) for i in (real, 404)]
        results = await asyncio.gather(*futures, return_exceptions=True)
    assert results[0] is None
    assert isinstance(results[1], ProtocolError)
    assert both.api.requests["closeDispatchCalls"] == 1


async def test_v2_closes_for_other_servers_go_in_requests_of_their_own(both: Both) -> None:
    both.core.server_ids = frozenset({1, 2})
    async with both.client(1) as v1, both.client(2) as v2:
        one = await v1.new_dispatch(NewDispatch(title="a", server_id=1))
        two = await v1.new_dispatch(NewDispatch(title="b", server_id=2))
        await asyncio.gather(v2.close_call(one), v2.close_call(two, server_id=2))
    assert both.api.requests["closeDispatchCalls"] == 2
    assert [cid for kind, cid, _ in both.core.state.log if kind == "CLOSE_CALL"] == [one, two]


async def test_v2_other_operations_send_one_object_per_request(both: Both) -> None:
    async with both.client(2) as cad:
        await asyncio.gather(
            *(cad.call_911(Call911(caller=f"{n}", location="x")) for n in range(4))
        )
        sizes = cad.stats.batch_sizes
    assert sizes == {1: 4}
    assert both.api.requests["create911Call"] == 4


async def test_v2_update_metadata_replaces(both: Both) -> None:
    async with both.client(2) as cad:
        call_id = await cad.new_dispatch(NewDispatch(title="T", meta_data={"a": "1", "b": "2"}))
        await cad.edit_dispatch(DispatchEdit(call_id=call_id, meta_data={"b": "3"}))
        snapshot = await cad.get_calls()
    assert snapshot.active_calls[0].meta_data == {"b": "3"}


async def test_v2_refuses_units_by_api_id_at_the_call_site(both: Both) -> None:
    async with both.client(2) as cad:
        with pytest.raises(ValidationError) as caught:
            await cad.new_dispatch(NewDispatch(title="T", units=("api-1",)))
    assert caught.value.field == "units"
    assert both.api.requests == {}


async def test_a_v2_close_error_for_several_ids_resends_each_and_keeps_batching(
    both: Both,
) -> None:
    async with both.client(1) as v1, both.client(2) as v2:
        results = await asyncio.gather(
            *(v2.close_call(i) for i in (901, 902)), return_exceptions=True
        )
        real = await asyncio.gather(*(v1.new_dispatch(NewDispatch(title=f"{n}")) for n in range(3)))
        await asyncio.gather(*(v2.close_call(i) for i in real))
        stats = v2.stats
    assert [type(r) for r in results] == [CallNotFoundError, CallNotFoundError]
    assert stats.fallback_lanes == ()
    assert stats.batch_sizes[3] == 1

from __future__ import annotations

from sonoran_async import Call911, CallType, DispatchEdit, NewDispatch

from .conftest import Both


async def test_smoke(both: Both) -> None:
    async with both.client(2) as cad:
        cid = await cad.call_911(Call911(caller="A", location="B"))
        did = await cad.new_dispatch(NewDispatch(title="T", priority=2))
        await cad.edit_dispatch(DispatchEdit(call_id=did, title="U", meta_data={"x": "1"}))
        snap = await cad.get_calls(call_type=CallType.ALL)
        await cad.close_call(did)
        await cad.remove_911(cid)
    print(snap, both.api.requests)
    assert snap.closed_call_count == 0

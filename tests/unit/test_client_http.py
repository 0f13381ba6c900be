"""SonoranClient over AiohttpTransport, with aioresponses standing in for the API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import pytest
from aioresponses import aioresponses
from yarl import URL

from sonoran_async import (
    ApiError,
    Call911,
    CallNotFoundError,
    CallsSnapshot,
    CallStatus,
    CallType,
    DispatchCall,
    DispatchEdit,
    EmergencyCall,
    EndpointNotEnabledError,
    InvalidApiKeyError,
    MissingEditableFieldsError,
    NewDispatch,
    Origin,
    OutcomeUnknownError,
    ProtocolError,
    RetryPolicy,
    ServerNotFoundError,
    SonoranClient,
    ValidationError,
)

BASE = "https://api.sonorancad.com"
KEY = "SECRET-API-KEY"


def _calls(mock: aioresponses) -> dict[Any, Any]:
    """The recorded requests (aioresponses types them as optional)."""
    assert mock.requests is not None
    return mock.requests


def url(kind: str) -> str:
    return f"{BASE}/emergency/{kind}"


def sent(m: aioresponses, kind: str) -> list[dict[str, Any]]:
    """The decoded bodies POSTed to one endpoint, in order."""
    return [orjson.loads(c.kwargs["data"]) for c in _calls(m).get(("POST", URL(url(kind))), [])]


@pytest.fixture
async def client() -> AsyncIterator[SonoranClient]:
    cad = SonoranClient(
        "community", KEY, base_url=BASE, rate_limit=None, retry=RetryPolicy(max_attempts=1)
    )
    yield cad
    await cad.aclose()


CALL = Call911(caller="John Doe", location="1234 E. Test St.", description="Break-in")


async def test_call_911_posts_the_documented_envelope(
    mocked: aioresponses, client: SonoranClient
) -> None:
    mocked.post(url("call_911"), status=200, body="EMERGENCY CALL ADDED ID: 1234")
    assert await client.call_911(CALL) == 1234
    (call,) = _calls(mocked)[("POST", URL(url("call_911")))]
    assert call.kwargs["headers"]["Content-Type"] == "application/json"
    assert orjson.loads(call.kwargs["data"]) == {
        "id": "community",
        "key": KEY,
        "type": "CALL_911",
        "data": [
            {
                "serverId": 1,
                "isEmergency": True,
                "caller": "John Doe",
                "location": "1234 E. Test St.",
                "description": "Break-in",
            }
        ],
    }


async def test_client_server_id_is_the_default(mocked: aioresponses) -> None:
    mocked.post(url("call_911"), status=200, body="EMERGENCY CALL ADDED ID: 1", repeat=True)
    async with SonoranClient("c", KEY, base_url=BASE, server_id=4, rate_limit=None) as cad:
        await cad.call_911(CALL)
    assert sent(mocked, "call_911")[0]["data"][0]["serverId"] == 4


@pytest.mark.parametrize(
    ("kind", "text", "cls"),
    [
        ("call_911", "INVALID REQUEST TYPE", ApiError),
        ("call_911", "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY", EndpointNotEnabledError),
        ("call_911", "Server not found with ID: 3", ServerNotFoundError),
        ("remove_911", "Call not found with ID: 9", CallNotFoundError),
        ("close_call", "ERROR: Call not found with ID: 9", CallNotFoundError),
        (
            "edit_dispatch",
            "ERROR: Missing editable dispatch fields. Provide at least one field to update.",
            MissingEditableFieldsError,
        ),
    ],
)
async def test_400_text_maps_to_error_for_the_caller(
    mocked: aioresponses, client: SonoranClient, kind: str, text: str, cls: type[ApiError]
) -> None:
    mocked.post(url(kind), status=400, body=text)
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "call_911": lambda: client.call_911(CALL),
        "remove_911": lambda: client.remove_911(9),
        "close_call": lambda: client.close_call(9),
        "edit_dispatch": lambda: client.edit_dispatch(DispatchEdit(call_id=9, meta_data={})),
    }
    with pytest.raises(cls) as info:
        await calls[kind]()
    assert (info.value.status, info.value.text) == (400, text)
    assert len(sent(mocked, kind)) == 1


async def test_invalid_key_is_fatal_and_later_calls_fail_fast(
    mocked: aioresponses, client: SonoranClient
) -> None:
    mocked.post(url("call_911"), status=400, body="INVALID API KEY", repeat=True)
    mocked.post(url("get_calls"), status=200, body="{}", repeat=True)
    with pytest.raises(InvalidApiKeyError):
        await client.call_911(CALL)
    with pytest.raises(InvalidApiKeyError):
        await client.get_calls()
    assert len(sent(mocked, "call_911")) == 1
    assert sent(mocked, "get_calls") == []


async def test_non_fatal_error_leaves_the_client_usable(
    mocked: aioresponses, client: SonoranClient
) -> None:
    mocked.post(url("remove_911"), status=400, body="Call not found with ID: 9")
    mocked.post(url("remove_911"), status=200, body="API ID(s) set!")
    with pytest.raises(CallNotFoundError):
        await client.remove_911(9)
    await client.remove_911(10)
    assert [b["data"] for b in sent(mocked, "remove_911")] == [
        [{"serverId": 1, "callId": 9}],
        [{"serverId": 1, "callId": 10}],
    ]


async def test_get_calls_json_with_unknown_keys_gives_snapshot(
    mocked: aioresponses, client: SonoranClient
) -> None:
    reply = {
        "activeCalls": [
            {
                "callId": 3,
                "origin": 2,
                "status": 1,
                "priority": 2,
                "title": "Stop",
                "idents": [4],
                "notes": [],
                "brandNewField": True,
            }
        ],
        "emergencyCalls": [
            {
                "callId": 8,
                "isEmergency": False,
                "caller": "Jo",
                "location": "Here",
                "description": "Cat",
                "metaData": {"x": 1},
            }
        ],
        "closedCalls": [],
        "somethingElse": {"added": "later"},
    }
    mocked.post(url("get_calls"), status=200, body=orjson.dumps(reply))
    snap = await client.get_calls(closed_limit=20, call_type=CallType.EMERGENCY, server_id=2)
    assert isinstance(snap, CallsSnapshot)
    assert snap.active_calls == (
        DispatchCall(
            call_id=3,
            origin=Origin.OBSERVED,
            status=CallStatus.ACTIVE,
            priority=2,
            title="Stop",
            idents=(4,),
        ),
    )
    assert snap.emergency_calls == (
        EmergencyCall(
            call_id=8,
            is_emergency=False,
            caller="Jo",
            location="Here",
            description="Cat",
            meta_data={"x": 1},
        ),
    )
    assert snap.closed_calls == ()
    (body,) = sent(mocked, "get_calls")
    assert body["type"] == "GET_CALLS"
    assert body["data"] == [{"serverId": 2, "closedLimit": 20, "closedOffset": 0, "type": 1}]


async def test_get_calls_garbage_json_is_protocol_error(
    mocked: aioresponses, client: SonoranClient
) -> None:
    mocked.post(url("get_calls"), status=200, body="<html>oops</html>")
    with pytest.raises(ProtocolError):
        await client.get_calls()


@pytest.mark.parametrize("body", ["Backend Service Reached", "", "EMERGENCY CALL ADDED"])
async def test_garbage_200_to_call_911_is_outcome_unknown(
    mocked: aioresponses, client: SonoranClient, body: str
) -> None:
    # Sent, and the reply proves nothing either way: never a plain error for a create.
    mocked.post(url("call_911"), status=200, body=body)
    with pytest.raises(OutcomeUnknownError):
        await client.call_911(CALL)


async def test_new_dispatch_returns_id_and_sends_notes(
    mocked: aioresponses, client: SonoranClient
) -> None:
    mocked.post(url("new_dispatch"), status=200, body="NEW DISPATCH CREATED - ID: 77")
    assert await client.new_dispatch(NewDispatch(title="Stop", units=["u1"])) == 77
    (body,) = sent(mocked, "new_dispatch")
    assert body["type"] == "NEW_DISPATCH"
    assert body["data"][0]["units"] == ["u1"]
    assert body["data"][0]["title"] == "Stop"


async def test_edit_and_close_acks_ignore_the_text(
    mocked: aioresponses, client: SonoranClient
) -> None:
    mocked.post(url("edit_dispatch"), status=200, body="DISPATCH CALL 5 UPDATED")
    mocked.post(url("close_call"), status=200, body="UNITS ATTACHED")
    await client.edit_dispatch(DispatchEdit(call_id=5, title="Felony Stop"))
    await client.close_call(5)
    assert sent(mocked, "edit_dispatch")[0]["data"] == [
        {"serverId": 1, "callId": 5, "title": "Felony Stop"}
    ]
    assert sent(mocked, "close_call")[0]["data"] == [{"serverId": 1, "callId": 5}]


async def test_timeout_on_create_is_outcome_unknown_and_not_resent(mocked: aioresponses) -> None:
    mocked.post(url("call_911"), exception=TimeoutError(), repeat=True)
    async with SonoranClient("c", KEY, base_url=BASE, rate_limit=None) as cad:
        with pytest.raises(OutcomeUnknownError):
            await cad.call_911(CALL)
    assert len(sent(mocked, "call_911")) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_calls(closed_limit=0),
        lambda c: c.get_calls(closed_limit=101),
        lambda c: c.get_calls(closed_offset=-1),
        lambda c: c.get_calls(call_type=5),
        lambda c: c.remove_911(-1),
        lambda c: c.close_call("5"),
        lambda c: c.remove_911(True),
    ],
)
async def test_bad_input_fails_before_anything_is_sent(
    mocked: aioresponses, client: SonoranClient, call: Any
) -> None:
    with pytest.raises(ValidationError):
        await call(client)
    assert _calls(mocked) == {}
    assert client.stats.pending == 0


async def test_wrong_model_type_is_a_type_error(client: SonoranClient) -> None:
    with pytest.raises(TypeError):
        await client.call_911(NewDispatch(title="x"))  # type: ignore[arg-type]

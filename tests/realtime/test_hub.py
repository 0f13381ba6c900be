"""The emulator's `/apiWsHub`: the documented methods, limits and error texts."""

from __future__ import annotations

import aiohttp
import pytest

from sonoran_async.emulator import Emulator

from .conftest import RS, RawHub

UPDATE = {"apiId": "A1", "location": "Route 68", "coordinates": {"x": 1, "y": 2, "z": 3, "w": 4}}


class Ticker:
    """The hub's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_authenticate_then_unit_locations_land_in_the_state(
    emu: Emulator, raw: RawHub
) -> None:
    assert await raw.invoke("unitLocation", [UPDATE]) == {
        "success": False,
        "error": "Unauthenticated. Call authenticate first.",
        "count": 0,
    }
    reply = await raw.invoke("authenticatev2", "hub-community", "hub-key", 2)
    assert reply == {"success": True, "error": None, "count": 1}
    assert await raw.invoke("unitLocation", [UPDATE]) == {
        "success": True,
        "error": None,
        "count": 1,
    }
    assert emu.state.units["A1"] == UPDATE
    assert emu.hub.listening(2) == 1 and emu.hub.listening(1) == 0


async def test_the_older_authenticate_and_a_socket_without_server(
    emu: Emulator, raw: RawHub
) -> None:
    assert (await raw.invoke("AUTHENTICATE", "hub-community", "hub-key"))["success"] is True
    assert emu.hub.listening(1) == 0  # no serverId: no push destination
    assert (await raw.invoke("unitLocation", [UPDATE]))["success"] is True


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (("other", "hub-key", 1), "INVALID COMMUNITY ID"),
        (("hub-community", "wrong", 1), "INVALID API KEY"),
        (("hub-community", "hub-key", 9), "INVALID SERVER ID"),
    ],
)
async def test_refused_authentication(
    emu: Emulator, raw: RawHub, arguments: tuple[object, ...], error: str
) -> None:
    assert await raw.invoke("authenticatev2", *arguments) == {
        "success": False,
        "error": error,
        "count": 0,
    }
    assert emu.hub.stats.auth_refused == 1


async def test_refuse_auth_switch(emu: Emulator, raw: RawHub) -> None:
    emu.hub.refuse_auth = True
    reply = await raw.invoke("authenticatev2", "hub-community", "hub-key", 1)
    assert reply["success"] is False


async def test_documented_unit_location_errors(emu: Emulator, raw: RawHub) -> None:
    tick = Ticker()
    emu.hub.clock = tick
    await raw.invoke("authenticatev2", "hub-community", "hub-key", 1)

    async def error(data: object) -> str:
        reply = await raw.invoke("unitLocation", data)
        assert reply["success"] is False and reply["count"] == 0
        return str(reply["error"])

    assert await error([]) == "Missing unit location updates."
    assert await error(None) == "Missing unit location updates."
    many = [{"apiId": f"u{i}", "location": "x"} for i in range(26)]
    assert await error(many) == "Too many unit updates in one call. Max is 25."
    invalid = "Each unit update requires identId, apiId, communityUserId, or roblox, and location."
    assert await error([{"apiId": "A1"}]) == invalid
    assert await error([{"location": "x", "peerId": "p"}]) == invalid
    assert (await raw.invoke("unitLocation", many[:25]))["count"] == 25
    tick.now += 0.199
    assert await error([UPDATE]) == "UNIT_LOCATION updates are limited to every 200ms."
    tick.now += 0.001
    assert (await raw.invoke("unitLocation", [UPDATE]))["success"] is True
    stats = emu.hub.stats
    assert (stats.too_fast, stats.too_many, stats.max_batch, stats.location_calls) == (1, 1, 25, 2)
    assert stats.min_gap == pytest.approx(0.2)


async def test_every_target_kind_is_stored(emu: Emulator, raw: RawHub) -> None:
    await raw.invoke("authenticatev2", "hub-community", "hub-key", 1)
    updates = [
        {"identId": 42, "location": "a"},
        {"communityUserId": "player-1", "location": "b"},
        {"roblox": 123456789, "location": "c"},
    ]
    assert (await raw.invoke("unitLocation", updates))["count"] == 3
    units = emu.state.units
    assert units["identId:42"]["location"] == "a"
    assert units["communityUserId:player-1"]["location"] == "b"
    assert units["roblox:123456789"]["location"] == "c"


async def test_unknown_method_answers_a_completion_error(raw: RawHub) -> None:
    await raw.send({"type": 1, "invocationId": "9", "target": "nope", "arguments": []})
    reply = await raw.receive()
    assert reply["invocationId"] == "9" and "nope" in reply["error"]


async def test_api_changes_push_to_the_socket_and_not_to_push_url() -> None:
    async with Emulator("c", "k", push_url="http://127.0.0.1:9/sonorancad/event") as emu:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(emu.url + "/apiWsHub") as ws,
        ):
            await ws.send_str('{"protocol":"json","version":1}' + RS)
            await ws.receive(5)
            raw = RawHub(ws)
            assert (await raw.invoke("authenticatev2", "c", "k", 1))["success"] is True
            body = {
                "id": "c",
                "key": "k",
                "type": "CALL_911",
                "data": [
                    {
                        "serverId": 1,
                        "isEmergency": True,
                        "caller": "Jo",
                        "location": "L",
                        "description": "",
                        "metaData": {},
                    }
                ],
            }
            async with session.post(emu.url + "/emergency/call_911", json=body) as reply:
                assert reply.status == 200, await reply.text()
            pushed = await raw.receive()
            assert pushed["target"] == "pushEvent"
            payload = pushed["arguments"][0]
            assert payload["type"] == "EVENT_911" and payload["data"]["call"]["caller"] == "Jo"
        assert emu.stats.pushed == 0 and emu.stats.push_failed == 0  # HTTP was skipped


async def test_switches_drop_silence_and_not_accepting(emu: Emulator, raw: RawHub) -> None:
    await raw.invoke("authenticatev2", "hub-community", "hub-key", 1)
    assert emu.hub.silence() == 1
    await raw.send(
        {"type": 1, "invocationId": "5", "target": "unitLocation", "arguments": [[UPDATE]]}
    )
    with pytest.raises(TimeoutError):
        await raw.ws.receive(0.3)
    assert emu.hub.drop() == 1
    msg = await raw.ws.receive(5)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    emu.hub.accepting = False
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(emu.url + "/apiWsHub")

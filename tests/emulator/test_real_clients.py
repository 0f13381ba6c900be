"""Every body Sonoran's own Lua and JS clients send (tests/fixtures/real_clients.yaml),
replayed against the emulator, and Sonoran.js's setup as that SDK reads the replies."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import orjson
import pytest

from sonoran_async.emulator import PLANS
from sonoran_async.emulator._handlers import HANDLERS
from sonoran_async.testing import EmulatorFactory
from tests.fixtures.replay import Fixture, load_fixtures, replay

FIXTURES = load_fixtures()


@pytest.fixture
async def session() -> Any:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
async def test_fixture_replays(
    sonoran_emulator_factory: EmulatorFactory,
    session: aiohttp.ClientSession,
    fixture: Fixture,
) -> None:
    emu = await sonoran_emulator_factory(**fixture.emulator)
    outcome = await replay(
        session, emu.url, fixture, community_id=emu.core.community_id, api_key=emu.core.api_key
    )
    assert outcome.ok, (fixture.client, outcome)
    assert outcome.status < 500 and emu.stats.refused == 0


def test_fixtures_cover_every_endpoint_and_both_clients() -> None:
    assert {f.request_type for f in FIXTURES} == set(HANDLERS)
    assert len({f.name for f in FIXTURES}) == len(FIXTURES)
    clients = " ".join(f.client for f in FIXTURES)
    for source in ("LuaInt", "FiveM", "Sonoran.js", "docs"):
        assert source in clients


def _sent_objects(fixture: Fixture) -> list[Any]:
    data = fixture.body["data"]
    return [o for item in data for o in (item if isinstance(item, list) else [item])]


CREATES = [f for f in FIXTURES if f.request_type in ("CALL_911", "NEW_DISPATCH") and not f.setup]


@pytest.mark.parametrize("fixture", CREATES, ids=[f.name for f in CREATES])
async def test_metadata_is_stored_as_sent(
    sonoran_emulator: Any, session: aiohttp.ClientSession, fixture: Fixture
) -> None:
    outcome = await replay(
        session, sonoran_emulator.url, fixture, community_id="demo", api_key="demo-key"
    )
    assert outcome.ok, outcome
    call_id = int(outcome.text.rsplit(" ", 1)[1])
    calls = sonoran_emulator.state.emergency_calls | sonoran_emulator.state.dispatch_calls
    (sent,) = _sent_objects(fixture)
    assert calls[call_id].get("metaData") == sent.get("metaData")
    assert sonoran_emulator.state.log[-1][2] == sent  # the log keeps the object as received


async def test_unit_locations_of_both_clients_are_stored(
    sonoran_emulator: Any, session: aiohttp.ClientSession
) -> None:
    for fixture in FIXTURES:
        if fixture.request_type == "UNIT_LOCATION":
            outcome = await replay(
                session, sonoran_emulator.url, fixture, community_id="demo", api_key="demo-key"
            )
            assert outcome.ok, outcome
            for sent in _sent_objects(fixture):
                assert sonoran_emulator.state.units[sent["apiId"]]["location"] == sent["location"]


async def test_a_wrong_expectation_is_reported(
    sonoran_emulator_factory: EmulatorFactory, session: aiohttp.ClientSession
) -> None:
    """The replay can fail: the Lua GET_VERSION fixture expects PRO's 4."""
    (fixture,) = [f for f in FIXTURES if f.name == "lua-get-version"]
    emu = await sonoran_emulator_factory(plan="PLUS")
    outcome = await replay(session, emu.url, fixture, community_id="demo", api_key="demo-key")
    assert outcome.problems == ("text '3', expected '4'",)


# --- Sonoran.js's setup: GET_VERSION, then GET_SERVERS, read the way the SDK reads them ---


def js_parse_int(text: str) -> float:
    """JavaScript's parseInt(text) (base 10): leading digits after whitespace and a sign;
    NaN when there are none."""
    found = re.match(r"\s*([+-]?\d+)", text)
    return int(found.group(1)) if found else float("nan")


def js_body(text: str, content_type: str) -> Any:
    """SequentialHandler: JSON only when the reply's Content-Type says so, else the text."""
    return orjson.loads(text) if content_type.startswith("application/json") else text


async def sonoran_js_setup(
    session: aiohttp.ClientSession, url: str
) -> tuple[float, list[Any] | None]:
    """CADManager.buildManager: the version, and the server ids the server manager caches
    (None: no server manager, below STANDARD)."""
    headers = {"Accept": "application/json", "Content-Type": "application/json"}

    async def request(path: str, request_type: str) -> Any:
        body = {"id": "demo", "key": "demo-key", "type": request_type, "data": []}
        async with session.post(f"{url}/{path}", data=orjson.dumps(body), headers=headers) as r:
            assert 200 <= r.status < 300, (r.status, await r.text())
            return js_body(await r.text(), r.headers.get("Content-Type", ""))

    reply = await request("general/get_version", "GET_VERSION")
    assert isinstance(reply, str)  # versionResp.replace(...) needs a string
    leading = re.fullmatch(r"(\d+)(.+)", reply)  # replace(/(^\d+)(.+$)/i, '$1')
    version = js_parse_int(leading.group(1) if leading else reply)
    if not version >= 2:  # CADSubscriptionVersionEnum.STANDARD
        return version, None
    servers_reply = await request("general/get_servers", "GET_SERVERS")
    parsed = orjson.loads(servers_reply) if isinstance(servers_reply, str) else servers_reply
    servers = parsed.get("servers") if isinstance(parsed, dict) else None
    return version, [server["id"] for server in servers] if isinstance(servers, list) else []


@pytest.mark.parametrize("plan", ["FREE", "STARTER", "STANDARD", "PLUS", "PRO", "SONORAN ONE"])
async def test_sonoran_js_gets_through_its_setup(
    sonoran_emulator_factory: EmulatorFactory, session: aiohttp.ClientSession, plan: str
) -> None:
    emu = await sonoran_emulator_factory(plan=plan, server_ids=(1, 2, 7))
    version, server_ids = await sonoran_js_setup(session, emu.url)
    assert version == PLANS[plan]
    if PLANS[plan] >= 2:
        assert server_ids == [1, 2, 7]
        assert emu.stats.per_type == {"GET_VERSION": 1, "GET_SERVERS": 1}
    else:
        assert server_ids is None and emu.stats.per_type == {"GET_VERSION": 1}


@pytest.mark.parametrize("plan", list(PLANS))
async def test_lua_reads_the_plan_from_the_first_character(
    sonoran_emulator_factory: EmulatorFactory, session: aiohttp.ClientSession, plan: str
) -> None:
    (fixture,) = [f for f in FIXTURES if f.name == "lua-get-version"]
    emu = await sonoran_emulator_factory(plan=plan)
    outcome = await replay(session, emu.url, fixture, community_id="demo", api_key="demo-key")
    assert outcome.status == 200 and int(outcome.text[0]) == PLANS[plan]  # tonumber(sub(1,1))

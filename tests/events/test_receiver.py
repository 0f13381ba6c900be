"""EventReceiver over real HTTP: the key, the shapes of `data`, every documented event,
junk, and handlers that fail, hang or pile up."""

from __future__ import annotations

import asyncio
import gzip
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import orjson
import pytest
from aiohttp import web

from sonoran_async.events import (
    EVENT_TYPES,
    Event911,
    EventReceiver,
    EventRemove911,
    PushEvent,
    UnknownEvent,
)

from .conftest import KEY, Listener, serving
from .payloads import DOCUMENTED

CALL = {"callId": 7, "isEmergency": True, "caller": "A", "location": "B", "description": "C"}


async def test_the_key_matches_in_another_case(listener: Listener) -> None:
    assert await listener.push("EVENT_911", {"call": CALL}, key=KEY.lower()) == (200, "ok")
    assert await listener.push("EVENT_911", {"call": CALL}, key=KEY.upper()) == (200, "ok")
    await listener.settle()
    assert [type(e) for e in listener.seen] == [Event911, Event911]


@pytest.mark.parametrize(
    "key", ["Sonoran-API-Key-124", "", None, 123, ["Sonoran-API-Key-123"], KEY + " "]
)
async def test_a_wrong_or_missing_key_is_401_and_never_logged(
    listener: Listener, caplog: pytest.LogCaptureFixture, key: object
) -> None:
    caplog.set_level(logging.DEBUG)
    status, text = await listener.push("EVENT_911", {"call": CALL}, key=key)
    await listener.settle()
    assert (status, text) == (401, "invalid key")
    assert listener.seen == [] and listener.receiver.stats.refused_key == 1
    assert "wrong or missing key" in caplog.text
    for secret in (KEY, KEY.lower(), "Sonoran-API-Key-124"):
        assert secret not in caplog.text
    assert KEY not in repr(listener.receiver)


async def test_data_as_an_object_an_array_or_several(listener: Listener) -> None:
    await listener.push("EVENT_911", {"call": CALL})
    await listener.push("EVENT_911", [{"call": CALL}])
    await listener.push("EVENT_REMOVE_911", [{"callIds": [1]}, {"callIds": [2, 3]}])
    await listener.push("EVENT_REMOVE_911", [])
    await listener.settle()
    calls = [e.call for e in listener.seen if isinstance(e, Event911)]
    assert [c.call_id if c else None for c in calls] == [7, 7]
    removed = [e.call_ids for e in listener.seen if isinstance(e, EventRemove911)]
    assert removed == [(1,), (2, 3)]


@pytest.mark.parametrize("event_type", sorted(DOCUMENTED))
async def test_every_documented_event_is_read_from_its_page(
    listener: Listener, event_type: str
) -> None:
    model, data, holds = DOCUMENTED[event_type]
    assert await listener.push(event_type, data) == (200, "ok")
    await listener.settle()
    (event,) = listener.seen
    assert type(event) is model and event_type == model.TYPE
    assert holds(event), event
    assert event.raw == (data[0] if isinstance(data, list) else data)


def test_every_modelled_type_has_its_page_example() -> None:
    assert set(EVENT_TYPES) == set(DOCUMENTED)


async def test_the_type_matches_in_any_case_and_extra_fields_stay_raw(listener: Listener) -> None:
    await listener.push("event_remove_911", {"callIds": [4], "reason": "duplicate"})
    await listener.settle()
    (event,) = listener.seen
    assert isinstance(event, EventRemove911) and event.call_ids == (4,)
    assert event.raw["reason"] == "duplicate"


async def test_an_unknown_type_is_kept_raw(listener: Listener) -> None:
    assert await listener.push("EVENT_SOMETHING_NEW", {"x": [1, 2]}) == (200, "ok")
    assert await listener.push("EVENT_SOMETHING_NEW", ["text", 5]) == (200, "ok")
    await listener.settle()
    first, second, third = listener.seen
    assert first == UnknownEvent(type="EVENT_SOMETHING_NEW", data={"x": [1, 2]})
    assert first.raw == {"x": [1, 2]}
    assert (second.data, third.data) == ("text", 5)  # type: ignore[attr-defined]
    assert listener.receiver.stats.unknown == 3


async def test_fields_of_the_wrong_type_become_none(listener: Listener) -> None:
    junk = {"call": "not a call", "apiIds": 5, "communityUserId": ["x"], "metaData": 3}
    await listener.push("EVENT_911", junk)
    await listener.push("EVENT_911", {"call": {**CALL, "callId": "seven"}})
    await listener.push("EVENT_UNIT_STATUS", {"identIds": ["a"], "status": 99})
    await listener.push("EVENT_911", "no object")
    await listener.settle()
    bad, no_id, status, not_object = listener.seen
    assert bad == Event911(api_ids=("5",)) and bad.raw == junk
    assert isinstance(no_id, Event911) and no_id.call is None
    assert status.ident_ids is None and status.status == 99  # type: ignore[attr-defined]
    assert isinstance(not_object, UnknownEvent) and not_object.data == "no object"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"{not json", "not JSON"),
        (b"", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'"EVENT_911"', "not a JSON object"),
        (b"null", "not a JSON object"),
        (b'{"key": "' + KEY.encode() + b'", "data": {}}', "no type"),
        (b'{"key": "' + KEY.encode() + b'", "type": 5}', "no type"),
        (b"[" * 5000 + b"]" * 5000, "not JSON"),
    ],
)
async def test_junk_is_400(listener: Listener, body: bytes, why: str) -> None:
    assert await listener.post_bytes(body) == (400, f"bad request: {why}")
    assert listener.receiver.stats.malformed == 1


async def test_a_body_over_the_limit_is_413() -> None:
    receiver = EventReceiver(KEY, max_body=1000)
    big = orjson.dumps({"key": KEY, "type": "EVENT_911", "data": {"pad": "x" * 2000}})

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(big), 100):
            yield big[i : i + 100]

    async with serving(receiver.make_app()) as url, aiohttp.ClientSession() as session:
        async with session.post(url + receiver.path, data=big) as reply:
            assert reply.status == 413
        async with session.post(url + receiver.path, data=chunks()) as reply:  # no length
            assert reply.status == 413
        packed = gzip.compress(big)  # small on the wire, too large once unpacked
        headers = {"Content-Encoding": "gzip"}
        async with session.post(url + receiver.path, data=packed, headers=headers) as reply:
            assert (len(packed) < 1000, reply.status) == (True, 413)
        async with session.get(url + receiver.path) as reply:
            assert reply.status == 405
    assert receiver.stats.malformed == 3


async def test_a_failing_handler_is_logged_and_the_reply_is_200(
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver = EventReceiver(KEY)
    after: list[int] = []

    @receiver.on(EventRemove911)
    async def broken(event: EventRemove911) -> None:
        raise RuntimeError("handler bug")

    @receiver.on(EventRemove911)
    async def fine(event: EventRemove911) -> None:
        after.extend(event.call_ids or ())

    caplog.set_level(logging.DEBUG)
    async with serving(receiver.make_app()) as url, aiohttp.ClientSession() as session:
        listener = Listener(receiver, url, session)
        assert await listener.push("EVENT_REMOVE_911", {"callIds": [9]}) == (200, "ok")
        await listener.settle()
    assert after == [9] and receiver.stats.handler_errors == 1
    assert "handler bug" in caplog.text and "broken" in caplog.text
    assert KEY not in caplog.text


async def test_the_reply_does_not_wait_for_a_slow_handler() -> None:
    receiver = EventReceiver(KEY)
    release = asyncio.Event()
    finished: list[int] = []

    @receiver.on(Event911)
    async def slow(event: Event911) -> None:
        await release.wait()
        finished.append(event.call.call_id if event.call else -1)

    async with serving(receiver.make_app()) as url, aiohttp.ClientSession() as session:
        listener = Listener(receiver, url, session)
        # bounded: a reply that waited for the handler would never come
        answer = await asyncio.wait_for(listener.push("EVENT_911", {"call": CALL}), timeout=10)
        assert answer == (200, "ok")
        assert (finished, receiver.in_flight) == ([], 1)
        release.set()
        await listener.settle()
    assert (finished, receiver.in_flight) == ([7], 0)


async def test_handlers_past_the_bound_get_503_and_cleanup_cancels_the_hung() -> None:
    receiver = EventReceiver(KEY, max_in_flight=1, close_timeout=0)
    outcomes: list[str] = []

    @receiver.on(Event911)
    async def hangs(event: Event911) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            outcomes.append("cancelled")
            raise

    async with serving(receiver.make_app()) as url, aiohttp.ClientSession() as session:
        listener = Listener(receiver, url, session)
        assert await listener.push("EVENT_911", {"call": CALL}) == (200, "ok")
        assert await listener.push("EVENT_911", {"call": CALL}) == (503, "busy")
        assert await listener.push("EVENT_UNIT_LOGOUT", {"identId": 1}) == (200, "ok")  # no handler
    assert outcomes == ["cancelled"] and receiver.in_flight == 0
    assert (receiver.stats.busy, receiver.stats.pushes) == (1, 2)


async def test_mounted_in_an_existing_app_and_as_a_sub_app() -> None:
    seen: list[PushEvent] = []

    async def game(request: web.Request) -> web.Response:
        return web.Response(text="game")

    app = web.Application()
    app.router.add_get("/game", game)
    direct = EventReceiver(KEY)
    direct.add_to(app)
    mounted = EventReceiver(KEY, path="/event")
    app.add_subapp("/other", mounted.make_app())
    for receiver in (direct, mounted):
        receiver.on(EventRemove911)(_collect(seen))
    async with serving(app) as url, aiohttp.ClientSession() as session:
        body = orjson.dumps({"key": KEY, "type": "EVENT_REMOVE_911", "data": {"callIds": [1]}})
        for path in ("/sonorancad/event", "/other/event"):
            async with session.post(url + path, data=body) as reply:
                assert reply.status == 200
        async with session.get(url + "/game") as reply:
            assert await reply.text() == "game"
    assert len(seen) == 2  # both ran before the application's cleanup finished


def _collect(into: list[PushEvent]) -> Callable[[EventRemove911], Awaitable[None]]:
    async def collect(event: EventRemove911) -> None:
        into.append(event)

    return collect


async def test_a_handler_for_a_base_class_sees_its_subclasses() -> None:
    receiver = EventReceiver(KEY)
    seen: list[str] = []

    @receiver.on(PushEvent)
    async def every(event: PushEvent) -> None:
        seen.append(type(event).__name__)

    async with serving(receiver.make_app()) as url, aiohttp.ClientSession() as session:
        listener = Listener(receiver, url, session)
        await listener.push("EVENT_911", {"call": CALL})
        await listener.push("EVENT_NEW_THING", {})
        await listener.settle()
    assert sorted(seen) == ["Event911", "UnknownEvent"]


def test_a_handler_must_take_the_event_it_is_registered_for() -> None:
    receiver = EventReceiver(KEY)

    async def removed(event: EventRemove911) -> None: ...

    async def anything(event: PushEvent) -> None: ...

    receiver.on(EventRemove911)(removed)
    receiver.on(Event911)(anything)
    # mypy --strict (warn_unused_ignores) proves the next line is refused as typed
    receiver.on(Event911)(removed)  # type: ignore[arg-type]


def test_construction_is_checked() -> None:
    with pytest.raises(ValueError):
        EventReceiver("")
    with pytest.raises(ValueError):
        EventReceiver(KEY, path="event")
    with pytest.raises(ValueError):
        EventReceiver(KEY, max_in_flight=0)

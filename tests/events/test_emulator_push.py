"""The emulator pushes what the API changes to a listener, as Sonoran CAD does, and a
listener that is down, slow or refusing never touches the API's replies."""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket

import aiohttp
import pytest
from aiohttp import web

from sonoran_async import (
    AddCallNote,
    AttachUnits,
    Call911,
    DispatchEdit,
    NewDispatch,
    SonoranClient,
)
from sonoran_async.emulator import Emulator, EmulatorStats
from sonoran_async.emulator._cli import add_emulate_arguments
from sonoran_async.emulator._push import Pusher
from sonoran_async.emulator._state import CadState
from sonoran_async.events import (
    Event911,
    EventDispatchClosed,
    EventDispatchEdit,
    EventDispatchNew,
    EventDispatchNote,
    EventDispatchUnitAttach,
    EventReceiver,
    EventRemove911,
    PushEvent,
)

from .conftest import KEY, serving


class Collector:
    """A receiver that remembers events and tells when `expected` of them arrived."""

    def __init__(self, expected: int) -> None:
        self.receiver = EventReceiver(KEY)
        self.events: list[PushEvent] = []
        self.arrived = asyncio.Event()
        self.receiver.on_any(self._remember)
        self.expected = expected

    async def _remember(self, event: PushEvent) -> None:
        self.events.append(event)
        if len(self.events) >= self.expected:
            self.arrived.set()

    async def wait(self) -> list[PushEvent]:
        await asyncio.wait_for(self.arrived.wait(), timeout=10)
        return self.events


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_911_and_remove_are_pushed_with_the_key() -> None:
    collector = Collector(expected=2)
    async with serving(collector.receiver.make_app()) as url:
        push_url = url + collector.receiver.path
        async with Emulator("demo", KEY, push_url=push_url) as emu:
            async with SonoranClient("demo", KEY, base_url=emu.url) as cad:
                call = Call911(
                    caller="Jane", location="Route 68", description="Fire", meta_data={"x": 1}
                )
                call_id = await cad.call_911(call)
                await cad.remove_911(call_id)
            new, removed = await collector.wait()
        assert emu.stats.pushed == 2 and emu.stats.push_failed == 0
    assert isinstance(new, Event911) and new.call is not None
    assert (new.call.call_id, new.call.caller, new.call.location) == (call_id, "Jane", "Route 68")
    assert new.meta_data == {"x": 1} and new.api_ids is None
    assert isinstance(removed, EventRemove911) and removed.call_ids == (call_id,)


async def test_dispatch_changes_are_pushed_in_order() -> None:
    collector = Collector(expected=5)
    async with serving(collector.receiver.make_app()) as url:
        push_url = url + collector.receiver.path
        async with Emulator("demo", KEY, push_url=push_url) as emu:
            async with SonoranClient("demo", KEY, base_url=emu.url) as cad:
                call_id = await cad.new_dispatch(NewDispatch(title="Stop", priority=2))
                await cad.edit_dispatch(DispatchEdit(call_id=call_id, title="Felony stop"))
                await cad.add_call_note(AddCallNote(call_id=call_id, note="Suspect fled"))
                await cad.attach_units(AttachUnits(call_id=call_id, ident_ids=[4, 5]))
                await cad.close_call(call_id)
            events = await collector.wait()
    new, edit, note, attach, closed = events
    assert isinstance(new, EventDispatchNew) and new.dispatch is not None
    assert (new.dispatch.call_id, new.dispatch.title, new.dispatch.priority) == (call_id, "Stop", 2)
    assert isinstance(edit, EventDispatchEdit) and edit.dispatch is not None
    assert edit.dispatch.title == "Felony stop"
    assert isinstance(note, EventDispatchNote) and note.note is not None
    assert (note.call_id, note.note.content) == (call_id, "Suspect fled")
    assert isinstance(attach, EventDispatchUnitAttach)
    assert (attach.call_id, attach.idents) == (call_id, (4, 5))
    assert isinstance(closed, EventDispatchClosed) and closed.call_ids == (call_id,)


async def test_a_listener_that_is_down_does_not_touch_the_api(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    push_url = f"http://127.0.0.1:{_free_port()}/sonorancad/event"
    async with Emulator("demo", KEY, push_url=push_url) as emu:
        async with SonoranClient("demo", KEY, base_url=emu.url) as cad:
            call_id = await cad.call_911(Call911(caller="A", location="B"))
            await cad.remove_911(call_id)
        assert emu.state.log[0][:2] == ("CALL_911", call_id)
    # stop() let the queue drain: both pushes were tried and failed
    assert (emu.stats.pushed, emu.stats.push_failed, emu.stats.push_dropped) == (0, 2, 0)
    assert "push EVENT_911" in caplog.text and KEY not in caplog.text


async def test_a_hung_or_refusing_listener_does_not_delay_the_api() -> None:
    release = asyncio.Event()

    async def hung(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(status=401, text="error")

    app = web.Application()
    app.router.add_post("/sonorancad/event", hung)
    async with (
        serving(app) as url,
        Emulator("demo", KEY, push_url=url + "/sonorancad/event") as emu,
    ):
        async with SonoranClient("demo", KEY, base_url=emu.url) as cad:
            first = await cad.call_911(Call911(caller="A", location="B"))
            second = await cad.call_911(Call911(caller="C", location="D"))
        assert sorted(emu.state.emergency_calls) == [first, second]
        assert emu.stats.push_failed == 0  # the first push is still waiting
        release.set()
    assert (emu.stats.pushed, emu.stats.push_failed) == (0, 2)  # 401 is a failure


def test_a_full_push_queue_drops_and_counts() -> None:
    state, stats = CadState(), EmulatorStats()
    pusher = Pusher("http://127.0.0.1:9/event", KEY, state, stats, max_queue=1)
    pusher.notify("REMOVE_911", 1, {})
    pusher.notify("REMOVE_911", 2, {})
    pusher.notify("UNIT_LOCATION", 0, {})  # pushes nothing
    assert stats.push_dropped == 1
    assert KEY not in repr(pusher)


def test_push_url_is_checked() -> None:
    with pytest.raises(ValueError, match="push_url"):
        Emulator(push_url="ftp://example.com/x")
    parser = argparse.ArgumentParser()
    add_emulate_arguments(parser)
    assert parser.parse_args([]).push_url is None
    url = "http://127.0.0.1:30120/sonorancad/event"
    assert parser.parse_args(["--push-url", url]).push_url == url
    with pytest.raises(SystemExit):
        parser.parse_args(["--push-url", "not a url"])


async def test_no_push_url_no_session() -> None:
    async with Emulator() as emu, aiohttp.ClientSession() as session:
        async with session.get(emu.url + "/healthz") as reply:
            assert reply.status == 200
        assert emu.core.state.listeners == []

"""A game-server bridge for Sonoran CAD: game events in, CAD calls out; CAD events in.

The game server posts what happens in the game to this bridge; the bridge turns it into
API calls and tells the game honestly what became of them. Sonoran CAD pushes what
dispatchers do to the same server (`/sonorancad/event`), where handlers keep a live view.

    POST /game/911       {"caller", "location", "description"?, "x"?, "y"?, "postal"?}
        201 {"outcome": "created", "callId": n}
        422 {"outcome": "invalid", "field": ...}        nothing was sent
        502 {"outcome": "refused", "error": ...}        the CAD said no; nothing was created
        502 {"outcome": "unknown", "error": ...}        the call may exist: do not resend it
        503 {"outcome": "failed", "error": ...}         not created (e.g. the CAD unreachable)
    POST /game/position  {"apiId", "location"?, "x", "y"}
        200 {"outcome": "sent" | "superseded"}          (grouped for the batch window)
    GET  /game/calls     the 911 calls the CAD pushed and has not removed

Try it offline, with the emulator pushing its events back to the bridge:

    sonoran-async emulate --port 8080 --push-url http://127.0.0.1:30120/sonorancad/event
    python examples/game_bridge.py --cad-url http://127.0.0.1:8080 --port 30120
    curl -X POST localhost:30120/game/911 -d '{"caller": "Jane", "location": "Route 68"}'

With `--realtime` the bridge also keeps Sonoran's websocket open (`sonoran_async.realtime`):
positions go over it (a call every 250 ms; over HTTP while it is down) and the CAD pushes
its events down it first, to the same handlers, so the bridge needs no public port for them.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

import orjson
from aiohttp import web

from sonoran_async import (
    ApiError,
    Call911,
    Coordinates,
    EmergencyCall,
    OutcomeUnknownError,
    SonoranClient,
    SonoranError,
    UnitLocation,
    ValidationError,
)
from sonoran_async.events import (
    Event911,
    EventDispatchNew,
    EventReceiver,
    EventRemove911,
)
from sonoran_async.realtime import SonoranRealtime

log = logging.getLogger("game_bridge")

CAD: web.AppKey[SonoranClient] = web.AppKey("cad", SonoranClient)
RECEIVER: web.AppKey[EventReceiver] = web.AppKey("receiver", EventReceiver)
REALTIME: web.AppKey[SonoranRealtime] = web.AppKey("realtime", SonoranRealtime)
OPEN_911: web.AppKey[dict[int, EmergencyCall]] = web.AppKey("open_911", dict)


def _json(status: int, **body: Any) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


def _field(event: dict[str, Any], name: str, default: Any = None) -> Any:
    """A field of a game event as sent: the request models check its type."""
    return event.get(name, default)


async def _game_event(request: web.Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise web.HTTPBadRequest(text="not JSON") from None
    if type(body) is not dict:
        raise web.HTTPBadRequest(text="not a JSON object")
    return body


async def report_911(request: web.Request) -> web.Response:
    """A player called 911: create the call and answer with what is known of it."""
    event = await _game_event(request)
    # x and y place the call on the live map
    meta: dict[str, Any] = {k: event[k] for k in ("x", "y", "postal") if k in event}
    try:
        call = Call911(
            caller=_field(event, "caller"),
            location=_field(event, "location"),
            description=_field(event, "description", ""),
            meta_data=meta or None,
        )
        call_id = await request.app[CAD].call_911(call)
    except ValidationError as exc:
        return _json(422, outcome="invalid", field=exc.field, error=str(exc))
    except OutcomeUnknownError as exc:
        log.warning("a 911 call may or may not exist: %s", exc)
        return _json(502, outcome="unknown", error=str(exc))
    except ApiError as exc:
        return _json(502, outcome="refused", error=str(exc))
    except SonoranError as exc:
        return _json(503, outcome="failed", error=str(exc))
    return _json(201, outcome="created", callId=call_id)


async def report_position(request: web.Request) -> web.Response:
    """A unit moved: update its live-map position (grouped and conflated by the client, or
    by the websocket session when there is one)."""
    event = await _game_event(request)
    try:
        update = UnitLocation(
            api_id=_field(event, "apiId"),
            location=_field(event, "location", ""),
            coordinates=Coordinates(x=_field(event, "x"), y=_field(event, "y")),
        )
        realtime = request.app.get(REALTIME)
        sender = realtime if realtime is not None else request.app[CAD]
        result = await sender.unit_location(update)
    except ValidationError as exc:
        return _json(422, outcome="invalid", field=exc.field, error=str(exc))
    except SonoranError as exc:  # a position is resent by the game a few seconds later
        return _json(503, outcome="failed", error=str(exc))
    return _json(200, outcome=result.value)


async def list_calls(request: web.Request) -> web.Response:
    calls = request.app[OPEN_911].values()
    return _json(200, calls=[{"callId": c.call_id, "caller": c.caller} for c in calls])


def create_app(
    cad: SonoranClient,
    api_key: str,
    *,
    realtime: bool = False,
    community_id: str = "demo",
    cad_url: str = "https://api.sonorancad.com",
    server_id: int = 1,
) -> web.Application:
    """The bridge: the game's routes and the CAD's push-event listener in one app. With
    `realtime`, while the app runs it also holds a websocket session to `cad_url` for
    `server_id`: positions go over it, and pushed events reach the same handlers."""
    app = web.Application()
    app[CAD] = cad
    open_911: dict[int, EmergencyCall] = {}
    app[OPEN_911] = open_911
    app.router.add_post("/game/911", report_911)
    app.router.add_post("/game/position", report_position)
    app.router.add_get("/game/calls", list_calls)

    receiver = EventReceiver(api_key)
    app[RECEIVER] = receiver

    @receiver.on(Event911)
    async def new_911(event: Event911) -> None:
        if event.call is not None:
            open_911[event.call.call_id] = event.call
            log.info("CAD 911 call %d: %s", event.call.call_id, event.call.description)

    @receiver.on(EventRemove911)
    async def removed_911(event: EventRemove911) -> None:
        for call_id in event.call_ids or ():
            open_911.pop(call_id, None)

    @receiver.on(EventDispatchNew)
    async def new_dispatch(event: EventDispatchNew) -> None:
        if event.dispatch is not None:
            log.info("dispatch %d: %s", event.dispatch.call_id, event.dispatch.title)

    receiver.add_to(app)
    if realtime:

        async def socket(app: web.Application) -> AsyncIterator[None]:
            async with SonoranRealtime(
                community_id,
                api_key,
                base_url=cad_url,
                server_id=server_id,
                events=receiver,  # the handlers above, whichever way an event comes
                fallback=cad,  # positions over HTTP while the socket is down
            ) as session:
                app[REALTIME] = session
                yield

        app.cleanup_ctx.append(socket)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--cad-url", default="https://api.sonorancad.com")
    parser.add_argument("--community-id", default=os.environ.get("SONORAN_COMMUNITY_ID", "demo"))
    parser.add_argument("--port", type=int, default=30120)
    parser.add_argument(
        "--realtime", action="store_true", help="also use Sonoran's websocket (positions, events)"
    )
    parser.add_argument("--server-id", type=int, default=1)
    args = parser.parse_args()
    api_key = os.environ.get("SONORAN_API_KEY", "demo-key")
    logging.basicConfig(level=logging.INFO)

    async def app_factory() -> web.Application:
        cad = SonoranClient(args.community_id, api_key, base_url=args.cad_url)
        app = create_app(
            cad,
            api_key,
            realtime=args.realtime,
            community_id=args.community_id,
            cad_url=args.cad_url,
            server_id=args.server_id,
        )
        app.on_cleanup.append(lambda _: cad.aclose())
        return app

    web.run_app(app_factory(), port=args.port)


if __name__ == "__main__":
    main()

"""The emulated Sonoran CAD API as an aiohttp.web application: `create_app`.

Its routes, all entering through the one `EmulatorCore` (`_core.py`): `/healthz`, v2
(`_v2.py`, when the `emulator` extra is installed) and v1's `POST /{category}/{name}`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final, Unpack

from aiohttp import web

from . import _http
from ._core import EmulatorCore, EmulatorSettings
from ._hub import add_hub
from ._push import Pusher

CORE_KEY: Final = web.AppKey("sonoran_emulator_core", EmulatorCore)


def _serve_v2(app: web.Application, core: EmulatorCore, limits: Mapping[str, float] | None) -> None:
    """v2 on the same state, when the `emulator` extra (openapi-core, PyYAML) is installed."""
    try:  # deferred: the extra may be missing
        from ._live_v2 import live_v2_routes
        from ._v2 import add_v2_routes
    except ImportError:
        logging.getLogger("sonoran_async.emulator").info(
            "v2 is not served: pip install 'sonoran-async[emulator]' for it"
        )
        # A v2 client is refused at its first request, as by a community without the API
        # (a fatal error: it stops), with the one line that says what to install.
        app.router.add_route("*", "/v2/{tail:.*}", _no_v2)
        return
    api = add_v2_routes(app, core, limits=limits)
    app.router.add_routes(live_v2_routes(api, core))  # lookups and units (issue #25)


#: What a v2 request gets from an emulator installed without its extra.
NO_V2: Final = "v2 needs `pip install 'sonoran-async[emulator]'`"


async def _no_v2(request: web.Request) -> web.Response:
    detail = f"API IS NOT ENABLED FOR THIS COMMUNITY: this emulator serves no v2 ({NO_V2})"
    body = {"type": "about:blank", "title": "Forbidden", "status": 403, "detail": detail}
    return web.json_response(body, status=403, content_type="application/problem+json")


async def _healthz(request: web.Request) -> web.Response:
    return _http.text(200, "ok")


def create_app(
    community_id: str = "demo",
    api_key: str = "demo-key",
    *,
    v2_limits: Mapping[str, float] | None = None,
    push_url: str | None = None,
    **settings: Unpack[EmulatorSettings],
) -> web.Application:
    """An aiohttp application serving the emulated API (v1, and v2 on the same state);
    its core is `app[CORE_KEY]`. `v2_limits`: v2's per-operation limits in requests per
    minute (`emulator._v2.PUBLISHED_LIMITS` are the published ones); None: no limits.
    `push_url`: while the application runs, push the events of what the API changes there,
    as Sonoran CAD does (`_push.py`)."""
    core = EmulatorCore(community_id, api_key, **settings)
    # aiohttp's own Content-Encoding handling drops the connection after a body it cannot
    # decode; the emulator decodes bodies itself (`read_body`), with clear 4xx replies.
    app = web.Application(
        client_max_size=core.max_body_bytes, handler_args={"auto_decompress": False}
    )
    app[CORE_KEY] = core
    hub = add_hub(app, core)  # /apiWsHub: sockets get push events before push_url does
    if push_url is not None:
        pusher = Pusher(push_url, core.api_key, core.state, core.stats, skip=hub.takes)
        core.add_listener(pusher.notify)
        app.cleanup_ctx.append(pusher.running)
    app.router.add_get("/healthz", _healthz)
    _serve_v2(app, core, v2_limits)
    app.router.add_post(r"/{category:[A-Za-z0-9_\-]+}/{name:[A-Za-z0-9_\-]+}", core.handle)
    return app

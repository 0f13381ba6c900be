"""Sonoran CAD's websocket API: unit locations every 250 ms and push events with no open port.

```python
from sonoran_async.realtime import LiveCoordinates, LiveLocation, SonoranRealtime

async with SonoranRealtime(community_id, api_key, server_id=1, events=receiver) as rt:
    await rt.unit_location(
        LiveLocation(api_id="A1", location="Route 68", coordinates=LiveCoordinates(x=1, y=2))
    )
```

One SignalR connection (JSON hub protocol over a websocket, no negotiation) to
`/apiWsHub`, authenticated with `authenticatev2`. See `docs/guides/realtime.md`.
"""

from ._fallback import HttpFallback
from ._models import (
    ConnectionState,
    LiveCoordinates,
    LiveLocation,
    LocationRefusedError,
    RealtimeAuthError,
    RealtimeClosedError,
    RealtimeError,
    RealtimeStats,
)
from ._sending import MAX_UPDATES, MIN_INTERVAL
from ._session import DEFAULT_BASE_URL, HUB_PATH, SonoranRealtime

__all__ = [
    "DEFAULT_BASE_URL",
    "HUB_PATH",
    "MAX_UPDATES",
    "MIN_INTERVAL",
    "ConnectionState",
    "HttpFallback",
    "LiveCoordinates",
    "LiveLocation",
    "LocationRefusedError",
    "RealtimeAuthError",
    "RealtimeClosedError",
    "RealtimeError",
    "RealtimeStats",
    "SonoranRealtime",
]

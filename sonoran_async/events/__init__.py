"""Receive the events Sonoran CAD pushes to a game server.

```python
from sonoran_async.events import Event911, EventReceiver

receiver = EventReceiver(api_key)

@receiver.on(Event911)
async def on_911(event: Event911) -> None:
    print(event.call)

app.add_routes(...)          # your own aiohttp app
receiver.add_to(app)         # serves POST /sonorancad/event
```

Each documented event type has a frozen, leniently read model (`.raw` keeps the object as
received); anything else arrives as an `UnknownEvent`.
"""

from ._calls import (
    Event911,
    EventDispatchClosed,
    EventDispatchEdit,
    EventDispatchNew,
    EventDispatchNote,
    EventDispatchToggleBodycam,
    EventDispatchUnitAttach,
    EventDispatchUnitDetach,
    EventRemove911,
)
from ._models import PushEvent, UnknownEvent
from ._other import (
    EventCharSelected,
    EventCommunityLinkVerified,
    EventNewCallout,
    EventPagerReborn,
    EventRecordAdd,
    EventRecordEdit,
    EventRecordRemove,
    EventStationAlert,
    EventStreetsignUpdated,
    EventTone,
    SignData,
    StationLocation,
    ToneTarget,
    ToneTargetType,
)
from ._parse import EVENT_TYPES, parse_events
from ._receiver import DEFAULT_PATH, EventReceiver, Handler, ReceiverStats
from ._units import (
    EventUnitGroupAdd,
    EventUnitGroupChangeName,
    EventUnitGroupRemove,
    EventUnitLogin,
    EventUnitLogout,
    EventUnitPanic,
    EventUnitStatus,
    EventUnitUpdate,
    Unit,
    UnitData,
    UnitPage,
)

__all__ = [
    "DEFAULT_PATH",
    "EVENT_TYPES",
    "Event911",
    "EventCharSelected",
    "EventCommunityLinkVerified",
    "EventDispatchClosed",
    "EventDispatchEdit",
    "EventDispatchNew",
    "EventDispatchNote",
    "EventDispatchToggleBodycam",
    "EventDispatchUnitAttach",
    "EventDispatchUnitDetach",
    "EventNewCallout",
    "EventPagerReborn",
    "EventReceiver",
    "EventRecordAdd",
    "EventRecordEdit",
    "EventRecordRemove",
    "EventRemove911",
    "EventStationAlert",
    "EventStreetsignUpdated",
    "EventTone",
    "EventUnitGroupAdd",
    "EventUnitGroupChangeName",
    "EventUnitGroupRemove",
    "EventUnitLogin",
    "EventUnitLogout",
    "EventUnitPanic",
    "EventUnitStatus",
    "EventUnitUpdate",
    "Handler",
    "PushEvent",
    "ReceiverStats",
    "SignData",
    "StationLocation",
    "ToneTarget",
    "ToneTargetType",
    "Unit",
    "UnitData",
    "UnitPage",
    "UnknownEvent",
    "parse_events",
]

"""From a push's `type` and `data` to event models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs

from ._calls import CALL_EVENTS
from ._models import PushEvent, UnknownEvent, read
from ._other import OTHER_EVENTS, SignData, StationLocation, ToneTarget
from ._units import UNIT_EVENTS, Unit, UnitData

#: Every modelled push type -> its model.
EVENT_TYPES: Final[Mapping[str, type[PushEvent]]] = {
    cls.TYPE: cls for cls in (*CALL_EVENTS, *UNIT_EVENTS, *OTHER_EVENTS)
}

for _cls in (*EVENT_TYPES.values(), Unit, UnitData, SignData, StationLocation, ToneTarget):
    attrs.resolve_types(_cls)


def parse_events(event_type: str, data: Any) -> list[PushEvent]:
    """One event per object of `data`: Sonoran's pages print `data` as an array, its own
    listener reads it as one object; both are taken. A missing `data` reads as `{}`.

    The type is matched case-insensitively, as that listener does. An unknown type, or an
    element that is no object, becomes an `UnknownEvent` holding it as received.
    """
    elements = data if type(data) is list else [{} if data is None else data]
    model = EVENT_TYPES.get(event_type.strip().upper())
    events: list[PushEvent] = []
    for element in elements:
        if model is None or type(element) is not dict:
            raw = element if type(element) is dict else {}
            events.append(UnknownEvent(type=event_type, data=element, raw=raw))
        else:
            events.append(read(model, element))
    return events

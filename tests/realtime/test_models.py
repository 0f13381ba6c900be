"""The realtime models refuse bad input at the call site and put on the wire what was set."""

from __future__ import annotations

import math
import pickle
from typing import Any

import pytest

from sonoran_async import ValidationError
from sonoran_async.realtime import (
    LiveCoordinates,
    LiveLocation,
    LocationRefusedError,
    RealtimeAuthError,
)


@pytest.mark.parametrize("error", [RealtimeAuthError("bad key"), LocationRefusedError("no")])
def test_errors_survive_pickling_with_their_text(error: Exception) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), vars(copy)) == (type(error), str(error), vars(error))


@pytest.mark.parametrize("bad", [math.nan, -math.inf, True, "1"])
def test_coordinates_must_be_finite_numbers(bad: Any) -> None:
    with pytest.raises(ValidationError, match="x: expected a finite number"):
        LiveCoordinates(x=bad, y=0)
    with pytest.raises(ValidationError, match="w: expected a finite number"):
        LiveCoordinates(x=0, y=0, w=bad)
    with pytest.raises(ValidationError, match="y: expected a finite number"):
        LiveCoordinates(x=0, y=None)  # type: ignore[arg-type]  # only z and w are optional


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"location": None, "api_id": "S:1"}, "location"),
        ({"location": "x"}, "target"),
        ({"location": "x", "api_id": "S:1", "ident_id": 3}, "target"),
        ({"location": "x", "api_id": ""}, "target"),
        ({"location": "x", "ident_id": True}, "ident_id"),
        ({"location": "x", "ident_id": "3"}, "ident_id"),
        ({"location": "x", "api_id": "S:1", "vehicle": ["car"]}, "vehicle"),
    ],
)
def test_a_location_names_exactly_one_unit(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        LiveLocation(**fields)
    assert caught.value.field == field


def test_the_wire_form_carries_only_what_was_set() -> None:
    assert LiveLocation(roblox=42, location="Spawn").wire() == {"roblox": 42, "location": "Spawn"}
    full = LiveLocation(
        community_user_id="u-1",
        location="Route 68",
        coordinates=LiveCoordinates(x=1.5, y=2, z=3),
        peer_id="peer-9",
        vehicle={"model": "police"},
    )
    assert full.target == ("communityUserId", "u-1")
    assert full.wire() == {
        "communityUserId": "u-1",
        "location": "Route 68",
        "coordinates": {"x": 1.5, "y": 2, "z": 3},
        "peerId": "peer-9",
        "vehicle": {"model": "police"},
    }


def test_of_takes_only_location_models() -> None:
    with pytest.raises(ValidationError, match="expected a LiveLocation or a UnitLocation"):
        LiveLocation.of({"api_id": "S:1", "location": "x"})  # type: ignore[arg-type]

"""Request validation: a ValidationError (a ValueError) that names the offending field."""

# These tests pass wrong types on purpose.
# mypy: disable-error-code="arg-type,dict-item"

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sonoran_async import (
    Call911,
    CallNote,
    CallsQuery,
    CallStatus,
    CloseCall,
    DispatchEdit,
    NewDispatch,
    Origin,
    Remove911,
    SonoranError,
    ValidationError,
)

CASES: list[tuple[str, Callable[[], Any], str, str]] = [
    # (id, constructor, field, text expected in the message)
    ("priority 0", lambda: NewDispatch(title="t", priority=0), "priority", ">= 1"),
    ("priority 4", lambda: NewDispatch(title="t", priority=4), "priority", "<= 3"),
    ("edit priority 0", lambda: DispatchEdit(call_id=1, priority=0), "priority", ">= 1"),
    ("edit priority 4", lambda: DispatchEdit(call_id=1, priority=4), "priority", "<= 3"),
    ("closed_limit 0", lambda: CallsQuery(closed_limit=0), "closed_limit", ">= 1"),
    ("closed_limit 101", lambda: CallsQuery(closed_limit=101), "closed_limit", "<= 100"),
    ("closed_offset -1", lambda: CallsQuery(closed_offset=-1), "closed_offset", ">= 0"),
    ("remove call_id -1", lambda: Remove911(call_id=-1), "call_id", ">= 0"),
    ("close call_id -5", lambda: CloseCall(call_id=-5), "call_id", ">= 0"),
    ("edit call_id -1", lambda: DispatchEdit(call_id=-1, title="x"), "call_id", ">= 0"),
    ("server_id -1", lambda: Remove911(call_id=1, server_id=-1), "server_id", ">= 0"),
    ("primary -1", lambda: NewDispatch(title="t", primary=-1), "primary", ">= 0"),
    (
        "delete_after 0",
        lambda: Call911(caller="a", location="b", delete_after_minutes=0),
        "delete_after_minutes",
        ">= 1",
    ),
    (
        "delete_after -3",
        lambda: NewDispatch(title="t", delete_after_minutes=-3),
        "delete_after_minutes",
        ">= 1",
    ),
    ("str priority", lambda: NewDispatch(title="t", priority="2"), "priority", "got str"),
    ("str call_id", lambda: Remove911(call_id="7"), "call_id", "got str"),
    ("str closed_limit", lambda: CallsQuery(closed_limit="10"), "closed_limit", "got str"),
    ("float call_id", lambda: CloseCall(call_id=1.0), "call_id", "got float"),
    (
        "str server_id",
        lambda: Call911(caller="a", location="b", server_id="1"),
        "server_id",
        "got str",
    ),
    ("bool priority", lambda: NewDispatch(title="t", priority=True), "priority", "got bool"),
    ("bool call_id", lambda: Remove911(call_id=True), "call_id", "got bool"),
    ("bool closed_limit", lambda: CallsQuery(closed_limit=True), "closed_limit", "got bool"),
    (
        "bool delete_after",
        lambda: Call911(caller="a", location="b", delete_after_minutes=True),
        "delete_after_minutes",
        "got bool",
    ),
    ("empty caller", lambda: Call911(caller="", location="b"), "caller", "must not be empty"),
    ("blank caller", lambda: Call911(caller="   ", location="b"), "caller", "must not be empty"),
    ("empty location", lambda: Call911(caller="a", location=""), "location", "must not be empty"),
    ("None caller", lambda: Call911(caller=None, location="b"), "caller", "got NoneType"),
    ("empty title", lambda: NewDispatch(title=""), "title", "must not be empty"),
    (
        "int description",
        lambda: Call911(caller="a", location="b", description=5),
        "description",
        "got int",
    ),
    (
        "str is_emergency",
        lambda: Call911(caller="a", location="b", is_emergency="yes"),
        "is_emergency",
        "expected a bool",
    ),
    (
        "int track_primary",
        lambda: DispatchEdit(call_id=1, track_primary=1),
        "track_primary",
        "bool",
    ),
    ("origin 7", lambda: NewDispatch(title="t", origin=7), "origin", "got 7"),
    ("origin str", lambda: DispatchEdit(call_id=1, origin="CALLER"), "origin", "must be one of"),
    ("origin True", lambda: DispatchEdit(call_id=1, origin=True), "origin", "must be one of"),
    ("status 9", lambda: DispatchEdit(call_id=1, status=9), "status", "got 9"),
    ("call_type 5", lambda: CallsQuery(call_type=5), "call_type", "100 (ALL)"),
    ("meta list", lambda: Call911(caller="a", location="b", meta_data=[1]), "meta_data", "mapping"),
    (
        "meta int keys",
        lambda: Call911(caller="a", location="b", meta_data={1: 2}),
        "meta_data",
        "str keys",
    ),
    (
        "notes of dicts",
        lambda: NewDispatch(title="t", notes=[{"content": "x"}]),
        "notes",
        "CallNote",
    ),
    ("units of ints", lambda: NewDispatch(title="t", units=[1, 2]), "units", "API ID"),
    ("units a str", lambda: NewDispatch(title="t", units="abc"), "units", "sequence"),
]


@pytest.mark.parametrize(
    ("build", "field", "needle"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_validation_names_the_field(build: Callable[[], Any], field: str, needle: str) -> None:
    with pytest.raises(ValidationError) as info:
        build()
    error = info.value
    assert isinstance(error, ValueError)
    assert isinstance(error, SonoranError)
    assert error.field == field
    assert str(error).startswith(f"{field}: ")
    assert needle in str(error)


def test_unknown_enum_made_leniently_is_still_refused_on_requests() -> None:
    lenient = Origin(7)  # what a reply may carry
    assert lenient.value == 7
    with pytest.raises(ValidationError):
        DispatchEdit(call_id=1, origin=lenient)
    assert not Origin.is_documented(7)


@pytest.mark.parametrize(
    "build",
    [
        lambda: NewDispatch(title="t", priority=1),
        lambda: NewDispatch(title="t", priority=3),
        lambda: CallsQuery(closed_limit=1),
        lambda: CallsQuery(closed_limit=100),
        lambda: CallsQuery(closed_offset=0),
        lambda: Remove911(call_id=0),
        lambda: Call911(caller="a", location="b", delete_after_minutes=1),
        lambda: DispatchEdit(call_id=1, origin=3, status=2),  # plain documented ints
        lambda: DispatchEdit(call_id=1, status=CallStatus.CLOSED),
        lambda: NewDispatch(title="t", notes=(CallNote(),), units=()),
    ],
)
def test_boundaries_accepted(build: Callable[[], Any]) -> None:
    build()


def test_validation_error_is_a_value_error_with_field_and_message() -> None:
    error = ValidationError("priority", "must be <= 3, got 4")
    assert (error.field, error.message, str(error)) == (
        "priority",
        "must be <= 3, got 4",
        "priority: must be <= 3, got 4",
    )

"""The v2 reply reader over any JSON a server could send: it never raises, and it proves
a create only with an integer callId, a removal only with the object's own id."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from sonoran_async import Call911, Remove911
from sonoran_async._endpoints import BY_TYPE
from sonoran_async._outcomes import Proven, Refused, Unproven
from sonoran_async._v2 import read_reply

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["callId", "callIds", "detail", "title", "x"]), inner),
    max_leaves=12,
)  # fmt: skip
STATUSES = st.sampled_from([200, 201, 204, 301, 400, 401, 403, 404, 422])


def _integral(value: Any) -> bool:
    return (type(value) is int or (type(value) is float and value.is_integer())) and value >= 0


@given(document=JSON, status=STATUSES)
def test_a_create_is_proven_only_by_an_integer_call_id(document: Any, status: int) -> None:
    call = Call911(caller="A", location="B")
    (outcome,) = read_reply(BY_TYPE["CALL_911"], [call], status, orjson.dumps(document)).outcomes
    if isinstance(outcome, Proven):
        assert 200 <= status < 300
        assert type(document) is dict and _integral(document["callId"])
        assert outcome.value == document["callId"]
    elif isinstance(outcome, Refused):
        assert status >= 400 and type(document) is dict
    else:
        assert isinstance(outcome, Unproven)


@given(document=JSON, status=STATUSES)
def test_a_removal_is_proven_only_by_its_own_id(document: Any, status: int) -> None:
    removal = Remove911(call_id=7)
    (outcome,) = read_reply(
        BY_TYPE["REMOVE_911"], [removal], status, orjson.dumps(document)
    ).outcomes
    if isinstance(outcome, Proven):
        assert type(document) is dict and document["callId"] == 7
        assert 200 <= status < 300

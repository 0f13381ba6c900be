"""Property: whatever is posted, the receiver answers 200, 400, 401 or 413, never 5xx, and
every authenticated, well-formed push reaches the catch-all handler."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sonoran_async.events import EVENT_TYPES, EventReceiver, PushEvent

from .conftest import KEY, serving
from .payloads import DOCUMENTED

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
# Objects shaped like the documented ones, with every value replaced by anything.
documented_keys = sorted(
    {k for _, data, _ in DOCUMENTED.values() for k in (data[0] if isinstance(data, list) else data)}
)
shaped = st.dictionaries(st.sampled_from(documented_keys), json_values, max_size=6)
envelopes = st.fixed_dictionaries(
    {"key": st.sampled_from([KEY, KEY.lower(), "wrong"]) | json_values},
    optional={
        "type": st.sampled_from(sorted(EVENT_TYPES)) | json_values,
        "data": shaped | st.lists(shaped, max_size=3) | json_values,
    },
)
bodies = st.one_of(
    envelopes.map(orjson.dumps),
    json_values.map(orjson.dumps),
    st.binary(max_size=200),
)


async def _post_all(payloads: list[bytes]) -> list[int]:
    receiver = EventReceiver(KEY, max_body=4096)
    seen: list[PushEvent] = []

    @receiver.on_any
    async def remember(event: PushEvent) -> None:
        seen.append(event)

    statuses = []
    async with serving(receiver.make_app()) as url, aiohttp.ClientSession() as session:
        for body in payloads:
            async with session.post(url + receiver.path, data=body) as reply:
                statuses.append(reply.status)
        await receiver.aclose()
    assert len(seen) == receiver.stats.events
    return statuses


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads=st.lists(bodies, min_size=1, max_size=15))
def test_no_body_gets_a_5xx(payloads: list[bytes]) -> None:
    statuses = asyncio.run(_post_all(payloads))
    assert set(statuses) <= {200, 400, 401, 413}, statuses


def test_the_strategy_reaches_every_answer() -> None:
    good: dict[str, Any] = {"key": KEY, "type": "EVENT_911", "data": {}}
    statuses = asyncio.run(
        _post_all([orjson.dumps(good), b"{", orjson.dumps({**good, "key": "x"}), b"x" * 5000])
    )
    assert statuses == [200, 400, 401, 413]

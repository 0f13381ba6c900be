"""The endpoint table is the one place an endpoint lives: both versions' routes, buckets
and default budgets are read from its rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sonoran_async import Call911, SonoranClient, V2Budgets
from sonoran_async._endpoints import BY_TYPE, ENDPOINTS
from sonoran_async._v2 import V2Wire
from sonoran_async._wire import V1Wire

PACKAGE = Path(__file__).resolve().parents[2] / "sonoran_async"
#: The endpoints no other feature names: the others are read by name on purpose
#: (reconciliation reads GET_CALLS and finds CALL_911 / NEW_DISPATCH creates, the plan
#: check reads GET_VERSION, the live mirror, the lookup cache and the realtime fallback
#: read the unit and lookup endpoints).
PLAIN = (
    "REMOVE_911",
    "CLOSE_CALL",
    "EDIT_DISPATCH",
    "ATTACH_UNIT",
    "DETACH_UNIT",
    "ADD_CALL_NOTE",
    "SET_CALL_POSTAL",
    "SET_CALL_PRIMARY",
)


def files_naming(request_type: str) -> set[str]:
    """Package files outside the emulator (and the CLI app) that spell the endpoint."""
    pattern = re.compile(rf"\b({request_type}|{request_type.lower()})\b")
    return {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.parts[len(PACKAGE.parts)] not in ("emulator", "cli")
        and pattern.search(path.read_text())
    }


@pytest.mark.parametrize("request_type", PLAIN)
def test_an_endpoint_is_spelled_in_at_most_four_files(request_type: str) -> None:
    # model, row, proof, method
    assert len(files_naming(request_type)) <= 4, files_naming(request_type)


def test_edit_dispatch_lives_in_model_row_proof_and_method() -> None:
    assert files_naming("EDIT_DISPATCH") == {
        "_models.py",
        "_endpoints.py",
        "_proof.py",
        "_methods.py",
    }


def test_buckets_and_budgets_come_from_the_rows() -> None:
    v2 = [e for e in ENDPOINTS if e.v2 is not None]
    assert V2Wire("k", 1).buckets == {e.request_type: e.bucket(2) for e in v2}
    assert V2Wire("k", 1).buckets["LOOKUP_INT"] == "v2:LOOKUP"  # one budget for lookups
    assert set(V1Wire("c", "k", 1).buckets.values()) == {"v1"}
    owners = {e.request_type: e.v2.per_minute for e in v2 if e.v2 and not e.v2.budget_of}
    assert V2Budgets().per_minute == owners
    assert V2Budgets(edit_dispatch=3).edit_dispatch == 3
    with pytest.raises(TypeError, match="unit_location"):
        V2Budgets(unit_location=3)  # v2 has no such operation


def test_v2_routes_are_read_from_the_rows() -> None:
    route = BY_TYPE["EDIT_DISPATCH"].v2
    assert route is not None
    assert (route.method, route.path_fields) == ("PATCH", ("serverId", "callId"))


async def test_the_guide_transport_is_a_transport() -> None:
    guide = (PACKAGE.parent / "docs" / "guides" / "architecture.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", guide, re.DOTALL)
    namespace: dict[str, object] = {}
    exec(compile(code, "architecture.md", "exec"), namespace)
    transport = namespace["Recording"]()  # type: ignore[operator]
    async with SonoranClient("c", "k", transport=transport, rate_limit=None) as cad:
        assert await cad.call_911(Call911(caller="a", location="b")) == 1
    assert transport.paths == ["emergency/call_911"]

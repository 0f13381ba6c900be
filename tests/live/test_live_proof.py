"""What each lookup / unit proof accepts and refuses, v1 text lines and v2 JSON."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sonoran_async import UnitStatus
from sonoran_async import _live_proof as proof
from sonoran_async._endpoints import BY_TYPE
from sonoran_async._lookups import LookupQuery
from sonoran_async._outcomes import Proven, Unproven, read_reply
from sonoran_async._proof import NoProof
from sonoran_async._units import UnitCommand, UnitPanicUpdate, UnitStatusUpdate

# --- LOOKUP, LOOKUP_INT --------------------------------------------------------------------


def test_lookup_v1_object_reads_records_and_characters() -> None:
    doc = {"records": [{"id": 1, "name": "A"}], "characters": [{"id": 2}]}
    result = proof.lookup(doc, None)
    assert [r.id for r in result.records] == [1]
    assert [r.id for r in result.characters] == [2]
    assert result.raw is doc


def test_lookup_array_is_the_records() -> None:
    result = proof.lookup([{"id": 5}, {"id": 6}], None)
    assert [r.id for r in result.records] == [5, 6]
    assert result.characters == ()


def test_lookup_lenient_parts() -> None:
    # null parts are empty; one object where an array belongs is read as one record;
    # non-objects inside an array are skipped
    assert proof.lookup({"records": None, "characters": {"id": 3}}, None).characters[0].id == 3
    assert [r.id for r in proof.lookup({"records": [1, "x", {"id": 4}]}, None).records] == [4]


@pytest.mark.parametrize(
    "document",
    ["", "NOT FOUND", None, 0, True, {}, {"error": "no"}, {"record": []}],
)
def test_lookup_refuses_what_is_no_result(document: Any) -> None:
    with pytest.raises(NoProof):
        proof.lookup(document, None)


@pytest.mark.parametrize("document", [{"records": "x"}, {"characters": 5}, {"records": True}])
def test_lookup_malformed_part_is_no_proof_not_a_crash(document: Any) -> None:
    with pytest.raises(NoProof, match="malformed"):
        proof.lookup(document, None)


def test_malformed_lookup_reply_is_unproven() -> None:
    """Bug found: `{"records": "x"}` used to raise ValueError out of `read_reply`."""
    reading = read_reply(BY_TYPE["LOOKUP"], [LookupQuery(first="a")], 200, b'{"records":"x"}')
    assert [type(o) for o in reading.outcomes] == [Unproven]


def test_lookup_reply_is_proven() -> None:
    reading = read_reply(BY_TYPE["LOOKUP"], [LookupQuery(first="a")], 200, b'{"records":[]}')
    assert [type(o) for o in reading.outcomes] == [Proven]


# --- GET_CHARACTERS -------------------------------------------------------------------------


def test_characters_array() -> None:
    assert [r.id for r in proof.characters([{"id": 1}, {"id": 2}], None)] == [1, 2]
    assert proof.characters([], None) == ()


@pytest.mark.parametrize("document", [{"id": 1}, "OK", None, 3, {}])
def test_characters_v1_wants_an_array(document: Any) -> None:
    with pytest.raises(NoProof):
        proof.characters(document, None)


def test_characters_v2_one_record_object() -> None:
    assert [r.id for r in proof.characters_v2({"id": 9}, None)] == [9]
    assert len(proof.characters_v2({"sections": []}, None)) == 1
    assert [r.id for r in proof.characters_v2([{"id": 8}], None)] == [8]


@pytest.mark.parametrize("document", [{}, {"error": "x"}, "", None])
def test_characters_v2_refuses(document: Any) -> None:
    with pytest.raises(NoProof):
        proof.characters_v2(document, None)


# --- GET_IDENTIFIERS ------------------------------------------------------------------------


def test_identifiers_v1_and_v2_spelling() -> None:
    v1 = proof.account_identifiers({"selectedIdent": 3, "identifiers": [{"id": 3}]}, None)
    assert v1.selected == 3
    assert [u.ident_id for u in v1.identifiers] == [3]
    v2 = proof.account_identifiers({"SelectedIdent": 4, "Identifiers": {"id": 4}}, None)
    assert v2.selected == 4
    assert [u.ident_id for u in v2.identifiers] == [4]


def test_identifiers_lenient_selected_and_null_list() -> None:
    got = proof.account_identifiers({"selectedIdent": "3", "identifiers": None}, None)
    assert got.selected is None
    assert got.identifiers == ()


@pytest.mark.parametrize("document", [[], {}, {"selectedIdent": 1}, "INVALID API ID", None])
def test_identifiers_refuses(document: Any) -> None:
    with pytest.raises(NoProof):
        proof.account_identifiers(document, None)


def test_identifiers_malformed_list_is_no_proof() -> None:
    with pytest.raises(NoProof, match="malformed"):
        proof.account_identifiers({"identifiers": 5}, None)


# --- GET_ACTIVE_UNITS -----------------------------------------------------------------------


def test_active_units_array_and_single_object() -> None:
    assert [u.ident_id for u in proof.active_units([{"id": 1}, {"id": 2}], None)] == [1, 2]
    assert [u.ident_id for u in proof.active_units({"id": 7}, None)] == [7]
    assert proof.active_units([], None) == ()


@pytest.mark.parametrize("document", [{}, {"units": []}, "", "NO UNITS", None, 1])
def test_active_units_refuses(document: Any) -> None:
    with pytest.raises(NoProof):
        proof.active_units(document, None)


# --- UNIT_STATUS, UNIT_PANIC (v1 text) --------------------------------------------------------

_V1: list[tuple[Callable[[str, Any], UnitCommand], str]] = [
    (proof.unit_status_updated, "UNIT STATUS UPDATED"),
    (proof.unit_panic_updated, "UNIT PANIC UPDATED"),
]


@pytest.mark.parametrize(("check", "text"), _V1)
def test_v1_success_text_any_case_and_spacing(
    check: Callable[[str, Any], UnitCommand], text: str
) -> None:
    assert check(text, None) is UnitCommand.SENT
    assert check(text.lower(), None) is UnitCommand.SENT
    assert check(text.replace(" ", "  "), None) is UnitCommand.SENT


@pytest.mark.parametrize(("check", "text"), _V1)
@pytest.mark.parametrize(
    "other",
    ["", "INVALID API ID", "UNIT NOT FOUND", "{{}}", "UNIT UPDATED", "{text} OK", "x {text}"],
)
def test_v1_anything_else_is_no_proof(
    check: Callable[[str, Any], UnitCommand], text: str, other: str
) -> None:
    with pytest.raises(NoProof):
        check(other.format(text=text), None)


def test_v1_status_and_panic_texts_do_not_prove_each_other() -> None:
    with pytest.raises(NoProof):
        proof.unit_status_updated("UNIT PANIC UPDATED", None)
    with pytest.raises(NoProof):
        proof.unit_panic_updated("UNIT STATUS UPDATED", None)


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=30))
def test_v1_random_text_proves_only_the_success_line(text: str) -> None:
    for check, success in _V1:
        try:
            assert check(text, None) is UnitCommand.SENT
        except NoProof:
            continue
        assert " ".join(text.split()).upper() == success


# --- UNIT_STATUS, UNIT_PANIC (v2 JSON) ------------------------------------------------------

_ENROUTE = UnitStatusUpdate(api_id="steam:1", status=UnitStatus.ENROUTE)


@pytest.mark.parametrize("echo", ["ENROUTE", 3])
def test_v2_status_echo_by_name_or_number(echo: Any) -> None:
    assert proof.v2_status_set({"updated": 1, "status": echo}, _ENROUTE) is UnitCommand.SENT
    assert proof.v2_status_set({"updated": 0, "status": echo}, _ENROUTE) is UnitCommand.SENT


@pytest.mark.parametrize(
    "document",
    [
        {"updated": 1, "status": "AVAILABLE"},
        {"updated": 1, "status": 2},
        {"updated": 1, "status": "enroute"},
        {"updated": 1},
        {"updated": "1", "status": "ENROUTE"},
        {"updated": True, "status": "ENROUTE"},
        {"status": "ENROUTE"},
        [],
        "UNIT STATUS UPDATED",
        None,
    ],
)
def test_v2_status_refuses(document: Any) -> None:
    with pytest.raises(NoProof):
        proof.v2_status_set(document, _ENROUTE)


@pytest.mark.parametrize("is_panic", [True, False])
def test_v2_panic_names_the_state_sent(is_panic: bool) -> None:
    request = UnitPanicUpdate(ident_ids=(1,), is_panic=is_panic)
    assert proof.v2_panic_set({"updated": 1, "isPanic": is_panic}, request) is UnitCommand.SENT
    for wrong in (not is_panic, int(is_panic), None, str(is_panic).lower()):
        with pytest.raises(NoProof):
            proof.v2_panic_set({"updated": 1, "isPanic": wrong}, request)
    with pytest.raises(NoProof):
        proof.v2_panic_set({"isPanic": is_panic}, request)


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=6,
    )
)
def test_any_json_is_a_result_or_no_proof(document: Any) -> None:
    for check in (
        proof.lookup,
        proof.characters,
        proof.characters_v2,
        proof.account_identifiers,
        proof.active_units,
    ):
        with contextlib.suppress(NoProof):
            check(document, None)
    with contextlib.suppress(NoProof):
        proof.v2_status_set(document, _ENROUTE)
    with contextlib.suppress(NoProof):
        proof.v2_panic_set(document, UnitPanicUpdate(api_id="x"))

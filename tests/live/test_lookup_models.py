"""The lookup models: what the decoders accept of each documented shape, and the queries'
refusals at the call site."""

from __future__ import annotations

from typing import Any

import pytest

from sonoran_async import CharactersQuery, LookupIntQuery, LookupQuery, SearchType, ValidationError
from sonoran_async._lookups import identifiers, lookup_result

_RECORD = {
    "id": 3,
    "type": 7,
    "sections": {  # one section object, as the OpenAPI example prints it
        "label": "Civilian Info",
        "fields": [
            {"uid": "first", "value": "John"},
            {"uid": None, "value": "unnamed"},
            {"uid": "first", "value": "shadowed"},
        ],
    },
}


def test_a_single_record_object_reads_as_one_record() -> None:
    (record,) = lookup_result(_RECORD).records
    assert record.id == 3 and record.values() == {"first": "John"}


@pytest.mark.parametrize("document", ["records", 3, None])
def test_documents_of_no_known_shape_are_refused(document: Any) -> None:
    with pytest.raises(ValueError, match="expected an array of records"):
        lookup_result(document)
    with pytest.raises(ValueError, match="expected an object"):
        identifiers(document)


def test_queries_refuse_at_the_call_site() -> None:
    with pytest.raises(ValidationError, match="expected a sequence of RecordType"):
        LookupQuery(plate="ABC", types=("car",))
    with pytest.raises(ValidationError, match="expected an int or a str, got bool"):
        LookupIntQuery(search_type=SearchType.NUMBER, value=True)
    with pytest.raises(ValidationError, match="name the user"):
        CharactersQuery()


def test_characters_are_cached_per_user() -> None:
    one, same = CharactersQuery(account="acc-1"), CharactersQuery(account="acc-1")
    assert one.cache_key() == same.cache_key() != CharactersQuery(api_id="acc-1").cache_key()

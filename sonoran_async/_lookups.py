"""Reads a bridge makes all day: LOOKUP, LOOKUP_INT, GET_CHARACTERS and GET_IDENTIFIERS.

Request models validate (an empty search is refused before anything is sent: the API
answers `INVALID EMPTY SEARCH`); replies are read leniently, as push events are: a field
that does not fit becomes None and every model keeps the object it was read from in
`.raw`. A lookup that names a user (`api_id`, `account`, `community_user_id`) opens its
results on that user's CAD: a side effect, so it is never cached nor shared (`notifies`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ._checks import as_tuple, bool_, checked, enum, frozen, int_, str_, validate
from ._enums import LenientIntEnum
from ._errors import ValidationError
from ._models import Request
from .events._models import nested_list, raw_field, read, wire
from .events._units import Unit


class RecordType(LenientIntEnum):
    """The record types a lookup's `types` filters on (LOOKUP's "Record Types" table)."""

    WARRANT = 2
    BOLO = 3
    LICENSE = 4
    VEHICLE_REGISTRATION = 5
    CHARACTER = 7
    POLICE_RECORD = 8
    POLICE_REPORT = 9
    MEDICAL_RECORD = 10
    MEDICAL_REPORT = 11
    FIRE_RECORD = 12
    FIRE_REPORT = 13
    DMV_RECORD = 14
    LAW_RECORD = 15
    LAW_REPORT = 16


class SearchType(LenientIntEnum):
    """How LOOKUP_INT reads its `value`."""

    IDENTIFIER = 0
    SUPERVISOR_STATUS = 1
    ACTIVE_STATUS = 2
    NUMBER = 3
    SECRET = 4
    ACCOUNT = 5


# --- replies ------------------------------------------------------------------------------


@attrs.define(kw_only=True, on_setattr=frozen)
class RecordField:
    """One field of a record section."""

    label: str | None = None
    value: Any = None
    uid: str | None = None
    raw: Mapping[str, Any] = raw_field()


@attrs.define(kw_only=True, on_setattr=frozen)
class RecordSection:
    category: int | None = None
    label: str | None = None
    fields: tuple[RecordField, ...] = attrs.field(
        default=(), metadata=wire(read=nested_list(RecordField))
    )
    raw: Mapping[str, Any] = raw_field()


def _sections(value: Any) -> tuple[RecordSection, ...]:
    """A list of sections; one section object where the OpenAPI example prints one."""
    found: tuple[RecordSection, ...] = nested_list(RecordSection)(
        [value] if type(value) is dict else value
    )
    return found


@attrs.define(kw_only=True, on_setattr=frozen)
class Record:
    """A custom record (a character, a warrant, a registration...), read leniently."""

    id: int | None = None
    record_type_id: int | None = None
    type: RecordType | None = None
    name: str | None = None
    sync_id: str | None = None
    sections: tuple[RecordSection, ...] = attrs.field(default=(), metadata=wire(read=_sections))
    raw: Mapping[str, Any] = raw_field()

    def value(self, uid: str) -> Any:
        """The value of the first field with this `uid`, or None."""
        return next((f.value for s in self.sections for f in s.fields if f.uid == uid), None)

    def values(self) -> dict[str, Any]:
        """Every field's value by uid (the first of each uid)."""
        found: dict[str, Any] = {}
        for section in self.sections:
            for field in section.fields:
                if field.uid is not None:
                    found.setdefault(field.uid, field.value)
        return found


@attrs.define(kw_only=True, on_setattr=frozen)
class LookupResult:
    """What a lookup found: the records and, from v1's LOOKUP, the characters."""

    records: tuple[Record, ...] = ()
    characters: tuple[Record, ...] = ()
    #: The reply document as received.
    raw: Any = attrs.field(default=None, eq=False, repr=False)

    def of_type(self, *types: RecordType) -> tuple[Record, ...]:
        return tuple(r for r in self.records if r.type in types)


@attrs.define(kw_only=True, on_setattr=frozen)
class Identifiers:
    """GET_IDENTIFIERS: an account's unit identifiers and the one selected."""

    selected: int | None = None
    identifiers: tuple[Unit, ...] = ()
    raw: Any = attrs.field(default=None, eq=False, repr=False)


def records(value: Any) -> tuple[Record, ...]:
    if type(value) is dict:
        value = [value]
    if type(value) is not list:
        raise ValueError("expected an array of records")
    return tuple(read(Record, item) for item in value if type(item) is dict)


def lookup_result(document: Any) -> LookupResult:
    """v1: `{"records": [...], "characters": [...]}`; v2 and LOOKUP_INT: an array."""
    if type(document) is dict and ("records" in document or "characters" in document):
        return LookupResult(
            records=records(document.get("records") or []),
            characters=records(document.get("characters") or []),
            raw=document,
        )
    return LookupResult(records=records(document), raw=document)


def identifiers(document: Any) -> Identifiers:
    if type(document) is not dict:
        raise ValueError("expected an object")
    units = document.get("identifiers", document.get("Identifiers")) or []
    selected = document.get("selectedIdent", document.get("SelectedIdent"))
    return Identifiers(
        selected=selected if type(selected) is int else None,
        identifiers=nested_list(Unit)([units] if type(units) is dict else units),
        raw=document,
    )


# --- requests -----------------------------------------------------------------------------


def as_types(value: Any) -> Any:
    value = as_tuple(value)
    if isinstance(value, tuple):
        return tuple(RecordType(v) if RecordType.is_documented(v) else v for v in value)
    return value


def _types(name: str, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, tuple) or not all(RecordType.is_documented(v) for v in value):
        raise ValidationError(name, "expected a sequence of RecordType")


def _who(cls_name: str, api_id: Any, account: Any, community_user_id: Any = None) -> None:
    if api_id is None and account is None and community_user_id is None:
        raise ValidationError(cls_name, "name the user: set api_id, account or community_user_id")


_opt_str = checked(str_(optional=True))


@attrs.define(kw_only=True, on_setattr=frozen)
class LookupQuery(Request[LookupResult]):
    """A LOOKUP: a name (first, last, mi) or a plate search, partial unless told not.

    Setting `api_id`/`account` (v1) or `community_user_id`/`account` (v2) also opens the
    results on that user's CAD: such a lookup is always sent, never cached or shared.
    """

    first: str = attrs.field(default="", metadata=checked(str_()))
    last: str = attrs.field(default="", metadata=checked(str_()))
    mi: str = attrs.field(default="", metadata=checked(str_()))
    plate: str = attrs.field(default="", metadata=checked(str_()))
    types: tuple[RecordType, ...] | None = attrs.field(
        default=None, converter=as_types, metadata=checked(_types)
    )
    partial: bool | None = attrs.field(default=None, metadata=checked(bool_(optional=True)))
    agency: str | None = attrs.field(default=None, metadata=_opt_str)
    department: str | None = attrs.field(default=None, metadata=_opt_str)
    subdivision: str | None = attrs.field(default=None, metadata=_opt_str)
    api_id: str | None = attrs.field(default=None, metadata=_opt_str)
    account: str | None = attrs.field(default=None, metadata=_opt_str)
    community_user_id: str | None = attrs.field(default=None, metadata=_opt_str)

    def __attrs_post_init__(self) -> None:
        validate(self)
        if not any(v.strip() for v in (self.first, self.last, self.mi, self.plate)):
            raise ValidationError(
                "search", "INVALID EMPTY SEARCH: set first, last, mi or plate (refused unsent)"
            )

    @property
    def notifies(self) -> bool:
        """Whether it opens its results on a user's CAD (a side effect: never cached)."""
        return (
            self.api_id is not None
            or self.account is not None
            or (self.community_user_id is not None)
        )

    def cache_key(self) -> tuple[Any, ...]:
        """The normalised search: case and surrounding spaces ignored, types as a set."""

        def norm(text: str | None) -> str | None:
            return None if text is None else text.strip().casefold()

        return (
            "LOOKUP",
            norm(self.first),
            norm(self.last),
            norm(self.mi),
            norm(self.plate),
            None if self.types is None else tuple(sorted(set(self.types))),
            self.partial is not False,
            norm(self.agency),
            norm(self.department),
            norm(self.subdivision),
        )


def _value(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(name, f"expected an int or a str, got {type(value).__name__}")


@attrs.define(kw_only=True, on_setattr=frozen)
class LookupIntQuery(Request[LookupResult]):
    """A LOOKUP_INT: records by identifier, status, record number, secret or account."""

    search_type: SearchType = attrs.field(metadata=checked(enum(SearchType)))
    value: int | str = attrs.field(metadata=checked(_value))
    types: tuple[RecordType, ...] | None = attrs.field(
        default=None, converter=as_types, metadata=checked(_types)
    )
    limit: int | None = attrs.field(default=None, metadata=checked(int_(1, optional=True)))
    offset: int | None = attrs.field(default=None, metadata=checked(int_(0, optional=True)))
    api_id: str | None = attrs.field(default=None, metadata=_opt_str)
    account: str | None = attrs.field(default=None, metadata=_opt_str)
    community_user_id: str | None = attrs.field(default=None, metadata=_opt_str)

    def __attrs_post_init__(self) -> None:
        validate(self)
        if isinstance(self.value, str) and not self.value.strip():
            raise ValidationError("value", "INVALID EMPTY SEARCH: empty value (refused unsent)")

    @property
    def notifies(self) -> bool:
        """Whether it opens its results on a user's CAD (a side effect: never cached)."""
        return (
            self.api_id is not None
            or self.account is not None
            or (self.community_user_id is not None)
        )

    def cache_key(self) -> tuple[Any, ...]:
        """The value as sent: the API matches it exactly (a secret "AbC" is not "abc")."""
        types = None if self.types is None else tuple(sorted(set(self.types)))
        return ("LOOKUP_INT", int(self.search_type), self.value, types, self.limit, self.offset)


@attrs.define(kw_only=True, on_setattr=frozen)
class CharactersQuery(Request[tuple[Record, ...]]):
    """GET_CHARACTERS: a user's civilian characters, the selected one first."""

    api_id: str | None = attrs.field(default=None, metadata=_opt_str)
    account: str | None = attrs.field(default=None, metadata=_opt_str)
    community_user_id: str | None = attrs.field(default=None, metadata=_opt_str)

    def __attrs_post_init__(self) -> None:
        validate(self)
        _who(type(self).__name__, self.api_id, self.account, self.community_user_id)

    notifies = False

    def cache_key(self) -> tuple[Any, ...]:
        return ("GET_CHARACTERS", self.api_id, self.account, self.community_user_id)


@attrs.define(kw_only=True, on_setattr=frozen)
class IdentifiersQuery(Request[Identifiers]):
    """GET_IDENTIFIERS: an account's unit identifiers (v2 needs `account`)."""

    api_id: str | None = attrs.field(default=None, metadata=_opt_str)
    account: str | None = attrs.field(default=None, metadata=_opt_str)

    def __attrs_post_init__(self) -> None:
        validate(self)
        _who(type(self).__name__, self.api_id, self.account)


for _cls in (RecordField, RecordSection, Record, LookupQuery, LookupIntQuery):
    attrs.resolve_types(_cls)

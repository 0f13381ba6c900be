"""The emulated CAD's records, characters and unit identifiers (issue #25), and the v1
handlers of LOOKUP, LOOKUP_INT, GET_CHARACTERS, GET_IDENTIFIERS, GET_ACTIVE_UNITS,
UNIT_STATUS and UNIT_PANIC.

`live_of(core)` is a community's `LiveState`: seed it from a fixture (`seed`,
`DEMO_FIXTURE`) or add records, characters and units one by one; log units in and out
and change their status as the CAD would, which pushes the matching events (through the
core's listeners, like the call events). What is not documented is assumed:

- a command for a unit that is not logged in changes nothing and still succeeds (v2
  answers `updated: 0`);
- UNIT_STATUS made through the API pushes EVENT_UNIT_STATUS; UNIT_PANIC does not (its
  page says so);
- a record is closed when its `status` is 1, as LOOKUP_INT's ACTIVE_STATUS counts.
"""

from __future__ import annotations

import copy
import itertools
import weakref
from collections.abc import Iterable, Mapping
from typing import Any, Final

from ._fields import ObjectError, WireObject, bad, int_list, opt_bool, opt_str

EMPTY_SEARCH: Final = "INVALID EMPTY SEARCH"
NOT_LINKED: Final = "API ID NOT LINKED TO AN ACCOUNT IN THIS COMMUNITY"
CHARACTER: Final = 7
_SEARCH_TYPES: Final = ("IDENTIFIER", "SUPERVISOR_STATUS", "ACTIVE_STATUS", "NUMBER", "SECRET",
                        "ACCOUNT")  # fmt: skip


def make_record(record_type: int, name: str, fields: Mapping[str, Any], **extra: Any) -> WireObject:
    """A custom record in the wire shape (one section holding `fields` by uid)."""
    section = {
        "category": 0,
        "label": "Details",
        "fields": [{"label": uid, "value": value, "uid": uid} for uid, value in fields.items()],
    }
    return {"recordTypeId": record_type, "type": record_type, "name": name,
            "sections": [section], **extra}  # fmt: skip


#: A small community: two civilians, a registered car with a BOLO, a warrant, one unit.
DEMO_FIXTURE: Final[Mapping[str, Any]] = {
    "records": [
        make_record(7, "John Doe", {"first": "John", "last": "Doe", "mi": "A"},
                    account="acc-john", syncId="citizen:1"),
        make_record(7, "Jane Roe", {"first": "Jane", "last": "Roe", "mi": ""},
                    account="acc-jane", syncId="citizen:2"),
        make_record(5, "Registration", {"plate": "ABC123", "owner": "John Doe"}),
        make_record(3, "BOLO", {"plate": "ABC123", "reason": "stolen"}, status=0),
        make_record(2, "Warrant", {"first": "John", "last": "Doe", "mi": "A"}, status=0),
    ],
    "accounts": {"STEAM:1": "acc-john", "STEAM:2": "acc-jane"},
    "units": [
        {"accId": "acc-john", "apiId1": "STEAM:1", "unitNum": "A-10", "name": "John Doe",
         "department": "LSPD", "communityUserId": "license:1"},
    ],
}  # fmt: skip


def _text(value: Any) -> str:
    return value.strip().casefold() if isinstance(value, str) else ""


class LiveState:
    """Records, characters, unit identifiers and who is logged in, for one community."""

    def __init__(self, core: Any) -> None:
        self._core = weakref.ref(core)
        self.records: dict[int, WireObject] = {}
        #: API id -> account UUID (who GET_CHARACTERS / GET_IDENTIFIERS by apiId mean).
        self.accounts: dict[str, str] = {}
        #: Identifier id -> unit object (GET_ACTIVE_UNITS' shape) with its `serverId`.
        self.identifiers: dict[int, WireObject] = {}
        #: Identifier ids logged in, per server.
        self.online: dict[int, set[int]] = {}
        self._ids = itertools.count(1)

    # --- seeding -------------------------------------------------------------------------

    def seed(self, fixture: Mapping[str, Any]) -> None:
        """Records (`records`), API id -> account links (`accounts`), and identifiers
        (`units`, logged in on the first server unless `online` is false)."""
        for record in fixture.get("records", ()):
            self.add_record(record)
        self.accounts.update(fixture.get("accounts", {}))
        for unit in fixture.get("units", ()):
            online = unit.get("online", True)
            ident = self.add_identifier(**{k: v for k, v in unit.items() if k != "online"})
            if online:
                self.login(ident)

    def add_record(self, record: WireObject) -> int:
        """File a record (a character when its type is 7); its new id."""
        record = copy.deepcopy(dict(record))
        record["id"] = record_id = next(self._ids)
        self.records[record_id] = record
        return record_id

    def add_identifier(
        self, *, accId: str, server_id: int | None = None, isDispatch: bool = False, **data: Any
    ) -> int:
        """A unit identifier of an account (logged out); its id."""
        ident = next(self._ids)
        self.identifiers[ident] = {
            "id": ident, "accId": accId, "status": 0, "isPanic": False, "location": "",
            "aop": "", "isDispatch": isDispatch, "data": {"page": 0, **data},
            "serverId": server_id if server_id is not None else min(self.core.server_ids),
        }  # fmt: skip
        return ident

    @property
    def core(self) -> Any:
        core = self._core()
        assert core is not None
        return core

    # --- what units do in the CAD (each pushes its event) --------------------------------

    def login(self, ident: int) -> None:
        unit = self.identifiers[ident]
        self.online.setdefault(unit["serverId"], set()).add(ident)
        self._push(
            "UNIT_LOGIN", ident, {"unit": self.public(unit), "isDispatch": unit["isDispatch"]}
        )

    def logout(self, ident: int) -> None:
        unit = self.identifiers[ident]
        self.online.get(unit["serverId"], set()).discard(ident)
        self._push("UNIT_LOGOUT", ident, {"identId": ident})

    def set_status(self, idents: Iterable[int], status: int, *, push: bool = True) -> int:
        changed = [i for i in idents if i in self.identifiers]
        for ident in changed:
            self.identifiers[ident]["status"] = status
        if changed and push:
            self._push("UNIT_STATUS", changed[0], {"identIds": changed, "status": status})
        return len(changed)

    def set_panic(self, idents: Iterable[int], is_panic: bool, *, push: bool = True) -> int:
        changed = [i for i in idents if i in self.identifiers]
        for ident in changed:
            self.identifiers[ident]["isPanic"] = is_panic
        if changed and push:
            self._push("UNIT_PANIC", changed[0], {"identIds": changed, "isPanic": is_panic})
        return len(changed)

    def update(self, ident: int, **fields: Any) -> None:
        """Change a unit's fields (location, aop, ...) and push EVENT_UNIT_UPDATE."""
        unit = self.identifiers[ident]
        unit.update(fields)
        self._push("UNIT_UPDATE", ident, {"units": [self.public(unit)]})

    def set_location(self, api_id: str, location: str) -> None:
        """UNIT_LOCATION: the logged-in units of that API id are now there."""
        for ident in self.matching(api_id=api_id):
            self.identifiers[ident]["location"] = location

    def _push(self, kind: str, ident: int, data: WireObject) -> None:
        self.core.state.record(kind, ident, data)

    # --- reads ---------------------------------------------------------------------------

    @staticmethod
    def public(unit: WireObject) -> WireObject:
        return {k: copy.deepcopy(v) for k, v in unit.items() if k != "serverId"}

    def active_units(
        self, server_id: int, *, only_units: bool, include_offline: bool, limit: int, offset: int
    ) -> list[WireObject]:
        online = self.online.get(server_id, set())
        units = [
            self.public(u)
            for i, u in sorted(self.identifiers.items())
            if u["serverId"] == server_id
            and (include_offline or i in online)
            and not (only_units and u["isDispatch"])
        ]
        return units[offset : offset + limit]

    def matching(
        self, *, api_id: str | None = None, account: str | None = None,
        ident_ids: Iterable[int] = (), community_user_id: str | None = None,
        server_id: int | None = None,
    ) -> list[int]:  # fmt: skip
        """The logged-in identifiers a command names."""
        online = (
            set().union(*self.online.values())
            if server_id is None
            else self.online.get(server_id, set())
        )
        wanted = set(ident_ids)
        found: list[int] = []
        for ident in sorted(online):
            unit = self.identifiers[ident]
            data = unit["data"]
            if (
                ident in wanted
                or (api_id is not None and api_id in (data.get("apiId1"), data.get("apiId2")))
                or (account is not None and account == unit["accId"])
                or (
                    community_user_id is not None
                    and community_user_id == data.get("communityUserId")
                )
            ):
                found.append(ident)
        return found

    def account_of(self, o: WireObject) -> str:
        """The account a v1 object names (`account`, or an `apiId` linked to one)."""
        account = opt_str(o, "account")
        if account is None:
            api_id = opt_str(o, "apiId")
            account = self.accounts.get(api_id) if api_id is not None else None
        if account is None:
            raise ObjectError(NOT_LINKED)
        return account

    def search(self, o: WireObject) -> list[WireObject]:
        """LOOKUP: records whose first/last/mi or plate fields match (partial by default);
        characters always, other records filtered by `types`."""
        terms = {k: _text(o.get(k)) for k in ("first", "last", "mi", "plate")}
        if not any(terms.values()):
            raise ObjectError(EMPTY_SEARCH)
        partial = opt_bool(o, "partial") is not False
        types = _types(o)
        found = []
        for record in self.records.values():
            values = _values(record)
            if all(
                not term
                or (term in _text(values.get(k)) if partial else term == _text(values.get(k)))
                for k, term in terms.items()
            ) and (types is None or record.get("type") in types or record.get("type") == CHARACTER):
                found.append(copy.deepcopy(record))
        return found

    def by_value(self, o: WireObject, search_type: int, value: Any) -> list[WireObject]:
        """LOOKUP_INT."""
        types = _types(o)
        key = {0: "identId", 1: "supervisorStatus", 2: "status", 4: "secret", 5: "account"}
        found = []
        for record in self.records.values():
            if search_type == 3:
                hit = str(record["id"]) == str(value)
            else:
                hit = str(record.get(key[search_type], "\0")) == str(value)
            if hit and (types is None or record.get("type") in types):
                found.append(copy.deepcopy(record))
        limit, offset = o.get("limit"), o.get("offset")
        start = offset if type(offset) is int and offset >= 0 else 0
        end = start + limit if type(limit) is int and limit >= 0 else len(found)
        return found[start:end]

    def characters(self, account: str) -> list[WireObject]:
        return [copy.deepcopy(r) for r in self.records.values()
                if r.get("type") == CHARACTER and r.get("account") == account]  # fmt: skip

    def identifiers_of(self, account: str) -> WireObject:
        mine = [self.public(u) for u in self.identifiers.values() if u["accId"] == account]
        return {"selectedIdent": mine[0]["id"] if mine else None, "identifiers": mine}


def _values(record: WireObject) -> dict[str, Any]:
    return {
        f.get("uid"): f.get("value")
        for s in record.get("sections", ())
        for f in s.get("fields", ())
    }


def _types(o: WireObject) -> set[int] | None:
    types = int_list(o, "types")
    return set(types) if types else None


def search_type(value: Any) -> int:
    """v1 sends the number, v2 the name."""
    if type(value) is int and 0 <= value < len(_SEARCH_TYPES):
        return value
    if isinstance(value, str) and value.strip().upper() in _SEARCH_TYPES:
        return _SEARCH_TYPES.index(value.strip().upper())
    raise bad("searchType", "a search type (0-5)")


_STATES: weakref.WeakKeyDictionary[Any, LiveState] = weakref.WeakKeyDictionary()


def live_of(core: Any) -> LiveState:
    """The community's records, characters and units (made on first use)."""
    state = _STATES.get(core)
    if state is None:
        state = _STATES[core] = LiveState(core)
    return state

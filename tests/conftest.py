"""Shared fixtures: an aioresponses mock that works with the installed aiohttp."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import aioresponses.core
import pytest
from aioresponses import aioresponses as _aioresponses


class _CompatResponse(aiohttp.ClientResponse):
    """aiohttp 3.14 made `stream_writer` a required argument that aioresponses 0.7.x does not
    pass (pnuckowski/aioresponses#289). A finished upload only needs its `output_size`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(*args, **kwargs)


_NEEDS_SHIM = "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[_aioresponses]:
    """An `aioresponses` mock that works with the installed aiohttp."""
    if _NEEDS_SHIM:
        monkeypatch.setattr(aioresponses.core, "ClientResponse", _CompatResponse)
    with _aioresponses() as m:
        yield m

"""CHANGELOG.md follows Keep a Changelog and has a dated section for the package's version."""

from __future__ import annotations

import re
from pathlib import Path

import sonoran_async

CHANGELOG = (Path(__file__).resolve().parents[2] / "CHANGELOG.md").read_text()


def test_unreleased_comes_first_then_the_current_version_dated() -> None:
    versions = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", CHANGELOG, re.M)
    assert versions[0] == ("Unreleased", "")
    assert sonoran_async.__version__ in [version for version, _ in versions[1:]]
    assert all(date for _, date in versions[1:])


def test_every_section_has_its_link_reference() -> None:
    for name in re.findall(r"^## \[([^\]]+)\]", CHANGELOG, re.M):
        assert re.search(rf"^\[{re.escape(name)}\]: https://\S+$", CHANGELOG, re.M), name

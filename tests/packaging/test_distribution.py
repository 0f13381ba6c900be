"""What `pip install sonoran-async` gets: the built wheel's metadata and the sdist's files.

Built once per session from this tree (no build isolation: `make dist` does the isolated
build a release uses, and twine's check).
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from trove_classifiers import classifiers as known_classifiers

import sonoran_async

ROOT = Path(__file__).resolve().parents[2]
CORE = {"aiohttp", "attrs", "cattrs", "orjson"}


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--quiet", "--no-isolation", "--outdir", str(out), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


@pytest.fixture(scope="session")
def metadata(dist: Path) -> Message:
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(archive.read(name).decode())


def requirements(metadata: Message) -> list[Requirement]:
    return [Requirement(line) for line in metadata.get_all("Requires-Dist") or []]


def test_the_core_requires_only_aiohttp_attrs_cattrs_orjson(metadata: Message) -> None:
    core = {r.name for r in requirements(metadata) if r.marker is None}
    assert core == CORE


def test_the_command_line_and_benchmarks_are_extras(metadata: Message) -> None:
    by_extra: dict[str, set[str]] = {}
    for requirement in requirements(metadata):
        if requirement.marker is not None:
            for extra in metadata.get_all("Provides-Extra") or []:
                if requirement.marker.evaluate({"extra": extra}):
                    by_extra.setdefault(extra, set()).add(requirement.name)
    assert {"rich", "aiosqlite"} <= by_extra["cli"]
    assert "redis" in by_extra["redis"]
    assert "matplotlib" in by_extra["bench"]
    assert {"openapi-core", "PyYAML"} <= by_extra["emulator"]
    assert "mkdocstrings" in by_extra["docs"]
    assert {"pytest", "pytest-asyncio"} <= by_extra["testing"]  # the pytest plugin's
    assert by_extra["metrics"] == {"prometheus-client"}
    assert by_extra["otel"] == {"opentelemetry-api"}  # the API only: the SDK is the app's
    assert "opentelemetry-sdk" not in set().union(*(v for k, v in by_extra.items() if k != "dev"))
    assert not any("rich" in names for extra, names in by_extra.items() if extra != "cli")


def test_one_version_source(metadata: Message) -> None:
    assert metadata["Version"] == sonoran_async.__version__


def test_license_classifiers_and_urls(metadata: Message) -> None:
    assert metadata["License-Expression"] == "MIT"
    classifiers = metadata.get_all("Classifier") or []
    assert set(classifiers) <= known_classifiers, set(classifiers) - known_classifiers
    assert {"Framework :: AsyncIO", "Typing :: Typed"} <= set(classifiers)
    assert not [c for c in classifiers if c.startswith("License ::")]  # PEP 639: expression only
    urls = dict(u.split(", ", 1) for u in metadata.get_all("Project-URL") or [])
    assert {"Homepage", "Repository", "Issues", "Changelog", "Documentation"} <= set(urls)


def test_the_wheel_ships_py_typed_the_license_and_the_plugin(dist: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entries = archive.read(entry_points).decode()
    assert "sonoran_async/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith(("tests/", "examples/", "benchmarks/")) for n in names)
    assert "[pytest11]" in entries and "sonoran_async.testing" in entries


def test_the_sdist_carries_tests_changelog_license_and_examples(dist: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml"} <= names
    assert {"tests/conftest.py", "tests/packaging/test_distribution.py"} <= names
    assert "examples/ingest_script.py" in names
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)

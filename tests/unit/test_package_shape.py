"""The package's shape: no module over about 400 lines, no import cycle between modules,
imports inside functions included (deferring an import hides a cycle, it does not remove
it: the modules still cannot be read, tested or split one without the other)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "sonoran_async"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def type_checking_nodes(tree: ast.Module) -> set[int]:
    """The nodes under `if TYPE_CHECKING:`. They are left out: they only name types for
    the type checker and never run, so they add no dependency at import or call time
    (an annotation naming a module that imports this one is not a cycle)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for statement in node.body for inner in ast.walk(statement))
    return skipped


def imports(source: str, name: str, *, is_package: bool = False) -> set[str]:
    """The package's modules that module `name` (its `source`) imports anywhere: at
    module level and inside functions and methods (`if TYPE_CHECKING:` blocks left out).
    `from X import y` counts as importing `X.y` when that is a module, else `X`."""
    tree = ast.parse(source)
    package = name if is_package else name.rpartition(".")[0]
    skipped = type_checking_nodes(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in MODULES else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in MODULES and m != name}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph` (module -> the modules it imports), or None."""
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> list[str] | None:
        if name in done:
            return None
        if name in visiting:
            return [*visiting[visiting.index(name) :], name]
        visiting.append(name)
        for dep in sorted(graph[name]):
            if (cycle := visit(dep)) is not None:
                return cycle
        visiting.pop()
        done.add(name)
        return None

    for name in sorted(graph):
        if (cycle := visit(name)) is not None:
            return cycle
    return None


def test_no_module_over_400_lines() -> None:
    sizes = {name: len(p.read_text().splitlines()) for name, p in MODULES.items()}
    assert {name: n for name, n in sizes.items() if n > 410} == {}


def package_graph() -> dict[str, set[str]]:
    return {
        name: imports(path.read_text(), name, is_package=path.name == "__init__.py")
        for name, path in MODULES.items()
    }


SOURCE = """
from typing import TYPE_CHECKING
from . import _http
from ._envelope import Gate
import sonoran_async.emulator._fields
if TYPE_CHECKING:
    from ._app import create_app
def serve() -> None:
    from .._client import SonoranClient
    from .. import BatchPolicy
"""


def test_the_graph_sees_every_kind_of_import() -> None:
    found = imports(SOURCE, "sonoran_async.emulator._core")
    assert found == {
        "sonoran_async.emulator._http",  # from . import module
        "sonoran_async.emulator._envelope",  # from .module import name
        "sonoran_async.emulator._fields",  # import package.module
        "sonoran_async._client",  # inside a function
        "sonoran_async",  # a package's __init__
    }  # and not _app, imported for the type checker only
    graph = package_graph()
    assert "sonoran_async._lane" in graph["sonoran_async._client"]
    assert "sonoran_async.emulator._v2" in graph["sonoran_async.emulator._app"]


def test_a_cycle_is_found_and_named() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle() -> None:
    cycle = find_cycle(package_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_emulator_imports_nothing_from_the_client() -> None:
    """The emulator is an independent check of the client: it shares none of its code."""
    outside = {
        name: {m for m in deps if not m.startswith("sonoran_async.emulator")}
        for name, deps in package_graph().items()
        if name.startswith("sonoran_async.emulator")
    }
    assert {name: deps for name, deps in outside.items() if deps} == {}

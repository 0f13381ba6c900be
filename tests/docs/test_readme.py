"""The README's and the guides' code runs as a reader would run it, and their tables are true.

Every Python block of README.md and docs/ is marked: `<!-- runnable -->` (a script, run as is
in a fresh process from a directory outside the repository, printing what the page says),
`<!-- pytest-file -->` (a test file, run with pytest in a fresh project whose only
configuration is the `<!-- pytest-config: pyproject.toml -->` block beside it:
pytest-asyncio's strict mode), or `<!-- compile-only: why -->` (needs something the suite
does not start for it).
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from sonoran_async.emulator._cli import add_emulate_arguments

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
#: Every page with code: the README and the docs site's pages (guides, reference, home).
PAGES = {"README.md": README} | {
    str(path.relative_to(ROOT)): path.read_text() for path in sorted((ROOT / "docs").rglob("*.md"))
}
BLOCK = r"```python\n(.*?)```"


def blocks(marker: str) -> list[tuple[str, str]]:
    """(page, code) of every Python block under `marker` (a regex), on every page."""
    return [
        (page, code)
        for page, text in PAGES.items()
        for code in re.findall(marker + r"\n" + BLOCK, text, flags=re.DOTALL)
    ]


ALL_BLOCKS = blocks("")
RUNNABLE = blocks(r"<!-- runnable -->")
PYTEST_FILES = blocks(r"<!-- pytest-file -->")
COMPILE_ONLY = blocks(r"<!-- compile-only: [^>]+ -->")
GUIDE = "docs/guides/testing.md"
(PYTEST_CONFIG,) = re.findall(
    r"<!-- pytest-config: pyproject.toml -->\n```toml\n(.*?)```", PAGES[GUIDE], flags=re.DOTALL
)

#: What the page says each script prints, keyed by a line of the script. A new runnable block
#: needs its entry here, unless the page shows its whole output right after it, as
#: "prints", a blank line, and a ```text block.
PRINTS = {
    "Felony Stop": r"\['John Doe'\] Felony Stop\n6 requests, 0 in flight\n",
    "invalid {exc.field}": (
        r"row 1: invalid caller\nrow 0: created, id 1\nrow 2: created, id 2\n"
        r"2 calls in 1 request\n"
    ),
    "the emulator saw": r"call \d+ created; the emulator saw 1 request\(s\)\n",
    'print(f"call {call_id} created")': r"call 1 created\n",
    "pushed: 911 call": (
        r"(created: 911 call 1\npushed: 911 call 1 from Jane Roe\n"
        r"|pushed: 911 call 1 from Jane Roe\ncreated: 911 call 1\n)"
    ),
    "outcomes = Counter(": r"\{'created': 500\} in 5 requests\n",
}


def block_id(block: tuple[str, str]) -> str:
    page, code = block
    return f"{page}:{PAGES[page].index(code)}"


def test_every_python_block_is_marked_and_compiles() -> None:
    assert len(RUNNABLE) >= 6 and len(PYTEST_FILES) == 1
    assert sorted(RUNNABLE + PYTEST_FILES + COMPILE_ONLY) == sorted(ALL_BLOCKS)
    for page, code in ALL_BLOCKS:
        compile(code, page, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


@pytest.mark.parametrize("block", RUNNABLE, ids=[block_id(b) for b in RUNNABLE])
def test_the_script_runs_and_prints_what_the_page_says(
    block: tuple[str, str], tmp_path: Path
) -> None:
    page, script = block
    shown = re.search(re.escape(script) + r"```\n\nprints\n\n```text\n(.*?)```", PAGES[page], re.S)
    expected = [re.escape(shown[1])] if shown else []
    expected += [out for marker, out in PRINTS.items() if marker in script]
    assert len(expected) == 1, f"{page}: show what this block prints, or say it in PRINTS"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.fullmatch(expected[0], done.stdout), done.stdout


def test_the_plugin_snippet_passes_in_a_fresh_project_with_no_warning(tmp_path: Path) -> None:
    ((page, test_file),) = PYTEST_FILES
    assert page == GUIDE
    (tmp_path / "pyproject.toml").write_text(PYTEST_CONFIG)
    (tmp_path / "test_from_the_guide.py").write_text(test_file)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_from_the_guide.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert f"rootdir: {tmp_path}\n" in done.stdout
    assert "mode=Mode.STRICT" in done.stdout or "mode=strict" in done.stdout
    assert re.search(r"\b2 passed\b", done.stdout), done.stdout[-3000:]
    assert "warning" not in output.lower(), output[-3000:]  # pytest-asyncio's loop-scope one


def test_the_emulate_options_table_lists_every_option() -> None:
    parser = argparse.ArgumentParser()
    add_emulate_arguments(parser)
    text = PAGES["docs/guides/emulator.md"]
    table = text[text.index("## `sonoran-async emulate`") : text.index("## Settings")]
    for action in parser._actions:
        for flag in action.option_strings:
            if flag not in ("-h", "--help"):
                assert f"`{flag}" in table, flag


def test_the_readme_is_a_short_front_door_with_a_table_of_contents() -> None:
    lines = README.splitlines()
    assert len(lines) < 250
    top = "\n".join(lines[:10])
    assert "make demo" in top and "make test" in top
    headings = re.findall(r"^## (.+)$", README, flags=re.M)
    contents = README[README.index("## Contents") : README.index("## Installing")]
    anchors = re.findall(r"\]\(#([^)]+)\)", contents)
    slug = {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-"): h for h in headings}
    assert anchors and set(anchors) <= set(slug), set(anchors) - set(slug)
    assert set(slug) - set(anchors) == {"contents"}  # every section is listed


def test_every_relative_link_of_the_readme_resolves() -> None:
    targets = re.findall(r"\]\((?!https?://|#)([^)#]+)(?:#[^)]*)?\)", README)
    assert "docs/guides/bridge.md" in targets
    for target in targets:
        assert (ROOT / target).exists(), target


def test_the_readme_lists_every_extra_and_every_guide() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    table = README[README.index("| extra | adds | for |") :]
    for extra in extras:
        assert f"\n| `{extra}` |" in table, extra
    for guide in sorted((ROOT / "docs" / "guides").glob("*.md")):
        assert f"(docs/guides/{guide.name})" in README, guide.name
    nav = (ROOT / "mkdocs.yml").read_text()
    for guide in sorted((ROOT / "docs" / "guides").glob("*.md")):
        assert f"guides/{guide.name}" in nav, guide.name

# Fresh machine: only Python 3.11+ and make are needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DIST   := build/dist
# Every tree the linters and mypy --strict check.
CHECKED := sonoran_async tests benchmarks examples

.PHONY: demo test lint typecheck dist docs bench coverage clean jsclient

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The demo needs only the command line's extra.
$(VENV)/.cli: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[cli]'
	touch $@

demo: $(VENV)/.cli
	$(BIN)/sonoran-async demo

test: dist jsclient
	$(BIN)/ruff check .
	$(BIN)/ruff format --check $(CHECKED)
	$(BIN)/mypy $(CHECKED)
	$(BIN)/python -m pytest

# The official SignalR client (@microsoft/signalr, pinned by the lockfile) that
# tests/realtime/test_js_client.py runs against the emulator's hub; without npm it is skipped.
jsclient:
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --silent --no-audit --no-fund --prefix tests/realtime/js; \
	else echo "npm not found: tests/realtime/test_js_client.py will be skipped"; fi

# The sdist and the wheel, built the way a release is (isolated), and checked as PyPI would.
dist: $(VENV)/.installed
	rm -rf $(DIST)
	$(BIN)/python -m build --quiet --outdir $(DIST) .
	$(BIN)/twine check --strict $(DIST)/*

# Branch coverage of the whole suite, subprocesses included (pyproject's [tool.coverage]).
coverage: $(VENV)/.installed
	rm -f .coverage .coverage.*
	$(BIN)/python -m coverage run -m pytest -q
	$(BIN)/python -m coverage combine -q
	$(BIN)/python -m coverage report --skip-covered

# The API reference, from the docstrings; any warning fails it.
docs: $(VENV)/.installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site

# Prints, and plots into benchmarks/out/ (ignored); `make bench BENCH_ARGS=--save` writes
# benchmarks/results/, the figures the README quotes.
bench: $(VENV)/.installed
	$(BIN)/python benchmarks/throughput.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/emulator_memory.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache benchmarks/out

# One entry point for set-up, the demo, checks and tests.
# A fresh machine needs only Python 3.11 (or 3.10+), git and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck check server bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[server,polars,dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)  ## run the demo workflow against a fresh local platform
	$(BIN)/python examples/demo_workflow.py

test: $(STAMP)  ## run lint, type checks and the whole test suite
	$(BIN)/ruff check src tests bench examples notebooks
	$(BIN)/mypy
	$(BIN)/pytest

server: $(STAMP)  ## start the local platform on http://localhost:8000
	$(BIN)/graph-olap server

bench: $(STAMP)
	$(BIN)/python bench/control_plane_calls.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# One entry point for set-up, the demo, checks and tests.
# A fresh machine needs only Python 3.11 (or 3.10+), git and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck check server bench clean chromium docs checkov

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[server,polars,dev]"
	touch $(STAMP)

# The browser tests render executed notebooks offline in headless Chromium (Debian's
# package) with the Jupyter widgets renderer and RequireJS from the npm registry.
BROWSER_ASSETS := $(VENV)/browser-assets
HTML_MANAGER := @jupyter-widgets/html-manager@1.0.15
REQUIREJS := requirejs@2.3.7
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(BROWSER_ASSETS)/.installed: Makefile
	rm -rf $(BROWSER_ASSETS) && mkdir -p $(BROWSER_ASSETS)
	cd $(BROWSER_ASSETS) && npm pack --silent $(HTML_MANAGER) $(REQUIREJS) >/dev/null
	cd $(BROWSER_ASSETS) && mkdir html-manager requirejs \
		&& tar xzf jupyter-widgets-html-manager-*.tgz -C html-manager --strip-components=1 \
		&& tar xzf requirejs-*.tgz -C requirejs --strip-components=1 && rm -f *.tgz
	touch $@

# The deployment tests (tests/deploy) scan deploy/ with checkov, a policy scanner. It pins
# packaging<24, which breaks pytest, so it lives in a venv of its own, outside the project's.
CHECKOV_VENV := $(VENV)/tools/checkov
# pinned: a new release may add checks, so upgrade it on purpose
CHECKOV := checkov==3.3.30

$(CHECKOV_VENV)/.installed: Makefile
	rm -rf $(CHECKOV_VENV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check "$(CHECKOV)"
	touch $@

checkov: $(CHECKOV_VENV)/.installed  ## checkov in .venv/tools/checkov (for tests/deploy)

chromium:  ## headless Chromium for the browser tests (Debian packages)
	@command -v chromium >/dev/null || $(SUDO) apt-get install -y -q chromium >/dev/null \
		|| ($(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q chromium >/dev/null)

install: $(STAMP)

demo: $(STAMP)  ## run the demo workflow against a fresh local platform
	$(BIN)/python examples/demo_workflow.py

test: $(STAMP) $(BROWSER_ASSETS)/.installed chromium checkov  ## lint, type checks, the whole test suite
	$(BIN)/ruff check src tests bench examples notebooks
	$(BIN)/mypy
	$(BIN)/pytest

docs: $(STAMP)  ## build the documentation site into site/ (strict); preview: .venv/bin/mkdocs serve
	$(BIN)/mkdocs build --strict

server: $(STAMP)  ## start the local platform on http://localhost:8000
	$(BIN)/graph-olap server

bench: $(STAMP)
	$(BIN)/python bench/control_plane_calls.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

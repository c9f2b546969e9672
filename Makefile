# Two commands for a fresh machine (see README):
#   make lab    install JupyterLab and what the notebooks use, then start it on notebooks/quickstart.ipynb
#   make test   install the whole development environment, then run every test (TypeScript, Python,
#               real browser)
# Both install into .venv and node_modules, in either order: the test environment holds everything
# `make lab` installs, so `make lab` after `make test` installs nothing. Only `make test` installs
# Debian's chromium (with apt-get).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# What is installed: the lab's packages (the `lab` extra) and the development environment (`dev`,
# which holds `lab`), each redone when pyproject.toml or the npm lock changes.
LAB    := $(VENV)/.installed-lab
DEV    := $(VENV)/.installed-dev
NODE   := node_modules/.installed

.PHONY: lab test lab-setup setup system system-lab bench screenshot contract clean

lab: lab-setup
# notebook_shim (pulled in by Notebook 7, which Lab does not need) reads every ServerApp trait when it
# links, which prints a DeprecationWarning about ServerApp.token once voila has switched such warnings
# on; a newcomer reads it as a fault. tests/test_startup.py runs this very line.
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) notebooks/quickstart.ipynb --ServerApp.jpserver_extensions=notebook_shim=False $(if $(filter 0,$(shell id -u)),--allow-root,)

test: setup
	npm run build
	npm run typecheck
	npm test
	npm run lint
	$(BIN)/ruff check projector_widget tests benchmarks scripts conftest.py
	$(BIN)/ruff format --check projector_widget tests benchmarks scripts conftest.py
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_shape.py
	$(BIN)/python -m pytest -ra -n 2 --dist loadgroup

lab-setup: system-lab $(LAB) $(VENV)/package.json

setup: system $(DEV) $(VENV)/package.json

system:
	@bash scripts/install-system.sh

system-lab:
	@bash scripts/install-system.sh lab

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(NODE): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The editable install builds the frontend bundle with npm, hence node_modules first.
$(LAB): pyproject.toml $(NODE) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[lab]"
	touch $@

# `dev` holds `lab`: once it is installed, `make lab` has nothing to add.
$(DEV): pyproject.toml $(NODE) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(LAB)

# Node applies the nearest package.json to every .js file below it, and ours says "type": "module".
# With .venv inside the repository, the CommonJS scripts that Python packages ship (JupyterLab runs
# jupyter_builder/yarn.js at server start) would load as ES modules and fail ('Dynamic require of
# "util" is not supported'). This file gives everything under .venv Node's default, CommonJS.
$(VENV)/package.json: | $(BIN)/python
	@echo '{"type": "commonjs"}' > $@

bench: setup
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/kernel.py
	$(BIN)/python benchmarks/browser.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/ann.py --metrics cosine

# The kernel<->browser contract for the TypeScript side, from the Python declarations
# (projector_widget/sync/protocol.py): js/contract/contract.schema.json, spec.json and
# contract.gen.ts (json2ts, from node_modules). Run it after changing a message, a reply, the
# spec or a synced trait; tests/test_contract.py fails until then.
contract:
	$(BIN)/python scripts/contract.py

screenshot: setup
	$(BIN)/python scripts/screenshot.py docs/screenshot.png
	$(BIN)/python scripts/feature_shots.py docs

clean:
	rm -rf $(VENV) node_modules projector_widget/static

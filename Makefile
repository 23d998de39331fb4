# csp: make help lists the targets. On a fresh machine with Python 3.11+ and make:
#   make report   set up .venv, generate the bundled sample, run Q1 and Q2, print the report's path
#   make test     set up .venv and run the tests
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
LAB_VENV := .venv-lab
SAMPLE := data/raw/stockton/2011-12/commentary.csv
CHROMIUM ?= $(or $(CSP_CHROMIUM),/usr/bin/chromium)
SUDO ?= $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# JupyterLab refuses to start as root (a container's usual user) unless told to.
LAB_ROOT ?= $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: help install sample report browser test lint format lab bench docs clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-15s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "csp needs Python 3.11 or newer (PYTHON=$(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(INSTALLED) ## create .venv and install csp with its dependencies

$(SAMPLE): samples/stockton/generate.py samples/stockton/commentary.csv samples/stockton/availability.csv | $(INSTALLED)
	$(BIN)/python samples/stockton/generate.py --out data/raw/stockton --force

sample: $(SAMPLE) ## generate the bundled Stockton sample extracts into data/raw/stockton

report: $(SAMPLE) ## run the main job: Stockton 2011-12 Q1 and Q2 on the bundled sample
	$(BIN)/csp run --plan stockton --year 2011-12 --quarter 1
	$(BIN)/csp run --plan stockton --year 2011-12 --quarter 2

# Whether chromium is there is checked after the attempt, not read from apt's exit codes: an update
# can fail on one unreachable list and the install still work, or the install fail after installing.
browser: ## install Debian's chromium for the browser tests, if it is missing (root or sudo)
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq || true; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || true; \
	fi; \
	[ -x "$(CHROMIUM)" ] || echo "could not install chromium: browser tests will skip (CI requires them)"

test: $(INSTALLED) browser ## run the tests (browser tests included)
	$(BIN)/pytest

lint: $(INSTALLED) ## check style with ruff (code and notebooks) and the layers with import-linter
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(INSTALLED) ## format code and notebooks with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The documentation site from docs/ and mkdocs.yml, into site/ (never committed).
docs: $(INSTALLED) ## build the documentation site into site/ (mkdocs, strict: a warning fails)
	$(BIN)/mkdocs build --strict

# JupyterLab lives in its own venv: its dependencies (jupyter-events, jsonschema's format checks)
# would add seconds to every `csp run` process if they were installed beside csp.
$(LAB_VENV)/.installed: | $(INSTALLED)
	$(PYTHON) -m venv $(LAB_VENV)
	$(LAB_VENV)/bin/python -m pip install --quiet 'jupyterlab>=4.2'
	$(BIN)/python -m ipykernel install --prefix $(LAB_VENV) --name python3 --display-name 'Python 3 (csp)'
	@touch $@

lab: $(LAB_VENV)/.installed ## JupyterLab at the project root: notebooks/, data/, reports/ (its own venv)
	$(LAB_VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(LAB_ROOT)

bench: $(SAMPLE) ## a quarter against the papermill floor, in one run; the engine per step; prints figures
	$(BIN)/python benchmarks/bench_run.py

.PHONY: bench-national
bench-national: | $(INSTALLED) ## time a quarter of one large force's police.uk files at 1x, 5x, 20x
	$(BIN)/python benchmarks/bench_national.py

.PHONY: bench-many
bench-many: | $(INSTALLED) ## every partnership of five forces at once, on 1 then 2 Dask workers
	$(BIN)/python benchmarks/bench_many.py

clean: ## remove processed data and reports (both rebuild from raw data and code)
	rm -rf data/processed/* reports/*
	@touch data/processed/.gitkeep reports/.gitkeep

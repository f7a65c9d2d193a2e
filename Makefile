# paperkb: two commands get a newcomer going (see README): `make serve` and `make test`.
# Everything installs into .venv from pyproject.toml; nothing is installed globally.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Exact versions the project was tested with; pyproject.toml holds the ranges.
CONSTRAINTS := constraints.txt
# The project pins mkdocs<2 on purpose (Material 9.x is built for MkDocs 1.x; see pyproject.toml): the notices
# Material and properdocs (a dependency of mkdocs-gen-files' stack) print about MkDocs 2 on every `mkdocs` run
# say nothing we can act on, and in red they hide real warnings. These are the switches both document.
export NO_MKDOCS_2_WARNING := 1
export DISABLE_MKDOCS_2_WARNING := true

.PHONY: serve build test check lint bench install dev clean

## serve: install the site's dependencies and serve the knowledge base at http://127.0.0.1:8000
## (--dirty: after an edit MkDocs renders only the pages whose file changed, and paperkb parses only those again and
## builds again only their rows, feed entries and BibTeX entries; pages listing the edited one, such as topics and
## labs, update too (MkDocs renders every generated page again); links and related papers on other paper pages
## catch up at the next full build. MkDocs prints a warning saying so on every rebuild)
serve: $(VENV)/.installed
	$(BIN)/mkdocs serve --dirty --dev-addr 127.0.0.1:8000

## build: the static site into site/ (strict: any broken link or warning fails)
build: $(VENV)/.installed
	$(BIN)/mkdocs build --strict

## test: install the dev extras and run the whole suite, on every core (pytest-xdist; PYTEST_WORKERS=0 runs it in one process)
PYTEST_WORKERS ?= auto
test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

## check: validate every page and both vocabularies
check: $(VENV)/.installed
	$(BIN)/paperkb check

## lint: ruff (lint and format), mypy and the import contracts (all in pyproject.toml); tests/test_architecture.py runs the same
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check scripts tests
	$(BIN)/ruff format --check scripts tests
	$(BIN)/mypy
	$(BIN)/lint-imports

## bench: build and pipeline benchmarks against baselines measured in the same run
## (every benchmark runs; the target fails at the end if any of them reported a blown budget)
bench: $(VENV)/.dev-installed
	@status=0; for b in scripts/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || status=1; done; exit $$status

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $@

clean:
	rm -rf site .pytest_cache .hypothesis .bench

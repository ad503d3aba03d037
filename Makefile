# GenFans: `make run` serves the app with a worker, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/genfans

# The first interpreter that is Python 3.12 or newer: on PATH, then under pyenv.
PYTHON := $(shell for p in python3.13 python3.12 python3 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { command -v $$p; break; }; done)

.PHONY: install install-test run test test-sqlite test-postgres lint format chromium clean bench bench-tools soak

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then echo "GenFans needs Python 3.12 or newer: none found on PATH or under pyenv (\$$PYENV_ROOT/versions). Install one and retry." >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(BIN)/genfans run

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's Chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: install-test
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	PYTHONPATH=src $(BIN)/lint-imports --no-cache

format: install-test
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

# SQLite runs everything; PostgreSQL runs everything but the browser tests and the
# database-agnostic property suites, including the concurrency tests SQLite cannot express.
# The two passes run side by side, one per core (each test keeps its own files and ports),
# their output kept apart. Both are measured (sys.monitoring keeps the cost low) and held to
# the coverage floor in tests/coverage_floor.py; `$(BIN)/coverage report` shows the lines.
COVERED_PYTEST = COVERAGE_CORE=sysmon $(BIN)/coverage run -m pytest
test: install-test chromium lint
	rm -rf var/coverage && mkdir -p var/coverage
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres
	$(BIN)/coverage combine -q
	$(BIN)/python -m tests.coverage_floor

test-sqlite:
	$(COVERED_PYTEST) -q

test-postgres:
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_TEST_URL)', dbname='postgres', connect_timeout=3).close()" 2>/dev/null; then \
		DATABASE_URL=$(PG_TEST_URL) $(COVERED_PYTEST) -q -m "not browser and not property"; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL is required on CI and is not reachable at $(PG_TEST_URL)" >&2; exit 1; \
	else \
		echo "PostgreSQL not reachable at $(PG_TEST_URL): skipped the PostgreSQL pass (CI requires it)."; \
	fi

# wrk (HTTP load) and pgbench (the database floors) from Debian, as `chromium` does.
bench-tools:
	@command -v wrk >/dev/null 2>&1 && command -v pgbench >/dev/null 2>&1 || { \
		echo "Installing Debian's wrk and pgbench for the benchmarks"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk postgresql >/dev/null; }

# Every benchmark against its floor (benchmarks/README.md): `genfans serve` and `genfans
# worker` on a dedicated PostgreSQL database, about 6 minutes. BENCH_ARGS="--seconds 3" etc.
bench: install-test bench-tools
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

# The long reliability runs (tests/reliability, marked `soak`) on PostgreSQL, and the
# property suites with many more examples on SQLite.
soak: install-test
	GENFANS_SOAK=1 DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q -m soak tests/reliability
	GENFANS_SOAK=1 $(BIN)/pytest -q -m property

clean:
	rm -rf $(VENV) var

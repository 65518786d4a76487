# SuccessLink: `make demo` runs the whole path on the embedded DuckDB warehouse;
# `make test` runs the whole suite (DuckDB, SQLite and a throwaway PostgreSQL).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/successlink --workspace demo demo

test: $(STAMP)
	scripts/ensure-postgres.sh
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	scripts/ensure-bench-tools.sh
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache

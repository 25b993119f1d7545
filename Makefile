# The way in: make demo, make test, make lint, make bench.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo serve test test-unit lint bench check clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: the server on a fresh SQLite file with the demo data (Ctrl-C stops it)
demo: $(STAMP)
	$(BIN)/earmark demo

serve: $(STAMP)
	$(BIN)/earmark serve

## test: the whole suite, on SQLite and PostgreSQL
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy --strict src/earmark

bench: $(STAMP)
	$(BIN)/python -m bench

check: $(STAMP)
	$(BIN)/earmark check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis demo.db*

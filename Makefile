# The way in: make demo, make test, make lint, make bench.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo serve test test-unit lint bench profile check clean vendor screenshots

DEV    := $(VENV)/.installed-dev

# Running earmark needs only its own dependencies; the test and lint tools
# (pytest, playwright, schemathesis, mypy, ...) come with the dev extra, for
# the targets that use them. uv installs them (from PyPI, as pip would): it
# fetches and unpacks in parallel, a clone serves in well under a minute.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	test -x $(BIN)/uv || $(PYTHON) -m pip --python $(BIN)/python install --quiet \
	  --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e .
	touch $(STAMP)

$(DEV): $(STAMP)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $(DEV)

## demo: the server on a fresh SQLite file with the demo data (Ctrl-C stops it)
demo: $(STAMP)
	$(BIN)/earmark demo

serve: $(STAMP)
	$(BIN)/earmark serve

## test: the whole suite, on SQLite and PostgreSQL
test: $(DEV)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

test-unit: $(DEV)
	$(BIN)/python -m pytest -q tests/unit

lint: $(DEV)
	$(BIN)/ruff check src tests
	$(BIN)/mypy --strict src/earmark
	$(BIN)/lint-imports

bench: $(DEV)
	$(BIN)/python -m bench

## profile: where scenario a's time goes (py-spy; SCENARIO=b or d for the others)
SCENARIO ?= a
profile: $(DEV)
	$(BIN)/python -m bench.profile $(SCENARIO)

check: $(STAMP)
	$(BIN)/earmark check

## vendor: fetch htmx, uPlot and Swagger UI (for /docs, served offline) from npm into the
## web UI's static files (needs npm; the output is committed, so users need no Node.js).
## Bump the versions here.
HTMX_VERSION  := 2.0.11
UPLOT_VERSION := 1.6.32
SWAGGER_UI_VERSION := 5.35.0
VENDOR_DIR    := src/earmark/api/web/static/vendor
vendor:
	rm -rf .vendor-build && mkdir -p .vendor-build $(VENDOR_DIR)
	cd .vendor-build && npm pack --silent htmx.org@$(HTMX_VERSION) uplot@$(UPLOT_VERSION) \
	    swagger-ui-dist@$(SWAGGER_UI_VERSION) \
	  && tar xzf htmx.org-$(HTMX_VERSION).tgz && mv package htmx \
	  && tar xzf uplot-$(UPLOT_VERSION).tgz && mv package uplot \
	  && tar xzf swagger-ui-dist-$(SWAGGER_UI_VERSION).tgz && mv package swagger-ui
	cp .vendor-build/htmx/dist/htmx.min.js $(VENDOR_DIR)/htmx.min.js
	cp .vendor-build/htmx/LICENSE $(VENDOR_DIR)/htmx.LICENSE
	cp .vendor-build/uplot/dist/uPlot.iife.min.js .vendor-build/uplot/dist/uPlot.min.css $(VENDOR_DIR)/
	cp .vendor-build/uplot/LICENSE $(VENDOR_DIR)/uPlot.LICENSE
	cp .vendor-build/swagger-ui/swagger-ui-bundle.js .vendor-build/swagger-ui/swagger-ui.css \
	  .vendor-build/swagger-ui/favicon-32x32.png $(VENDOR_DIR)/
	cp .vendor-build/swagger-ui/LICENSE $(VENDOR_DIR)/swagger-ui.LICENSE
	rm -rf .vendor-build

## screenshots: docs/screenshots/{overview,position,capital,service}.png of the demo (needs /usr/bin/chromium)
screenshots: $(DEV)
	EARMARK_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q -p no:xdist \
	  tests/browser/test_dashboard.py tests/browser/test_report_pages.py -k screenshots

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis demo.db*

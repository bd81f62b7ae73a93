# Safeguard: `make demo` and `make test` work on a freshly cloned checkout of a bare machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
STATIC := src/safeguard/web/static
CHROMIUM := /usr/bin/chromium
PYTEST_ARGS ?=

.PHONY: help demo test test-embedded test-external bench lint setup uv sync assets chromium java clean

help:
	@echo "make demo   - set up everything and serve Safeguard with a seeded demo force"
	@echo "make test   - set up everything and run the whole suite (embedded, then external PostgreSQL)"
	@echo "make bench  - measure speed; results go to docs/benchmarks.md"
	@echo "make lint   - ruff, plus mypy on src/"

demo: setup
	$(UV) run safeguard demo

test: setup chromium java test-embedded test-external

test-embedded:
	$(UV) run pytest $(PYTEST_ARGS)

# The same suite again through DATABASE_URL, against a separately started server.
test-external:
	$(UV) run python scripts/external_pg.py run -- $(UV) run pytest $(PYTEST_ARGS)

bench: setup
	$(UV) run python bench/run.py

lint: sync
	$(UV) run ruff check .
	$(UV) run mypy src

setup: sync assets

uv:
	@if ! command -v uv >/dev/null 2>&1 && [ ! -x "$(HOME)/.local/bin/uv" ]; then \
		echo "Installing uv"; \
		python3 -m pip install --user --quiet uv || python3 -m pip install --quiet --break-system-packages uv; \
	fi

sync: uv
	$(UV) sync --frozen

# GOV.UK Frontend, compiled from its npm package with the Arial font stack (no GDS Transport, no crown).
assets: $(STATIC)/app.css

$(STATIC)/app.css: package.json package-lock.json build-assets.mjs src/safeguard/web/scss/app.scss
	npm ci --no-audit --no-fund --loglevel=error
	node build-assets.mjs

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			echo "Installing Debian's chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else \
			echo "Browser tests need $(CHROMIUM): run 'sudo apt-get install chromium'"; exit 1; \
		fi; \
	fi

# The harm ranking's Spark engine (pyspark, from uv.lock) runs on a Java 17+ runtime; the suite proves Spark and
# DuckDB rank alike.
java:
	@if ! command -v java >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ]; then \
			echo "Installing Debian's Java runtime for the Spark ranking test"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless; \
		else \
			echo "The Spark ranking test needs Java 17 or newer: run 'sudo apt-get install openjdk-17-jre-headless'"; \
			exit 1; \
		fi; \
	fi

clean:
	rm -rf .venv node_modules $(STATIC)/app.css $(STATIC)/govuk .pytest_cache .mypy_cache .ruff_cache

# StatusPing — the two commands a new user needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.install-stamp

.PHONY: install run test lint typecheck check css bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/statusping serve

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

check: lint typecheck test

# Rebuild the committed stylesheet from the Tailwind sources (needs Node.js and npm).
css:
	npm ci --no-audit --no-fund
	npm run build:css

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Engine benchmark (docs/benchmarks.md): 10,000 http monitors at 30 s against a local target, with a
# bare-asyncio floor measured in the same run. e.g. make bench-engine BENCH_ARGS="--postgres --json out.json"
.PHONY: bench-engine
bench-engine: install
	$(BIN)/python bench/engine.py $(BENCH_ARGS)

# History benchmark (docs/benchmarks.md): a year of history for 1,000 monitors at 30 s, bytes on disk per
# monitor-year and the uptime/stats queries' latency beside a primary-key lookup measured in the same run.
# e.g. make bench-history BENCH_ARGS="--postgres --json out.json"
.PHONY: bench-history
bench-history: install
	$(BIN)/python bench/history.py $(BENCH_ARGS)

# Dashboard benchmark (docs/benchmarks.md): 10,000 monitors with a day of history; server time of the
# dashboard (first page, search, filter, sorts) and the monitor page's series JSON beside a bare FastAPI
# endpoint, page weight, and state change -> SSE event. e.g. make bench-dashboard BENCH_ARGS="--postgres"
.PHONY: bench-dashboard
bench-dashboard: install
	$(BIN)/python bench/dashboard.py $(BENCH_ARGS)

# Status page benchmark (docs/benchmarks.md): a 50-component page with 90 days of history under wrk
# (64 connections) beside a bare endpoint with the same bytes, uncached render p50/p95, and the
# embedded engine's schedule while the page is hammered. Needs wrk. e.g. BENCH_ARGS="--postgres <url>"
.PHONY: bench-status-page
bench-status-page: install
	$(BIN)/python bench/status_page.py $(BENCH_ARGS)

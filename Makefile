# The screener data pipeline. `make help` lists the targets.
SHELL := /bin/bash
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python

# DATABASE_URL from the environment wins: then nothing is started here.
ifdef DATABASE_URL
EXTERNAL_DB := 1
else
DATABASE_URL := $(shell $(ROOT)/scripts/db.sh url)
endif
export DATABASE_URL

.PHONY: help setup db db-stop migrate psql load demo test test-pg16 lint format clean airflow
.PHONY: chart report status screen

help: ## list the targets
	@grep -hE '^[A-Za-z0-9_.-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: ## install what the project needs (venv with pinned versions; pgTAP packages when root)
	@$(ROOT)/scripts/setup.sh

db: ## start the embedded PostgreSQL (or use DATABASE_URL) and wait until it accepts connections
ifdef EXTERNAL_DB
	@echo "db: using DATABASE_URL's server; nothing started"
else
	@$(ROOT)/scripts/db.sh start
endif

db-stop: ## stop the embedded PostgreSQL
	@$(ROOT)/scripts/db.sh stop

migrate: db ## apply migrations, then re-apply db/functions and db/views
	@$(ROOT)/db/migrate.sh

psql: db ## open psql on the project database
	@psql "$(DATABASE_URL)"

load: setup migrate ## load trading calendars and the committed universe
	@$(PY) -m fetcher load-calendars
	@$(PY) -m fetcher sync-universe

demo: setup migrate ## run the main job on the embedded defaults and print a summary
	@$(ROOT)/scripts/demo.sh

airflow: setup migrate ## Airflow UI and scheduler (airflow standalone) on this database and dags/
	@$(ROOT)/scripts/airflow.sh standalone

lint: setup ## sqlfluff on the SQL; ruff lint and format check on the Python (settings: pyproject.toml)
	@$(VENV)/bin/sqlfluff lint db --disable-progress-bar
	@$(VENV)/bin/ruff check $(ROOT)
	@$(VENV)/bin/ruff format --check $(ROOT)

format: setup ## ruff: sort imports, apply the safe fixes and format the Python
	@$(VENV)/bin/ruff check --fix --select I $(ROOT)
	@$(VENV)/bin/ruff format $(ROOT)

test: setup db ## run every test: sqlfluff, ruff, pgTAP (pg_prove) on PostgreSQL 15 and 16, and pytest
	@$(ROOT)/scripts/test.sh

test-pg16: setup ## the SQL suite (migrate twice + pgTAP) on PostgreSQL 16 (binaries from the pgserver wheel)
	@env -u DATABASE_URL $(ROOT)/scripts/test_pg16.sh

# Only paths inside this checkout (ROOT is where this Makefile is; the guard refuses anything else).
clean: db-stop ## stop the database and remove local state (.pg, .airflow, .tmp, .venv)
	@test -n "$(ROOT)" && test "$(ROOT)" != / && test -f "$(ROOT)/Makefile" && test -f "$(ROOT)/scripts/db.sh" \
		|| { echo "clean: refusing, $(ROOT) is not the project checkout" >&2; exit 1; }
	rm -rf "$(ROOT)/.pg" "$(ROOT)/.airflow" "$(ROOT)/.tmp" "$(ROOT)/.venv"

# Operator and user tools (python -m screener; they only read the database). The database is
# started first, its messages on stderr so that stdout (CSV, JSON) stays clean.
DB_TO_STDERR = $(MAKE) -s --no-print-directory db >&2
chart: ## price chart PNG: make chart TICKER=AAPL.US [FROM=2026-01-02 TO=2026-11-25 OUT=file.png]
	@$(DB_TO_STDERR)
	@test -n "$(TICKER)" || { echo "chart: say which ticker, e.g. make chart TICKER=AAPL.US" >&2; exit 2; }
	@$(PY) -m screener chart "$(TICKER)" $(if $(FROM),--from "$(FROM)") $(if $(TO),--to "$(TO)") $(if $(OUT),--out "$(OUT)")

report: ## PNG of the last 30 days of runs and the freshness per exchange [DAYS=30 OUT=file.png]
	@$(DB_TO_STDERR)
	@$(PY) -m screener report $(if $(DAYS),--days "$(DAYS)") $(if $(OUT),--out "$(OUT)")

status: ## terminal dashboard: progress per exchange, quota, last runs, top failures
	@$(DB_TO_STDERR)
	@$(PY) -m screener status

screen: ## run a saved screen: make screen NAME=oversold_uptrend [FORMAT=csv|json LIMIT=20]; no NAME lists them
	@$(DB_TO_STDERR)
	@$(PY) -m screener screen $(if $(NAME),"$(NAME)",--list) $(if $(FORMAT),--format "$(FORMAT)") $(if $(LIMIT),--limit "$(LIMIT)")

# The headline benchmark (not part of `make test`; about 20-30 minutes): the full universe from
# the local server, written to BENCHMARKS.md. The 5x scaling run is bench/bench_scale.py (docs/SCALING.md).
.PHONY: bench
bench: setup db ## full-universe benchmark: initial load plan, a steady-state day end to end -> BENCHMARKS.md
	@$(PY) $(ROOT)/bench/bench_universe_day.py --out $(ROOT)/BENCHMARKS.md

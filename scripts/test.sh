#!/usr/bin/env bash
# make test: lint the SQL and the Python, build a fresh test database through the migration entry point,
# run pgTAP (pg_prove), the same SQL suite on PostgreSQL 16, and pytest. Uses DATABASE_URL's server (the embedded one by default).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY=.venv/bin/python
: "${DATABASE_URL:?DATABASE_URL must be set (make test sets it)}"
TEST_DB="${SCREENER_TEST_DB:-screener_test}"
TEST_URL="$($PY scripts/dburl.py "$DATABASE_URL" "$TEST_DB")"

echo "== sqlfluff lint"
.venv/bin/sqlfluff lint db --disable-progress-bar --processes 2

echo "== ruff (lint and format check; pyproject.toml)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "== fresh test database $TEST_DB"
psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "drop database if exists $TEST_DB with (force)" -c "create database $TEST_DB"
MIGRATE_QUIET=1 DATABASE_URL="$TEST_URL" db/migrate.sh
psql -X -q -v ON_ERROR_STOP=1 "$TEST_URL" -c "create extension if not exists pgtap" \
  -c "set client_min_messages = warning" $(for f in db/tests/helpers/*.sql; do printf -- '-f %s ' "$f"; done)

echo "== pgTAP (pg_prove db/tests)"
find db/tests -name "*.sql" -not -path "db/tests/helpers/*" | sort | xargs pg_prove --dbname "$TEST_URL" --failures --timer

echo "== the SQL suite on PostgreSQL 16 (production's version; scripts/test_pg16.sh)"
env -u DATABASE_URL scripts/test_pg16.sh

echo "== pytest"
DATABASE_URL="$DATABASE_URL" .venv/bin/python -m pytest -q tests "$@"

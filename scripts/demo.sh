#!/usr/bin/env bash
# make demo: the main job on the embedded defaults.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY=.venv/bin/python
step() { printf '\n== %s\n' "$*"; }

step "trading calendars (exchange-calendars)"
$PY -m fetcher load-calendars
step "universe (config/tickers)"
$PY -m fetcher sync-universe
step "summary (monitor.universe_overview)"
psql -X -q "$DATABASE_URL" -c "select * from monitor.universe_overview order by universe, exchange_code"

#!/usr/bin/env bash
# make demo: the main job on a fresh machine, against the local EODHD-compatible server.
#   1. calendars and the committed universe loaded
#   2. the local server started on a free port (its "today" set to each session in turn)
#   3. data_collection_equities run with `airflow dags test` for two consecutive sessions:
#      the first an initial load (history from DEMO_FROM), the second incremental
#   4. calculate_indicators, then a summary from the monitor views and the screener.
# It connects as the roles of db/0014_roles.sql (local trust auth: no password): the DAGs' SQL tasks
# as screener_airflow, the fetcher processes as screener_fetcher, the summary as screener_reader;
# DATABASE_URL (the owner) only loads the calendars and reads the API ledger and history check.
# SCREENER_{FETCHER,AIRFLOW,READER}_DATABASE_URL, when set, are used instead.
# Running it again spends no API call and changes no business row: everything is up to date.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY=.venv/bin/python
DAY1="${DEMO_DAY1:-2026-11-24}"     # a Tuesday
DAY2="${DEMO_DAY2:-2026-11-25}"     # the next session
DEMO_FROM="${DEMO_FROM:-2024-11-01}"  # initial-load history start (enough for the 200-day indicators)
LOGS="$ROOT/.tmp/demo"
mkdir -p "$LOGS"
START=$SECONDS
step() { printf '\n== [%3ds] %s\n' "$((SECONDS - START))" "$*"; }
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }
# DATABASE_URL's server and database as the login role of a purpose (pipeline.database_roles).
role_url() {
  local login
  login="$(psql_q -tA -c "select login_role from pipeline.database_roles where purpose = '$1'")"
  [[ -n "$login" ]] || { echo "no login role for $1 in pipeline.database_roles: run make migrate" >&2; return 1; }
  $PY -c 'import sys; from urllib.parse import quote, urlsplit, urlunsplit
p = urlsplit(sys.argv[1]); print(urlunsplit(p._replace(netloc=quote(sys.argv[2]) + "@" + p.netloc.rpartition("@")[2])))' \
    "$DATABASE_URL" "$login"
}
for purpose in FETCHER AIRFLOW READER; do
  var="SCREENER_${purpose}_DATABASE_URL"
  [[ -n "${!var:-}" ]] || { url="$(role_url "${purpose,,}")"; printf -v "$var" '%s' "$url"; }
  export "${var?}"
done
psql_reader() { psql -X -q -v ON_ERROR_STOP=1 "$SCREENER_READER_DATABASE_URL" "$@"; }

step "database roles: the fetcher, the DAGs and the summary each connect as their own role"
for var in SCREENER_FETCHER_DATABASE_URL SCREENER_AIRFLOW_DATABASE_URL SCREENER_READER_DATABASE_URL; do
  echo "  ${var}: $(psql -X -tA "${!var}" -c 'select current_user')"
done

step "trading calendars (exchange-calendars)"
$PY -m fetcher load-calendars >"$LOGS/calendars.log" 2>&1
tail -1 "$LOGS/calendars.log"
step "universe (config/tickers)"
DATABASE_URL="$SCREENER_FETCHER_DATABASE_URL" $PY -m fetcher sync-universe --as-of "$DAY1" >"$LOGS/universe.log" 2>&1
psql_reader -c "select universe, count(*) as assets from market.assets where is_active group by 1 order by 1" | sed 's/^/  /'

step "local EODHD-compatible server (today = $DAY1)"
FAKE_OUT="$LOGS/fake-server.out"
$PY -m eodhd_fake --port 0 --today "$DAY1" --per-minute-limit 100000 >"$FAKE_OUT" 2>"$LOGS/fake-server.log" &
FAKE_PID=$!
trap 'kill "$FAKE_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [[ -s "$FAKE_OUT" ]] && break; sleep 0.1; done
FAKE_URL="$(head -1 "$FAKE_OUT")"
[[ -n "$FAKE_URL" ]] || { echo "the local server did not start: see $LOGS/fake-server.log" >&2; exit 1; }
echo "  $FAKE_URL"

export EODHD_BASE_URL="$FAKE_URL" EODHD_API_TOKEN="screener-demo-local-token" EODHD_RATE_LIMIT=100000
export SCREENER_TASK_RETRIES=0 SCREENER_FETCHER_WORKERS=2
unset AIRFLOW_CONN_EODHD_API
# shellcheck source=scripts/airflow_env.sh
source "$ROOT/scripts/airflow_env.sh"
step "Airflow metadata database and pool ($AIRFLOW_HOME)"
airflow_init

# One DAG run with airflow dags test; the full log goes to a file, the outcome to the screen.
run_dag() {
  local dag_id="$1" day="$2" conf="${3:-}" log="$LOGS/$1-$2.log"
  local args=(dags test "$dag_id" "${day}T21:30:00+00:00")
  [[ -n "$conf" ]] && args+=(-c "$conf")
  if ! "$ROOT/.venv/bin/airflow" "${args[@]}" >"$log" 2>&1; then
    echo "  airflow dags test failed: see $log" >&2; tail -20 "$log" >&2; exit 1
  fi
  grep -oE 'finished: done [0-9]+ failed [0-9]+ left [0-9]+.*\| [0-9]+s' "$log" | grep -v 'done 0 failed 0' | sed 's/^/  fetcher /' || true
  grep -oE '^execution [0-9]+: [a-z]+' "$log" | tail -1 | sed 's/^/  /' || true
  local state
  state="$(grep -oE 'DagRun Finished: .*state=[a-z]+' "$log" | grep -oE 'state=[a-z]+$' | tail -1)"
  echo "  dag run: ${state#state=}   (log: ${log#"$ROOT"/})"
  [[ "$state" == "state=success" ]] || exit 1
}

step "data_collection_equities for $DAY1: initial load (history from $DEMO_FROM)"
run_dag data_collection_equities "$DAY1" "{\"from_date\": \"$DEMO_FROM\"}"

step "data_collection_equities for $DAY2: incremental"
$PY -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + '?date=' + sys.argv[2]).read()" \
  "${FAKE_URL%/api}/_fake/today" "$DAY2"
run_dag data_collection_equities "$DAY2"

step "calculate_indicators for $DAY2"
run_dag calculate_indicators "$DAY2"

step "summary: executions (monitor.execution_summary)"
psql_reader -c "select execution_id, process_name, as_of::date, status, items, items_done, items_failed,
                  items_cancelled, api_calls, api_cost, date_trunc('second', duration) as duration
             from monitor.execution_summary order by execution_id desc limit 6"
step "summary: API calls spent (pipeline.api_calls) and the server's own count"
psql_q -c "select endpoint, count(*) as requests, sum(cost) as cost from pipeline.api_calls group by 1 order by 1"
$PY -c "import json, sys, urllib.request; s = json.load(urllib.request.urlopen(sys.argv[1]));
print('  local server: %d requests, %d charged calls' % (s['requests'], s['charged_calls']))" "${FAKE_URL%/api}/_fake/stats"
step "summary: bars and indicators"
psql_reader -c "select a.exchange_code, count(distinct a.asset_id) as assets, count(*) as bars, max(p.trade_date) as last_bar
             from market.stock_prices p join market.assets a using (asset_id) group by 1 order by 1"
step "history invariant as of the last collection run (pipeline.check_history_completeness)"
psql_q -c "select count(*) as active_assets,
                  count(*) filter (where missing_sessions = 0) as complete,
                  count(*) filter (where reason in ('initial load owed', 'history owed')) as owing_history,
                  count(*) filter (where is_unexplained) as unexplained_losses
             from pipeline.check_history_completeness((select max(as_of) from pipeline.process_executions
                                                       where process_name = 'data_collection_equities'))"
step "screen: oversold (RSI 14 < 40) above the 200-day average, top 10 by RSI"
psql_reader -c "select ticker, round(close::numeric, 2) as close, round(rsi_14::numeric, 1) as rsi_14,
                  round(sma_200::numeric, 2) as sma_200, round(change_pct::numeric, 2) as change_pct
             from market.screener_latest
            where rsi_14 < 40 and adjusted_close > sma_200
            order by rsi_14 limit 10"
psql_reader -c "select count(*) as assets_in_screener, count(rsi_14) as with_rsi_14, count(sma_200) as with_sma_200
             from market.screener_latest"
step "done in $((SECONDS - START)) s. Logs: ${LOGS#"$ROOT"/}/. Airflow UI on the same runs: make airflow"

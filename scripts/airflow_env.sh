# Source this file: the Airflow environment of this checkout (used by make airflow, make demo
# and the DAG tests). Requires DATABASE_URL. Nothing secret is printed.
#
#   AIRFLOW_HOME             .airflow/ inside the checkout (git-ignored), SQLite metadata db
#   AIRFLOW_CONN_SCREENER_DB the screener database for the SQL tasks: SCREENER_AIRFLOW_DATABASE_URL
#                            (a login role of screener_airflow, db/0014_roles.sql), else DATABASE_URL
#   AIRFLOW_CONN_SCREENER_DB_FETCHER  the same for the fetcher processes the DAGs start:
#                            SCREENER_FETCHER_DATABASE_URL (screener_fetcher), else DATABASE_URL
#   AIRFLOW_CONN_EODHD_API   JSON connection {"conn_type": "http", "host": <base URL>,
#                            "password": <token>} built from EODHD_BASE_URL (default the real
#                            API) and EODHD_API_TOKEN; an AIRFLOW_CONN_EODHD_API already set wins.
#
# airflow_init (defined below) migrates the metadata db once and creates the eodhd_api pool.
_AIRFLOW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${DATABASE_URL:?DATABASE_URL must be set}"
export PATH="$_AIRFLOW_ROOT/.venv/bin:$PATH"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$_AIRFLOW_ROOT/.airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$_AIRFLOW_ROOT/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-True}"
export AIRFLOW__LOGGING__COLORED_CONSOLE_LOG=False
export AIRFLOW_CONN_SCREENER_DB="${SCREENER_AIRFLOW_DATABASE_URL:-$DATABASE_URL}"
export AIRFLOW_CONN_SCREENER_DB_FETCHER="${SCREENER_FETCHER_DATABASE_URL:-$DATABASE_URL}"
if [[ -z "${AIRFLOW_CONN_EODHD_API:-}" ]]; then
  AIRFLOW_CONN_EODHD_API="$("$_AIRFLOW_ROOT/.venv/bin/python" -c '
import json, os
print(json.dumps({"conn_type": "http",
                  "host": os.environ.get("EODHD_BASE_URL", "https://eodhd.com/api"),
                  "password": os.environ.get("EODHD_API_TOKEN", "")}))')"
  export AIRFLOW_CONN_EODHD_API
fi
export SCREENER_EODHD_POOL_SLOTS="${SCREENER_EODHD_POOL_SLOTS:-8}"

airflow_init() {
  local af="$_AIRFLOW_ROOT/.venv/bin/airflow"
  mkdir -p "$AIRFLOW_HOME"
  if [[ ! -f "$AIRFLOW_HOME/airflow.db" ]]; then
    "$af" db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 \
      || { cat "$AIRFLOW_HOME/db-migrate.log" >&2; return 1; }
  fi
  "$af" pools set eodhd_api "$SCREENER_EODHD_POOL_SLOTS" \
    "Concurrent EODHD fetcher workers across all DAGs" >/dev/null 2>&1 \
    || { echo "airflow: could not create the eodhd_api pool" >&2; return 1; }
}

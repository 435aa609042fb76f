#!/usr/bin/env bash
# Airflow on this checkout: scripts/airflow.sh standalone (make airflow) or any airflow
# command, e.g. scripts/airflow.sh dags test data_collection_equities 2026-11-24T21:30:00+00:00
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/airflow_env.sh
source "$ROOT/scripts/airflow_env.sh"
airflow_init
if [[ "${1:-}" == "standalone" ]]; then
  cat <<MSG
== Airflow UI on http://localhost:${AIRFLOW__API__PORT:-8080}
   user admin; password: printed below by standalone and stored in
   $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated
   DAGs start paused: unpause data_collection_equities (or trigger it) in the UI.
MSG
fi
exec "$ROOT/.venv/bin/airflow" "$@"

"""Deployment settings of the DAGs, read from the environment in one place.

SCREENER_EXECUTOR          local (default: fetcher runs as a local process) or kubernetes
SCREENER_FETCHER_IMAGE     fetcher image in kubernetes mode (default screener-fetcher:latest)
SCREENER_K8S_NAMESPACE     namespace of the fetcher pods (default screener)
SCREENER_K8S_SECRET        Secret holding database-url and eodhd-api-token (default screener-secrets)
SCREENER_K8S_DATABASE_URL_KEY  the key of that Secret holding the fetcher pods' DATABASE_URL: the
                           URL of a login role of the fetcher group role screener_fetcher
                           (db/0014_roles.sql; default database-url)
SCREENER_K8S_SERVICE_ACCOUNT  service account of the fetcher pods (default screener-fetcher: no
                           API access, its token is not mounted; k8s/rbac.yaml)
SCREENER_K8S_IN_CLUSTER    true when Airflow runs in the cluster (default: true unless a config file is set)
SCREENER_K8S_CONFIG_FILE   kube config file when Airflow runs outside the cluster
SCREENER_EODHD_BASE_URL    API base URL given to pods (default https://eodhd.com/api)
SCREENER_TICKERS_DIR       the universe directory, passed as --dir to refresh-universe and
                           sync-universe (default: the project's config/tickers; in kubernetes
                           mode the image's /app/config/tickers)
SCREENER_K8S_TICKERS_PVC   PersistentVolumeClaim mounted at SCREENER_TICKERS_DIR in every pod, so
                           refresh-universe and sync-universe (separate pods) share the files
SCREENER_FETCHER_WORKERS   default number of parallel fetcher workers per run (default 4)
SCREENER_TASK_RETRIES      retries per task, with exponential backoff from 1 minute (default 2)

Database roles (db/0014_roles.sql, db/grants.sql): the SQL tasks connect through the Airflow
connection `screener_db` as a login role of screener_airflow; the fetcher processes the DAGs start
get the connection `screener_db_fetcher` (a login role of screener_fetcher) as DATABASE_URL, or
`screener_db` when that connection is not defined (a single-role setup).

Reading these is plain environment access: no database, network or Variable at import time.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import pendulum

DB_CONN_ID = "screener_db"
FETCHER_DB_CONN_ID = "screener_db_fetcher"
EODHD_CONN_ID = "eodhd_api"
EODHD_POOL = "eodhd_api"
# Slots of the eodhd_api pool (scripts/airflow_env.sh creates it with this many): at most this
# many fetcher workers run at once across all DAGs, so each sends at most 1/slots of the
# token's per-minute limit (`run --rate-share`) and together they stay under it.
EODHD_POOL_SLOTS = int(os.environ.get("SCREENER_EODHD_POOL_SLOTS", "8"))
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The project's config/tickers inside the fetcher image (k8s/Dockerfile: WORKDIR /app).
K8S_TICKERS_DIR = "/app/config/tickers"
START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")

# The execution id returned by the start_execution task (SQLExecuteQueryOperator pushes rows).
EXECUTION_ID = "{{ ti.xcom_pull(task_ids='start_execution')[0][0] }}"
# The same, or '' when start_execution failed (then there is no execution to finish).
EXECUTION_ID_OR_EMPTY = "{{ (ti.xcom_pull(task_ids='start_execution') or [['']])[0][0] }}"
# The business time of a run ("as of"), the one rule for every DAG and every kind of run: the
# data interval end (scheduled and backfill runs), else the logical date (a run triggered with
# one), else when the run was due, run_after (Asset-triggered runs, and CLI or REST triggers
# without a logical date, have neither). It reads the DagRun's own attributes: a run without a
# data interval has no `data_interval_end` / `logical_date` keys in its template context at all,
# and Airflow renders with StrictUndefined, so naming those keys would fail before `or` applies.
# (`default(none)`: a DagRun-like object without the attribute counts as not having the date.)
_AS_OF_TIME = "(dag_run.data_interval_end | default(none) or dag_run.logical_date | default(none) or dag_run.run_after)"
AS_OF = "{{ " + _AS_OF_TIME + ".isoformat() }}"
AS_OF_DATE = "{{ " + _AS_OF_TIME + ".strftime('%Y-%m-%d') }}"


def default_args() -> dict:
    """Retries with exponential backoff (1, 2, 4 ... minutes, at most 15)."""
    return {
        "owner": "screener",
        "retries": int(os.environ.get("SCREENER_TASK_RETRIES", "2")),
        "retry_delay": dt.timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": dt.timedelta(minutes=15),
    }


@dataclass(frozen=True)
class KubernetesSettings:
    image: str
    namespace: str
    secret_name: str
    in_cluster: bool
    config_file: str | None
    eodhd_base_url: str
    tickers_pvc: str | None = None
    service_account: str = "screener-fetcher"
    database_url_key: str = "database-url"


def executor_mode() -> str:
    mode = os.environ.get("SCREENER_EXECUTOR", "local").strip().lower()
    if mode not in ("local", "kubernetes"):
        raise ValueError(f"SCREENER_EXECUTOR must be 'local' or 'kubernetes', got {mode!r}")
    return mode


def kubernetes_settings() -> KubernetesSettings:
    env = os.environ
    config_file = env.get("SCREENER_K8S_CONFIG_FILE") or None
    default_in_cluster = "false" if config_file else "true"
    return KubernetesSettings(
        image=env.get("SCREENER_FETCHER_IMAGE", "screener-fetcher:latest"),
        namespace=env.get("SCREENER_K8S_NAMESPACE", "screener"),
        secret_name=env.get("SCREENER_K8S_SECRET", "screener-secrets"),
        in_cluster=env.get("SCREENER_K8S_IN_CLUSTER", default_in_cluster).lower() in ("1", "true", "yes"),
        config_file=config_file,
        eodhd_base_url=env.get("SCREENER_EODHD_BASE_URL", "https://eodhd.com/api"),
        tickers_pvc=env.get("SCREENER_K8S_TICKERS_PVC") or None,
        service_account=env.get("SCREENER_K8S_SERVICE_ACCOUNT", "screener-fetcher"),
        database_url_key=env.get("SCREENER_K8S_DATABASE_URL_KEY", "database-url"),
    )


def tickers_dir() -> str:
    """The universe directory the fetcher reads and rewrites (`--dir`), as the fetcher sees it."""
    value = os.environ.get("SCREENER_TICKERS_DIR", "").strip()
    if value:
        return value
    if executor_mode() == "kubernetes":
        return K8S_TICKERS_DIR
    return str(PROJECT_ROOT / "config" / "tickers")


def default_workers() -> int:
    return int(os.environ.get("SCREENER_FETCHER_WORKERS", "4"))

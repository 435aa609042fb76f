"""Airflow for the test suite: import this module before anything imports airflow.

It points AIRFLOW_HOME at a throw-away directory inside the checkout (.tmp/airflow-pytest),
turns the examples off, uses dags/ as the DAG folder and puts dags/ on sys.path (the DAG
processor does that for a bundle; a plain DagBag does not).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAGS = ROOT / "dags"
AIRFLOW_HOME = ROOT / ".tmp" / "airflow-pytest"

os.environ["AIRFLOW_HOME"] = str(AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS)
os.environ.setdefault("AIRFLOW__LOGGING__COLORED_CONSOLE_LOG", "False")
if str(DAGS) not in sys.path:
    sys.path.insert(0, str(DAGS))


def ensure_metadata_db() -> None:
    """Create the SQLite metadata database once (airflow db migrate, about 3 s)."""
    if (AIRFLOW_HOME / "airflow.db").exists():
        return
    AIRFLOW_HOME.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(ROOT / ".venv" / "bin" / "airflow"), "db", "migrate"], check=True,
                   capture_output=True, env=dict(os.environ))


def dag_bag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(DAGS))

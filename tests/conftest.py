"""pytest fixtures: pytest-postgresql against the running project server (never a mock).

The schema is built once per session into a template database through db/migrate.sh;
each test that asks for `postgresql` (a psycopg connection) or `db_url` gets a fresh
database cloned from it.

Airflow's test environment (tests/airflow_support: AIRFLOW_HOME, DAG folder) is set here, before
any test module is imported, so that no import order inside a test module (sorted by ruff) can
let airflow be imported first.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
from pytest_postgresql import factories

from tests import airflow_support  # noqa: F401  (Airflow's environment before airflow is imported)
from tests.dbutil import conninfo, migrate, server_url

_parts = urlsplit(server_url())
TEST_DBNAME = os.environ.get("SCREENER_PYTEST_DB", "screener_pytest")


def load_schema(host, port, user, dbname, password, **_kwargs) -> None:
    migrate(conninfo(host, port, user, dbname, password))


postgresql_server = factories.postgresql_noproc(
    host=_parts.hostname or "127.0.0.1",
    port=_parts.port or 5432,
    user=_parts.username or "postgres",
    password=_parts.password,
    dbname=TEST_DBNAME,
    load=[load_schema],
)
postgresql = factories.postgresql("postgresql_server")


@pytest.fixture
def db_url(postgresql) -> str:
    """URL of this test's fresh database (for subprocesses: fetcher, migrate, Airflow)."""
    info = postgresql.info
    return conninfo(info.host, info.port, info.user, info.dbname, info.password)

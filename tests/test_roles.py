"""Least privilege across processes (db/0014_roles.sql, db/grants.sql): a collection run planned as
the airflow role and fetched by fetcher processes connecting as the fetcher role, read back as the
reader; each role refused the others' work; the DAGs hand the fetcher its own role's URL; the
role names come from the migration's settings."""

from __future__ import annotations

import os
import subprocess
import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest

from eodhd_fake import FakeEodhd
from tests import airflow_support  # noqa: F401  (sets AIRFLOW_HOME before airflow is imported)
from tests.dbutil import MIGRATE, server_url, url_for
from tests.fetch_support import TODAY, assert_ledger_matches_server, finish, items, plan, prepare_db, spawn_run


def with_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=quote(user) + "@" + parts.netloc.rpartition("@")[2]))


def role_url(db_url: str, purpose: str) -> str:
    """db_url as the login role of a purpose (local trust auth: no password)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        login = conn.execute(
            "select login_role from pipeline.database_roles where purpose = %s", (purpose,)
        ).fetchone()[0]
    return with_user(db_url, login)


def test_a_run_planned_as_airflow_fetched_as_the_fetcher_and_read_as_the_reader(db_url, tmp_path):
    codes = [f"R{n:02d}.US" for n in range(6)]
    prepare_db(db_url, tmp_path / "tickers", codes)  # the owner: calendars and settings
    airflow, fetcher, reader = (role_url(db_url, p) for p in ("airflow", "fetcher", "reader"))
    execution_id, summary = plan(airflow, TODAY)
    assert summary["planned_items"] == len(codes)
    with FakeEodhd(today=TODAY) as fake:
        proc = spawn_run(fetcher, fake.url, execution_id)
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-2000:]
        assert all(i["status"] == "done" for i in items(db_url, execution_id))
        assert_ledger_matches_server(db_url, fake)
    assert finish(airflow, execution_id, TODAY)["status"] == "success"
    with psycopg.connect(reader, autocommit=True) as conn:
        status = conn.execute(
            "select status from monitor.execution_summary where execution_id = %s", (execution_id,)
        ).fetchone()[0]
        bars = conn.execute("select count(*) from market.stock_prices").fetchone()[0]
    assert status == "success" and bars > 0


def test_each_role_is_refused_the_work_of_the_others(db_url):
    airflow, fetcher, reader = (role_url(db_url, p) for p in ("airflow", "fetcher", "reader"))
    refused = [
        (fetcher, "select pipeline.start_execution('data_collection_equities', 'r', now())"),
        (fetcher, "select count(*) from market.stock_prices"),
        (airflow, "select * from pipeline.claim_work(1, 'w', 1, '1 minute')"),
        (airflow, "select body from raw.eodhd_payloads"),
        (reader, "select body from raw.eodhd_payloads"),
        (reader, "select market.refresh_screener()"),
    ]
    for url, sql in refused:
        with psycopg.connect(url, autocommit=True) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)


def test_the_dags_start_the_fetcher_with_the_fetcher_connection(monkeypatch):
    from screener_common.fetcher_task import fetcher_environment

    monkeypatch.setenv("AIRFLOW_CONN_SCREENER_DB", "postgresql://screener_airflow_login@db:5432/screener")
    monkeypatch.setenv(
        "AIRFLOW_CONN_SCREENER_DB_FETCHER", "postgresql://screener_fetcher_login:f-s3cret@db:5432/screener"
    )
    env, secrets = fetcher_environment()
    assert urlsplit(env["DATABASE_URL"]).username == "screener_fetcher_login"
    assert "f-s3cret" in secrets and not any(k.startswith("AIRFLOW_CONN_") for k in env)
    monkeypatch.delenv("AIRFLOW_CONN_SCREENER_DB_FETCHER")
    env, _ = fetcher_environment()  # a single-role setup: the one connection
    assert urlsplit(env["DATABASE_URL"]).username == "screener_airflow_login"


def test_fetcher_pods_read_their_url_from_the_configured_secret_key(monkeypatch, tmp_path):
    from screener_common.fetcher_task import pod_operator_kwargs

    config = tmp_path / "kubeconfig"
    config.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    monkeypatch.setenv("SCREENER_K8S_CONFIG_FILE", str(config))
    monkeypatch.setenv("SCREENER_K8S_DATABASE_URL_KEY", "fetcher-database-url")
    env = {e.name: e for e in pod_operator_kwargs("fetch", mapped=True)["env_vars"]}
    assert env["DATABASE_URL"].value_from.secret_key_ref.key == "fetcher-database-url"


def test_role_names_come_from_the_migration_settings():
    tag = "h" + uuid.uuid4().hex[:8]
    names = {p: (f"{tag}_{p}", f"{tag}_{p}_in") for p in ("fetcher", "airflow", "reader")}
    options = " ".join(f"-c screener.{p}_role={g} -c screener.{p}_login={lg}" for p, (g, lg) in names.items())
    dbname = f"roles_{tag}"
    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(f'create database "{dbname}"')
    try:
        env = dict(os.environ, DATABASE_URL=url_for(dbname), MIGRATE_QUIET="1", PGOPTIONS=options)
        subprocess.run([str(MIGRATE)], env=env, capture_output=True, text=True, check=True)
        with psycopg.connect(url_for(dbname), autocommit=True) as conn:
            rows = conn.execute("select purpose, group_role, login_role from pipeline.database_roles").fetchall()
            assert {p: (g, lg) for p, g, lg in rows} == names
            assert conn.execute(
                "select has_function_privilege(%s, 'pipeline.claim_work(bigint,text,integer,interval,timestamptz)',"
                " 'execute')",
                (names["fetcher"][1],),
            ).fetchone()[0]
        with psycopg.connect(with_user(url_for(dbname), names["reader"][1]), autocommit=True) as conn:
            assert conn.execute("select current_user").fetchone()[0] == names["reader"][1]
    finally:
        with psycopg.connect(server_url(), autocommit=True) as conn:
            conn.execute(f'drop database if exists "{dbname}" with (force)')
            for group, login in names.values():
                conn.execute(f'drop role if exists "{login}"')
                conn.execute(f'drop role if exists "{group}"')

"""Every DAG imports cleanly, with no database, network or Variable access at import time,
in both executor modes; the DAGs have the shape the pipeline relies on."""
from __future__ import annotations

import json
import socket

import pytest

from tests import airflow_support  # noqa: F401  (sets AIRFLOW_HOME before airflow is imported)

EXPECTED = {
    "data_collection_equities",
    "data_collection_bonds",
    "calculate_indicators",
    "refresh_universe_weekly",
    "maintenance_daily",
}


def _forbid(*_args, **_kwargs):
    raise AssertionError("DAG import touched the database, the network or a Variable")


@pytest.fixture
def no_io(monkeypatch):
    """Any socket connect, PostgreSQL connection, Variable or Connection lookup fails loudly."""
    import psycopg
    import psycopg2
    from airflow.sdk import BaseHook, Variable

    monkeypatch.setattr(socket.socket, "connect", _forbid)
    monkeypatch.setattr(socket.socket, "connect_ex", _forbid)
    monkeypatch.setattr(socket, "create_connection", _forbid)
    monkeypatch.setattr(psycopg, "connect", _forbid)
    monkeypatch.setattr(psycopg2, "connect", _forbid)
    monkeypatch.setattr(Variable, "get", _forbid)
    monkeypatch.setattr(BaseHook, "get_connection", _forbid)


@pytest.mark.parametrize("mode", ["local", "kubernetes"])
def test_every_dag_imports_without_io(no_io, monkeypatch, mode):
    monkeypatch.setenv("SCREENER_EXECUTOR", mode)
    bag = airflow_support.dag_bag()
    assert bag.import_errors == {}, bag.import_errors
    assert set(bag.dags) == EXPECTED


def test_collection_dag_shape(monkeypatch):
    monkeypatch.setenv("SCREENER_EXECUTOR", "local")
    bag = airflow_support.dag_bag()
    for dag_id in ("data_collection_equities", "data_collection_bonds"):
        dag = bag.dags[dag_id]
        assert dag.max_active_runs == 1 and dag.catchup is False
        assert dag.default_args["retries"] >= 1 and dag.default_args["retry_exponential_backoff"]
        chain = ["start_execution", "sync_universe", "discover_delta", "plan_workers", "fetch",
                 "finish_execution", "check_execution"]
        for upstream, downstream in zip(chain, chain[1:]):
            assert downstream in dag.get_task(upstream).downstream_task_ids, (dag_id, upstream)
        # every step before the fetch fails the run directly; fetch workers only through the status
        assert dag.get_task("check_execution").upstream_task_ids == {
            "start_execution", "sync_universe", "discover_delta", "plan_workers", "finish_execution"}
        assert dag.get_task("finish_execution").trigger_rule == "all_done"
        # bad conf is a validation error: it fails the run at once, not after retries
        assert dag.get_task("start_execution").retries == 0
        fetch = dag.get_task("fetch")
        assert fetch.partial_kwargs["pool"] == "eodhd_api"
        outlets = dag.get_task("check_execution").outlets
        assert [a.name for a in outlets] == ["screener_prices"]
    assert bag.dags["data_collection_equities"].schedule == "30 21 * * 1-5"


def test_indicators_dag_is_scheduled_on_the_prices_asset():
    bag = airflow_support.dag_bag()
    dag = bag.dags["calculate_indicators"]
    assert "screener_prices" in str(dag.timetable.asset_condition)
    assert [t.task_id for t in dag.topological_sort()] == [
        "start_execution", "refresh_indicators", "refresh_screener", "finish_execution", "check_execution"]
    assert dag.get_task("finish_execution").trigger_rule == "all_done"
    assert dag.get_task("check_execution").upstream_task_ids == {
        "start_execution", "refresh_indicators", "refresh_screener", "finish_execution"}


def test_sql_tasks_bind_parameters():
    """Every SQL task calls its function with %(name)s placeholders, never with values in the SQL."""
    from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

    bag = airflow_support.dag_bag()
    seen = 0
    for dag in bag.dags.values():
        for t in dag.tasks:
            if isinstance(t, SQLExecuteQueryOperator):
                seen += 1
                assert "{{" not in t.sql and "{%" not in t.sql, (dag.dag_id, t.task_id)
                for name in t.parameters:
                    assert f"%({name})s" in t.sql, (dag.dag_id, t.task_id, name)
    assert seen >= 12


@pytest.mark.parametrize("interval_end, logical, expected", [
    ("2026-11-24T21:30:00+00:00", "2026-11-24T21:30:00+00:00", "2026-11-24T21:30:00+00:00"),  # scheduled
    (None, "2026-11-24T12:00:00+00:00", "2026-11-24T12:00:00+00:00"),  # manual with a logical date
    (None, None, "2026-11-25T06:00:00+00:00"),  # asset-triggered: no interval, no logical date
])
def test_start_execution_binds_run_values(interval_end, logical, expected):
    """The as-of time falls back from the data interval end to the logical date to run_after;
    the conf reaches the database as JSON without Airflow's own `workers` param."""
    import copy
    from types import SimpleNamespace

    import pendulum

    bag = airflow_support.dag_bag()
    for dag_id in ("calculate_indicators", "data_collection_equities"):
        dag = bag.dags[dag_id]
        op = copy.deepcopy(dag.get_task("start_execution"))
        parse = lambda v: pendulum.parse(v) if v else None  # noqa: E731
        conf = {"tickers": ["AAPL.US"], "workers": 3}
        context = {
            "run_id": "asset_triggered__2026-11-25T06:00:00+00:00", "dag": dag, "task": op, "params": {},
            "data_interval_end": parse(interval_end), "logical_date": parse(logical),
            "dag_run": SimpleNamespace(run_after=pendulum.parse("2026-11-25T06:00:00+00:00"), conf=conf),
        }
        op.render_template_fields(context)
        assert op.parameters["process_name"] == dag_id
        assert op.parameters["run_id"] == "asset_triggered__2026-11-25T06:00:00+00:00"
        assert pendulum.parse(op.parameters["as_of"]) == pendulum.parse(expected)
        assert json.loads(op.parameters["conf"]) == conf  # 'workers' is removed in SQL
        assert "- 'workers'" in op.sql
        if dag_id == "data_collection_equities":
            assert "GBOND" not in json.loads(op.parameters["defaults"])["exchanges"]


def _universe_dirs(bag, mode: str) -> dict[tuple[str, str], str]:
    """The --dir of every refresh-universe and sync-universe task, by (dag, task)."""
    tasks = [("refresh_universe_weekly", "refresh_universe"), ("refresh_universe_weekly", "sync_universe"),
             ("data_collection_equities", "sync_universe"), ("data_collection_bonds", "sync_universe")]
    out = {}
    for dag_id, task_id in tasks:
        op = bag.dags[dag_id].get_task(task_id)
        argv = op.arguments if mode == "kubernetes" else op.op_args[0]
        assert argv[0] in ("refresh-universe", "sync-universe"), argv
        out[(dag_id, task_id)] = argv[argv.index("--dir") + 1]
    return out


@pytest.mark.parametrize("mode, default", [
    ("local", str(airflow_support.ROOT / "config" / "tickers")),
    ("kubernetes", "/app/config/tickers"),  # the project's config/tickers inside the fetcher image
])
def test_universe_tasks_share_the_tickers_dir(monkeypatch, tmp_path, mode, default):
    """refresh-universe and every sync-universe get SCREENER_TICKERS_DIR (default the project's
    config/tickers); in kubernetes mode the tickers claim is mounted at that same path."""
    from screener_common import fetcher_task

    monkeypatch.setenv("SCREENER_EXECUTOR", mode)
    monkeypatch.delenv("SCREENER_TICKERS_DIR", raising=False)
    if mode == "kubernetes":
        config = tmp_path / "kubeconfig"
        config.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
        monkeypatch.setenv("SCREENER_K8S_CONFIG_FILE", str(config))
        monkeypatch.setenv("SCREENER_K8S_TICKERS_PVC", "screener-tickers")
    assert set(_universe_dirs(airflow_support.dag_bag(), mode).values()) == {default}

    monkeypatch.setenv("SCREENER_TICKERS_DIR", "/srv/screener/tickers")
    assert set(_universe_dirs(airflow_support.dag_bag(), mode).values()) == {"/srv/screener/tickers"}
    if mode == "kubernetes":
        mounts = fetcher_task.pod_operator_kwargs("sync_universe", mapped=False)["volume_mounts"]
        assert [m.mount_path for m in mounts] == ["/srv/screener/tickers"]

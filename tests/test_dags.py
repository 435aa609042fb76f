"""Every DAG imports cleanly, with no database, network or Variable access at import time,
in both executor modes; the DAGs have the shape the pipeline relies on."""

from __future__ import annotations

import json
import re
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
        chain = [
            "start_execution",
            "sync_universe",
            "discover_delta",
            "plan_workers",
            "fetch",
            "finish_execution",
            "check_execution",
        ]
        for upstream, downstream in zip(chain, chain[1:]):
            assert downstream in dag.get_task(upstream).downstream_task_ids, (dag_id, upstream)
        # every step before the fetch fails the run directly; fetch workers only through the status
        assert dag.get_task("check_execution").upstream_task_ids == {
            "start_execution",
            "sync_universe",
            "discover_delta",
            "plan_workers",
            "finish_execution",
        }
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
        "start_execution",
        "refresh_indicators",
        "refresh_screener",
        "finish_execution",
        "check_execution",
    ]
    assert dag.get_task("finish_execution").trigger_rule == "all_done"
    assert dag.get_task("check_execution").upstream_task_ids == {
        "start_execution",
        "refresh_indicators",
        "refresh_screener",
        "finish_execution",
    }


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


# Context keys that a run without a data interval (Asset-triggered, or triggered without a
# logical date) does not have at all; Airflow renders with StrictUndefined.
DATED_KEYS = (
    "logical_date",
    "data_interval_start",
    "data_interval_end",
    "ds",
    "ds_nodash",
    "ts",
    "ts_nodash",
    "ts_nodash_with_tz",
    "prev_data_interval_start_success",
    "prev_data_interval_end_success",
)


@pytest.mark.parametrize("mode", ["local", "kubernetes"])
def test_templates_never_name_keys_runs_without_a_data_interval_lack(monkeypatch, tmp_path, mode):
    """The business time comes from settings.AS_OF / AS_OF_DATE, which read the DagRun's own
    attributes (dag_run.data_interval_end ...), never the bare context keys. (Rendering every
    task for every kind of run, in the context Airflow builds: tests/test_dag_run_types.py.)"""
    monkeypatch.setenv("SCREENER_EXECUTOR", mode)
    if mode == "kubernetes":
        config = tmp_path / "kubeconfig"
        config.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
        monkeypatch.setenv("SCREENER_K8S_CONFIG_FILE", str(config))
    bare = re.compile(r"(?<![.\w])(" + "|".join(DATED_KEYS) + r")\b")
    seen = 0
    for dag in airflow_support.dag_bag().dags.values():
        for task in dag.tasks:
            fields = {name: getattr(task, name, None) for name in task.template_fields}
            fields.update(getattr(task, "partial_kwargs", {}))
            for expression in re.findall(r"{{.*?}}|{%.*?%}", json.dumps(fields, default=str)):
                seen += 1
                assert not bare.findall(expression), (dag.dag_id, task.task_id, expression)
    assert seen >= 20


def test_collection_dags_have_trigger_params_and_their_own_docs():
    """tickers, exchanges, force (all), from_date and components are Trigger-form fields besides
    workers; left as they are, they give nothing (the scheduled run is unchanged); each DAG
    shows its own doc, which lists them."""
    from screener_common import collection, settings

    bag = airflow_support.dag_bag()
    equities = ["US", "LSE", "F", "XETRA", "PA", "AS", "BR", "LS", "MC", "SW"]
    for dag_id, exchanges in (("data_collection_equities", equities), ("data_collection_bonds", ["GBOND"])):
        dag = bag.dags[dag_id]
        params = {name: dag.params.get_param(name) for name in dag.params}
        assert list(params) == ["workers", "tickers", "exchanges", "force", "all", "from_date", "components"]
        assert dag.params.validate() == {
            "workers": settings.default_workers(),
            "tickers": None,
            "exchanges": None,
            "force": False,
            "all": False,
            "from_date": None,
            "components": None,
        }
        kinds = {
            name: [
                t
                for t in ([p.schema["type"]] if isinstance(p.schema["type"], str) else p.schema["type"])
                if t != "null"
            ]
            for name, p in params.items()
        }
        assert kinds == {
            "workers": ["integer"],
            "tickers": ["array"],
            "exchanges": ["array"],
            "force": ["boolean"],
            "all": ["boolean"],
            "from_date": ["string"],
            "components": ["array"],
        }
        assert params["exchanges"].schema["examples"] == exchanges  # a multi-select of the DAG's own
        assert params["components"].schema["examples"] == ["prices", "fundamentals", "corporate_actions"]
        assert "format" not in params["from_date"].schema  # the database checks the date, with its message
        assert all(p.description and p.schema.get("title") for p in params.values())
        doc = dag.doc_md
        assert doc.startswith(f"### {dag_id}") and doc != collection.__doc__
        assert all(f"`{name}`" in doc for name in params), doc
    assert bag.dags["data_collection_equities"].doc_md != bag.dags["data_collection_bonds"].doc_md


def _universe_dirs(bag, mode: str) -> dict[tuple[str, str], str]:
    """The --dir of every refresh-universe and sync-universe task, by (dag, task)."""
    tasks = [
        ("refresh_universe_weekly", "refresh_universe"),
        ("refresh_universe_weekly", "sync_universe"),
        ("data_collection_equities", "sync_universe"),
        ("data_collection_bonds", "sync_universe"),
    ]
    out = {}
    for dag_id, task_id in tasks:
        op = bag.dags[dag_id].get_task(task_id)
        argv = op.arguments if mode == "kubernetes" else op.op_args[0]
        assert argv[0] in ("refresh-universe", "sync-universe"), argv
        out[(dag_id, task_id)] = argv[argv.index("--dir") + 1]
    return out


@pytest.mark.parametrize(
    "mode, default",
    [
        ("local", str(airflow_support.ROOT / "config" / "tickers")),
        ("kubernetes", "/app/config/tickers"),  # the project's config/tickers inside the fetcher image
    ],
)
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

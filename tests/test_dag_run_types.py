"""Every templated field of every task of every DAG renders for every kind of run production
makes, in the context Airflow itself builds for that run.

Each run is created by Airflow's own code (the scheduler's run creation for scheduled and
Asset-triggered runs, trigger_dag as `airflow dags trigger` / the REST API call it, the
backfill creator) and its tasks run through the Task SDK's runner and the in-process
Execution API, as dag.test() runs them: the runner builds the context and renders the fields
before `execute`. Only the leaves are replaced (the SQL statement, the fetcher process or
pod, the execution's status), so no PostgreSQL and no network are needed; the rendered values
are recorded and checked. Asset-triggered runs and runs without a logical date have no data
interval: their context has no `data_interval_end` / `logical_date` keys at all.
"""

from __future__ import annotations

import datetime as dt
import json

import pendulum
import pytest

from tests import airflow_support

PERIODIC = ["data_collection_equities", "data_collection_bonds", "refresh_universe_weekly", "maintenance_daily"]
ALL = [*PERIODIC, "calculate_indicators"]
EQUITY_EXCHANGES = ["US", "LSE", "F", "XETRA", "PA", "AS", "BR", "LS", "MC", "SW"]
EXECUTION_ID = 42
# Fri 2026-11-20 12:00 to Sat 12:00 UTC: each periodic DAG's cron fires once in it.
BACKFILL_FROM = pendulum.datetime(2026, 11, 20, 12, tz="UTC")
BACKFILL_TO = BACKFILL_FROM.add(days=1)
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: fake, context: {cluster: fake, user: fake}}]
current-context: fake
users: [{name: fake, user: {token: not-a-real-token}}]
"""


def _parsed_and_synced(mp: pytest.MonkeyPatch, mode: str):
    mp.setenv("SCREENER_EXECUTOR", mode)
    mp.setenv("SCREENER_TASK_RETRIES", "0")
    mp.setenv("SCREENER_FETCHER_WORKERS", "2")
    airflow_support.sync_dags_to_db()
    airflow_support.clear_unfinished_runs(*ALL)
    bag = airflow_support.dag_bag()
    assert bag.import_errors == {}
    return bag


@pytest.fixture(scope="module")
def airflow():
    """The DAGs (fetchers as local processes), parsed and written to the metadata database."""
    with pytest.MonkeyPatch.context() as mp:
        yield _parsed_and_synced(mp, "local")


@pytest.fixture
def airflow_kubernetes(tmp_path):
    """The same in kubernetes mode (fetcher pods), with a kube config that reaches no cluster."""
    config = tmp_path / "kubeconfig"
    config.write_text(KUBECONFIG)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SCREENER_K8S_CONFIG_FILE", str(config))
        yield _parsed_and_synced(mp, "kubernetes")


@pytest.fixture
def rendered(monkeypatch):
    """Replace the leaves; record what each task rendered, by (dag_id, run_id, task key)."""
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
    from airflow.providers.postgres.hooks.postgres import PostgresHook
    from airflow.sdk import get_current_context
    from screener_common import fetcher_task

    seen: dict[tuple[str, str, str], object] = {}

    def key(context) -> tuple[str, str, str]:
        ti = context["ti"]
        name = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
        return ti.dag_id, ti.run_id, name

    def sql(self, context):
        seen[key(context)] = dict(self.parameters)
        return [[EXECUTION_ID]]

    def pod(self, context):
        seen[key(context)] = {"arguments": list(self.arguments), "name": self.name, "labels": dict(self.labels)}

    def process(argv):
        seen[key(get_current_context())] = {"arguments": list(argv)}

    monkeypatch.setattr(SQLExecuteQueryOperator, "execute", sql)
    monkeypatch.setattr(KubernetesPodOperator, "execute", pod)
    monkeypatch.setattr(fetcher_task, "run_fetcher_process", process)
    monkeypatch.setattr(PostgresHook, "get_first", lambda self, sql, parameters=None: ("success", "{}"))
    return seen


def _business_time(run) -> dt.datetime:
    """What the run's as-of must be: the data interval end of a run that has one (scheduled,
    backfill, a trigger with a logical date), else when it was due (run_after)."""
    if run.run_type in ("scheduled", "backfill"):
        assert run.data_interval_end is not None, run
    if run.logical_date is None:
        assert run.data_interval_end is None, run  # the case dag.test() never shows
        return run.run_after
    return run.data_interval_end or run.logical_date


def _check(bag, dag_id: str, run_id: str, seen: dict, conf: dict | None = None) -> None:
    run = airflow_support.run_dagrun(bag.dags[dag_id], run_id)
    states = airflow_support.task_states(run)
    assert run.state == "success", (dag_id, run.run_type, states)
    assert set(states.values()) == {"success"}, states
    mine = {task: values for (d, r, task), values in seen.items() if (d, r) == (dag_id, run_id)}
    # every DAG renders its business time somewhere, as a timestamp or a date: always this one
    when = _business_time(run)
    times = [v[name] for v in mine.values() for name in ("as_of", "now") if name in v]
    times += [
        v["arguments"][v["arguments"].index("--as-of") + 1]
        for v in mine.values()
        if "--as-of" in v.get("arguments", [])
    ]
    assert times, mine
    for value in times:
        if len(value) == len("YYYY-MM-DD"):
            assert value == when.strftime("%Y-%m-%d"), (dag_id, run.run_type, value, when)
        else:
            assert pendulum.parse(value) == when, (dag_id, run.run_type, value, when)
    if "start_execution" in mine:
        start = mine["start_execution"]
        assert start["process_name"] == dag_id and start["run_id"] == run_id
        given = json.loads(start["parameters"])
        assert given == {k: v for k, v in (conf or {}).items() if k != "workers"}, given
    for name, values in mine.items():
        if name.startswith("fetch["):
            args = values["arguments"]
            assert args[:3] == ["run", "--execution-id", str(EXECUTION_ID)], args
            assert f"{dag_id}-w{name[6:-1]}" in args


def test_scheduled_runs(airflow, rendered):
    for dag_id in PERIODIC:
        run_id = airflow_support.scheduler_creates_scheduled_run(dag_id)
        assert run_id.startswith("scheduled__")
        _check(airflow, dag_id, run_id, rendered)


def test_manual_runs_without_logical_date(airflow, rendered):
    """`airflow dags trigger` / REST API without a logical date; the collection DAGs with conf."""
    conf = {"tickers": ["AAPL.US"], "force": True, "workers": 3}
    for dag_id in ALL:
        given = conf if dag_id.startswith("data_collection") else None
        run_id = airflow_support.trigger(dag_id, given)
        _check(airflow, dag_id, run_id, rendered, given)
        if given:
            assert sum(1 for d, r, t in rendered if (d, r) == (dag_id, run_id) and t.startswith("fetch[")) == 3


def test_manual_runs_with_logical_date(airflow, rendered):
    when = pendulum.datetime(2026, 11, 23, 12, tz="UTC")
    for dag_id in ALL:
        run_id = airflow_support.trigger(dag_id, logical_date=when)
        _check(airflow, dag_id, run_id, rendered)


def test_asset_triggered_run(airflow, rendered):
    """An event of the prices Asset queues calculate_indicators; the scheduler creates the
    run (no logical date, no data interval) that consumes it."""
    from airflow import settings
    from airflow.assets.manager import AssetManager
    from airflow.models.asset import AssetModel
    from airflow.models.dagrun import DagRun
    from sqlalchemy import select

    with airflow_support.unpaused_consumer("calculate_indicators"):
        with settings.Session() as session:  # what the Execution API does for a task's outlet
            asset = session.scalar(select(AssetModel).where(AssetModel.name == "screener_prices"))
            event_id = AssetManager.register_asset_change(asset=asset, session=session).id
            session.commit()
        created = airflow_support.scheduler_creates_runs()
    assert [dag_id for dag_id, _ in created] == ["calculate_indicators"], created
    run_id = created[0][1]
    with settings.Session() as session:
        run = session.scalar(select(DagRun).where(DagRun.run_id == run_id))
        assert run.run_type == "asset_triggered"
        assert run.logical_date is None and run.data_interval_end is None
        assert event_id in [e.id for e in run.consumed_asset_events]
    _check(airflow, "calculate_indicators", run_id, rendered)


def test_backfill_runs(airflow, rendered):
    for dag_id in PERIODIC:
        run_ids = airflow_support.backfill(dag_id, BACKFILL_FROM, BACKFILL_TO)
        assert len(run_ids) == 1, (dag_id, run_ids)
        for run_id in run_ids:
            assert run_id.startswith("backfill__")
            _check(airflow, dag_id, run_id, rendered)
    airflow_support.scheduler_marks_backfills_complete()


@pytest.mark.parametrize(
    "conf, given",
    [
        # the Trigger form as the UI sends it, untouched: every Param, empty ones as null
        (
            {
                "workers": 4,
                "tickers": None,
                "exchanges": None,
                "force": False,
                "all": False,
                "from_date": None,
                "components": None,
            },
            {},
        ),
        # the form filled in
        (
            {
                "workers": 2,
                "tickers": ["AAPL.US", "BP.LSE"],
                "exchanges": ["US", "LSE"],
                "force": True,
                "from_date": "2026-03-02",
                "components": ["prices"],
            },
            {
                "tickers": ["AAPL.US", "BP.LSE"],
                "exchanges": ["US", "LSE"],
                "force": True,
                "from_date": "2026-03-02",
                "components": ["prices"],
            },
        ),
        # emptied fields are "not given" too
        ({"tickers": [], "exchanges": [], "force": False, "from_date": "", "components": []}, {}),
        ({"force": True, "all": True}, {"force": True, "all": True}),
        # `airflow dags trigger -c`: unknown keys go to the database as they are (it refuses them)
        ({"tickerz": ["AAPL.US"], "bogus": None, "workers": 1}, {"tickerz": ["AAPL.US"], "bogus": None}),
    ],
)
def test_trigger_parameters_reach_start_execution(airflow, rendered, conf, given):
    """What pipeline.start_execution gets (over the DAG's default exchanges) for a trigger."""
    dag_id = "data_collection_equities"
    run_id = airflow_support.trigger(dag_id, conf)
    run = airflow_support.run_dagrun(airflow.dags[dag_id], run_id)
    assert run.state == "success", airflow_support.task_states(run)
    start = rendered[(dag_id, run_id, "start_execution")]
    assert json.loads(start["parameters"]) == given
    assert json.loads(start["defaults"]) == {"exchanges": EQUITY_EXCHANGES}
    workers = conf.get("workers") or airflow.dags[dag_id].params["workers"]
    assert sum(1 for d, r, t in rendered if (d, r) == (dag_id, run_id) and t.startswith("fetch[")) == workers


def test_trigger_with_a_wrong_shape_is_refused_by_airflow(airflow):
    """The Params give the shapes (list, boolean, string or empty): Airflow refuses a run whose
    conf has another one, before it exists; the values are the database's to check."""
    from airflow.sdk.exceptions import ParamValidationError

    for conf in ({"tickers": "AAPL.US"}, {"force": "yes"}, {"all": 1}, {"from_date": 20260302}, {"workers": 0}):
        with pytest.raises(ParamValidationError):
            airflow_support.trigger("data_collection_equities", conf)


def test_pods_render_without_a_data_interval(airflow_kubernetes, rendered):
    """Kubernetes mode: the fetcher pods of runs without a data interval (the scheduled case
    is tests/test_pod_spec.py's): a name per worker and try, the run's date, the execution."""
    conf = {"tickers": ["AAPL.US"], "workers": 2}
    for dag_id in ("data_collection_equities", "data_collection_bonds", "refresh_universe_weekly"):
        given = conf if dag_id.startswith("data_collection") else None
        run_id = airflow_support.trigger(dag_id, given)
        _check(airflow_kubernetes, dag_id, run_id, rendered, given)
        pods = {task: v["name"] for (d, r, task), v in rendered.items() if (d, r) == (dag_id, run_id) and "name" in v}
        assert pods, rendered
        for task, name in pods.items():  # a new name for every worker and every try
            worker = f"-w{task.split('[')[1][:-1]}" if "[" in task else ""
            assert name == f"fetcher-{task.split('[')[0].replace('_', '-')}{worker}-t1", name

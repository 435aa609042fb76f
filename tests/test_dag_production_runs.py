"""DAG runs as production makes them, against the real PostgreSQL (a fresh migrated database
per test), the local EODHD server and the fetcher as a local process.

- The Asset event of a collection run queues `calculate_indicators`; the scheduler's own run
  creation (SchedulerJobRunner._create_dagruns_for_dags) makes the Asset-triggered run, with
  no logical date and no data interval, and its tasks run for real: the indicators advance to
  the newly landed session. Its as-of is when the event arrived (run_after), so the trading
  days are the last two US sessions before now, whatever the date.
- `airflow dags trigger -c '{...}'` (the CLI, in its own process) without a logical date starts
  the collection DAGs; the run's conf reaches pipeline.start_execution next to the DAG's
  defaults, and what the database refuses (an unknown key, force without a selection) fails
  the first task.

The runs go through the Task SDK's runner and the in-process Execution API, as dag.test() runs
them (see airflow_support.run_dagrun); `airflow standalone` is not needed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from dataclasses import dataclass

import psycopg
import pytest

from tests import airflow_support
from tests.test_e2e_dags import TOKEN, Pipeline, _fetcher, bag  # noqa: F401  (bag: the DAGs, parsed once)

US = ["AAPL.US", "MSFT.US"]
BONDS = ["US10Y.GBOND"]
EQUITY_EXCHANGES = ["US", "LSE", "F", "XETRA", "PA", "AS", "BR", "LS", "MC", "SW"]


@dataclass
class Live(Pipeline):
    """The e2e Pipeline with trading days relative to now: d2 is the latest US session
    published now, d1 the one before."""

    d1: dt.date
    d2: dt.date


@pytest.fixture
def live(bag, db_url, monkeypatch):  # noqa: F811  (bag: the fixture imported above)
    from eodhd_fake.server import FakeEodhd

    today = dt.datetime.now(dt.UTC).date()
    _fetcher(
        db_url,
        "load-calendars",
        "--start",
        (today - dt.timedelta(days=200)).isoformat(),
        "--end",
        (today + dt.timedelta(days=10)).isoformat(),
        "--exchange",
        "US",
        "--exchange",
        "GBOND",
    )
    with psycopg.connect(db_url, autocommit=True) as conn:
        (d2,) = conn.execute("select pipeline.get_expected_session('US', now())").fetchone()
        (d1,) = conn.execute(
            "select max(session_date) from market.trading_sessions where exchange_code = 'US' and session_date < %s",
            (d2,),
        ).fetchone()
        conn.execute("update pipeline.settings set history_start = %s", (d1 - dt.timedelta(days=90),))
    _fetcher(db_url, "sync-universe", "--as-of", d1.isoformat())
    fake = FakeEodhd(today=d1, tokens={TOKEN: "paid"}, per_minute_limit=100_000).start()
    monkeypatch.setenv("AIRFLOW_CONN_SCREENER_DB", db_url)
    monkeypatch.setenv("AIRFLOW_CONN_EODHD_API", json.dumps({"conn_type": "http", "host": fake.url, "password": TOKEN}))
    monkeypatch.setenv("EODHD_RATE_LIMIT", "100000")
    monkeypatch.delenv("EODHD_API_TOKEN", raising=False)
    # the serialized DAGs the scheduler and the CLI read: the same mode and settings as `bag`
    monkeypatch.setenv("SCREENER_EXECUTOR", "local")
    monkeypatch.setenv("SCREENER_TASK_RETRIES", "0")
    monkeypatch.setenv("SCREENER_FETCHER_WORKERS", "2")
    airflow_support.sync_dags_to_db()
    airflow_support.clear_unfinished_runs("calculate_indicators", "data_collection_equities", "data_collection_bonds")
    try:
        yield Live(db_url, fake, bag, d1, d2)
    finally:
        fake.stop()


@pytest.fixture
def indicators_unpaused():
    with airflow_support.unpaused_consumer("calculate_indicators"):
        yield


def _run_row(run_id: str):
    from airflow import settings
    from airflow.models.dagrun import DagRun
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    with settings.Session() as session:
        return session.scalar(
            select(DagRun).where(DagRun.run_id == run_id).options(selectinload(DagRun.consumed_asset_events))
        )


def _last_event_id() -> int:
    from airflow import settings
    from airflow.models.asset import AssetEvent
    from sqlalchemy import func, select

    with settings.Session() as session:
        return session.scalar(select(func.coalesce(func.max(AssetEvent.id), 0)))


def _events_since(event_id: int) -> list[tuple[int, str]]:
    """(id, source run id) of the Asset events emitted after `event_id`."""
    from airflow import settings
    from airflow.models.asset import AssetEvent
    from sqlalchemy import select

    with settings.Session() as session:
        return session.execute(
            select(AssetEvent.id, AssetEvent.source_run_id).where(AssetEvent.id > event_id).order_by(AssetEvent.id)
        ).all()


def _execution(p: Live, process: str, run_id: str) -> tuple[str, dt.datetime, dict]:
    return p.query(
        "select status, as_of, parameters from pipeline.process_executions where process_name = %s and run_id = %s",
        (process, run_id),
    )[0]


def test_collection_asset_event_triggers_indicators(live, indicators_unpaused):
    """Two days: each collection run's event makes the scheduler create one Asset-triggered
    run (consuming that event), which succeeds and adds the indicators of the new session."""
    p = live
    indicators = p.bag.dags["calculate_indicators"]
    for day in (p.d1, p.d2):
        p.fake.set_today(day)
        before = _last_event_id()
        collection = p.run("data_collection_equities", day, {"tickers": US})
        assert collection.state == "success", airflow_support.task_states(collection)
        events = _events_since(before)
        assert [run_id for _, run_id in events] == [collection.run_id]
        events = [event_id for event_id, _ in events]

        created = airflow_support.scheduler_creates_runs()
        assert [dag_id for dag_id, _ in created] == ["calculate_indicators"], created
        run_id = created[0][1]
        row = _run_row(run_id)
        assert row.run_type == "asset_triggered" and row.triggered_by.value == "asset"
        assert row.logical_date is None and row.data_interval_start is None and row.data_interval_end is None
        consumed = [e.id for e in row.consumed_asset_events]
        assert events[0] in consumed
        if day == p.d2:  # only what arrived since the previous Asset-triggered run
            assert consumed == events

        run = airflow_support.run_dagrun(indicators, run_id)
        assert run.state == "success", airflow_support.task_states(run)
        status, as_of, _ = _execution(p, "calculate_indicators", run_id)
        assert status == "success" and as_of == row.run_after  # as of when the event arrived
        latest = dict(
            p.query(
                "select a.ticker, max(t.trade_date) from market.technical_indicators t"
                " join market.assets a using (asset_id) group by 1"
            )
        )
        assert latest == {ticker: day for ticker in US}, latest


def _cli_trigger(dag_id: str, conf: dict) -> dict:
    """`airflow dags trigger DAG -c CONF -o json` in its own process; the run it created."""
    airflow = str(airflow_support.ROOT / ".venv" / "bin" / "airflow")
    out = subprocess.run(
        [airflow, "dags", "trigger", dag_id, "-c", json.dumps(conf), "-o", "json"],
        env=dict(os.environ),
        cwd=airflow_support.ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (run,) = json.loads(next(line for line in out.splitlines() if line.startswith("[")))
    return run


def test_cli_trigger_with_conf_and_no_logical_date(live, capfd, caplog):
    p = live
    with psycopg.connect(p.url, autocommit=True) as conn:
        (bonds_day,) = conn.execute("select pipeline.get_expected_session('GBOND', now())").fetchone()
    p.fake.set_today(max(p.d2, bonds_day))

    for dag_id, conf, exchanges, tickers in [
        ("data_collection_equities", {"tickers": US, "workers": 3}, EQUITY_EXCHANGES, US),
        ("data_collection_bonds", {"tickers": BONDS, "components": []}, ["GBOND"], BONDS),
    ]:
        created = _cli_trigger(dag_id, conf)
        assert created["logical_date"] is None and created["data_interval_end"] is None
        row = _run_row(created["dag_run_id"])
        assert row.run_type == "manual" and row.logical_date is None and row.conf == conf
        run = airflow_support.run_dagrun(p.bag.dags[dag_id], created["dag_run_id"])
        states = airflow_support.task_states(run)
        assert run.state == "success", states
        status, as_of, parameters = _execution(p, dag_id, run.run_id)
        assert status == "success" and as_of == run.run_after
        # the DAG's default exchanges, the conf's tickers; `workers` is Airflow's, [] "not given"
        assert parameters == {"exchanges": exchanges, "tickers": tickers}, parameters
        assert len([t for t in states if t.startswith("fetch[")]) == conf.get("workers", 2)
    bars = dict(
        p.query(
            "select a.ticker, max(s.trade_date) from market.stock_prices s"
            " join market.assets a using (asset_id) group by 1"
        )
    )
    assert set(bars) == {*US, *BONDS} and all(bars[t] == p.d2 for t in US), bars

    # what the database refuses fails the first task, before any API call: an unknown key, and
    # force without a selection of the operator's own (the DAG's default exchanges are none)
    requests = p.fake.counts()["requests"]
    for conf, message in [
        ({"tickerz": ["AAPL.US"]}, "unknown parameter(s): tickerz"),
        ({"force": True}, "force without tickers or exchanges"),
    ]:
        created = _cli_trigger("data_collection_equities", conf)
        run = airflow_support.run_dagrun(p.bag.dags["data_collection_equities"], created["dag_run_id"])
        states = airflow_support.task_states(run)
        assert run.state == "failed" and states["start_execution"] == "failed", states
        assert p.query("select 1 from pipeline.process_executions where run_id = %s", (run.run_id,)) == []
        out, err = capfd.readouterr()
        assert message in out + err + caplog.text, conf
    assert p.fake.counts()["requests"] == requests

"""The DAGs end to end: real PostgreSQL (a fresh migrated database per test), real Airflow
`dag.test()` with the fetcher as a local process, and the local EODHD-compatible server.

A few tickers keep it lean: every run passes conf `tickers`. Sessions (exchange-calendars):
Tue 2026-11-24 and Wed 2026-11-25 trade everywhere; Thu 2026-11-26 is Thanksgiving (US
closed, Europe open); Fri 2026-11-27 a US half-day; Sat 2026-11-28 nothing trades.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass

import pendulum
import psycopg
import pytest

from tests import airflow_support

# The fetcher's run command and the local EODHD server are separate pieces of the tree.
pytest.importorskip("fetcher.run")
pytest.importorskip("eodhd_fake.server")

ROOT = airflow_support.ROOT
PY = str(ROOT / ".venv" / "bin" / "python")
TOKEN = "e2e-token-NEVER-LOGGED-27182818"
US = ["AAPL.US", "MSFT.US"]
TICKERS = [*US, "BP.LSE", "SAP.XETRA"]
D1 = dt.date(2026, 11, 24)
D2 = dt.date(2026, 11, 25)
THANKSGIVING = dt.date(2026, 11, 26)
SATURDAY = dt.date(2026, 11, 28)
HISTORY_START = "2026-05-01"  # keeps initial loads small (pipeline.settings.history_start)


def at_close(day: dt.date) -> pendulum.DateTime:
    """The scheduled time of the collection run for a session day (21:30 UTC)."""
    return pendulum.datetime(day.year, day.month, day.day, 21, 30, tz="UTC")


@pytest.fixture(scope="module")
def bag():
    """The DAGs, parsed once, with retries off (a failure shows at once) and local fetchers."""
    from eodhd_fake.server import FakeEodhd  # noqa: F401  (fail early if missing)

    airflow_support.ensure_metadata_db()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SCREENER_TASK_RETRIES", "0")
        mp.setenv("SCREENER_EXECUTOR", "local")
        mp.setenv("SCREENER_FETCHER_WORKERS", "2")
        dags = airflow_support.dag_bag()
    assert dags.import_errors == {}
    return dags


@dataclass
class Pipeline:
    url: str
    fake: object
    bag: object

    def run(self, dag_id: str, day: dt.date, conf: dict | None = None, *, run_after=None):
        """One DAG run for `day` (same day and run_after: the same run id, i.e. a re-run)."""
        when = at_close(day)
        with airflow_support.params_kept(self.bag.dags[dag_id]) as dag:
            return dag.test(logical_date=when, run_after=run_after or when, run_conf=conf)

    def query(self, sql: str, params=None) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params=None):
        return self.query(sql, params)[0][0]

    def latest_execution(self, process: str) -> tuple[int, str, dict]:
        return self.query(
            "select execution_id, status, summary from pipeline.process_executions"
            " where process_name = %s order by execution_id desc limit 1",
            (process,),
        )[0]

    def ledger_cost(self, execution_id: int | None = None) -> int:
        if execution_id is None:
            return self.scalar("select coalesce(sum(cost), 0) from pipeline.api_calls")
        return self.scalar(
            "select coalesce(sum(cost), 0) from pipeline.api_calls where execution_id = %s", (execution_id,)
        )

    def digests(self) -> dict[str, str]:
        """md5 of every business table (market schema), row by row in a stable order."""
        tables = [
            r[0]
            for r in self.query(
                "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                " where n.nspname = 'market' and c.relkind in ('r', 'p') order by 1"
            )
        ]
        out = {}
        for t in tables:
            out[t] = self.scalar(
                f"select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from market.{t} as x"
            )
        return out


def _fetcher(url: str, *args: str) -> None:
    env = dict(os.environ, DATABASE_URL=url)
    subprocess.run([PY, "-m", "fetcher", *args], cwd=ROOT, env=env, check=True, capture_output=True)


@pytest.fixture
def pipeline(bag, db_url, monkeypatch):
    from eodhd_fake.server import FakeEodhd

    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("update pipeline.settings set history_start = %s", (HISTORY_START,))
    _fetcher(
        db_url,
        "load-calendars",
        "--start",
        "2026-01-01",
        "--end",
        "2026-12-31",
        "--exchange",
        "US",
        "--exchange",
        "LSE",
        "--exchange",
        "XETRA",
    )
    _fetcher(db_url, "sync-universe", "--as-of", D1.isoformat())
    fake = FakeEodhd(today=D1, tokens={TOKEN: "paid"}, per_minute_limit=100_000).start()
    monkeypatch.setenv("AIRFLOW_CONN_SCREENER_DB", db_url)
    monkeypatch.setenv("AIRFLOW_CONN_EODHD_API", json.dumps({"conn_type": "http", "host": fake.url, "password": TOKEN}))
    monkeypatch.setenv("EODHD_RATE_LIMIT", "100000")
    monkeypatch.delenv("EODHD_API_TOKEN", raising=False)
    try:
        yield Pipeline(db_url, fake, bag)
    finally:
        fake.stop()


@contextmanager
def every_task_retried_once(dag):
    """Each SQL and fetcher task does its work on its first try, then fails; one retry at once.

    Yields the set of task ids (fetch[i] for mapped workers) that failed that way."""
    from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
    from screener_common import fetcher_task

    failed: set[str] = set()
    real_execute = SQLExecuteQueryOperator.execute
    real_fetcher = fetcher_task.run_fetcher_process

    def execute(self, context):
        result = real_execute(self, context)
        if self.task_id not in failed:
            failed.add(self.task_id)
            raise RuntimeError(f"{self.task_id}: connection lost after the work was done")
        return result

    def fetcher(argv):
        from airflow.sdk import get_current_context

        real_fetcher(argv)
        ti = get_current_context()["ti"]
        key = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
        if key not in failed:
            failed.add(key)
            raise RuntimeError(f"{key}: pod evicted after the work was done")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(SQLExecuteQueryOperator, "execute", execute)
        mp.setattr(fetcher_task, "run_fetcher_process", fetcher)
        for task in dag.tasks:
            if task.task_id == "check_execution":
                continue
            if hasattr(task, "partial_kwargs"):
                mp.setitem(task.partial_kwargs, "retries", 1)
                mp.setitem(task.partial_kwargs, "retry_delay", dt.timedelta(0))
            else:
                mp.setattr(task, "retries", 1)
                mp.setattr(task, "retry_delay", dt.timedelta(0))
        yield failed


def _states(dagrun) -> dict[str, str]:
    return {
        (ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"): str(ti.state)
        for ti in dagrun.get_task_instances()
    }


def _asset_events() -> int:
    from airflow import settings
    from airflow.models.asset import AssetEvent, AssetModel
    from sqlalchemy import func, select

    with settings.Session() as session:
        return session.scalar(
            select(func.count())
            .select_from(AssetEvent)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.name == "screener_prices")
        )


def _bars(p: Pipeline) -> dict[str, tuple[int, dt.date]]:
    return {
        t: (n, last)
        for t, n, last in p.query(
            "select a.ticker, count(*), max(s.trade_date) from market.stock_prices s"
            " join market.assets a using (asset_id) group by a.ticker"
        )
    }


def _sessions(p: Pipeline, exchange: str, start: dt.date, end: dt.date) -> int:
    return p.scalar(
        "select count(*) from market.trading_sessions where exchange_code = %s and session_date between %s and %s",
        (exchange, start, end),
    )


def test_daily_cycle_initial_incremental_retries_rerun_holiday_weekend(pipeline, capfd):
    p = pipeline
    conf = {"tickers": TICKERS}
    events = _asset_events()

    # -- day 1: initial load (fundamentals 10 + full price history 1 per ticker) -------------
    run = p.run("data_collection_equities", D1, conf)
    assert run.state == "success", _states(run)
    eid1, status, summary = p.latest_execution("data_collection_equities")
    assert status == "success", summary
    assert p.ledger_cost(eid1) == 11 * len(TICKERS)
    assert p.fake.counts()["charged_calls"] == 11 * len(TICKERS)  # the ledger is the truth
    bars = _bars(p)
    assert set(bars) == set(TICKERS)
    first = dt.date.fromisoformat(HISTORY_START)
    for ticker, (n, last) in bars.items():
        exchange = ticker.split(".")[1]
        assert last == D1, ticker
        assert n == _sessions(p, exchange, first, D1), ticker  # every session, none twice
    assert p.query(
        "select distinct s.status from pipeline.asset_processing_state s join market.assets a"
        " using (asset_id) where a.ticker = any(%s)",
        (TICKERS,),
    ) == [("active",)]
    assert p.scalar("select count(*) from market.fundamentals") == len(TICKERS)
    assert _asset_events() == events + 1

    # -- day 2: incremental, one eod call per ticker. Every task's first try does its work
    # and then dies (the worst moment), so every task runs twice: nothing may count twice.
    p.fake.set_today(D2)
    before = p.fake.counts()["charged_calls"]
    with every_task_retried_once(p.bag.dags["data_collection_equities"]) as retried:
        run = p.run("data_collection_equities", D2, conf)
    assert run.state == "success", _states(run)
    assert retried >= {"start_execution", "sync_universe", "discover_delta", "fetch[0]", "fetch[1]", "finish_execution"}
    assert {ti.task_id: ti.try_number for ti in run.get_task_instances()}["discover_delta"] == 2
    eid2, status, summary = p.latest_execution("data_collection_equities")
    assert status == "success" and eid2 != eid1
    assert p.ledger_cost(eid2) == len(TICKERS)
    assert p.query("select endpoint, count(*) from pipeline.api_calls where execution_id = %s group by 1", (eid2,)) == [
        ("eod", len(TICKERS))
    ]
    assert p.fake.counts()["charged_calls"] - before == len(TICKERS)
    for ticker, (n, last) in _bars(p).items():
        assert last == D2 and n == bars[ticker][0] + 1, ticker
    assert p.query(
        "select distinct s.prices_last_date from pipeline.asset_processing_state s"
        " join market.assets a using (asset_id) where a.ticker = any(%s)",
        (TICKERS,),
    ) == [(D2,)]
    assert _asset_events() == events + 2

    # -- clearing and re-running the whole day-2 run: nothing changes, nothing is spent ----
    digests, cost, calls = p.digests(), p.ledger_cost(), p.fake.counts()["requests"]
    run = p.run("data_collection_equities", D2, conf)
    assert run.state == "success", _states(run)
    assert p.latest_execution("data_collection_equities")[0] == eid2  # same run id, same execution
    assert p.digests() == digests
    assert p.ledger_cost() == cost and p.fake.counts()["requests"] == calls

    assert p.query("select execution_id from pipeline.process_executions order by 1") == [(eid1,), (eid2,)]

    # -- Thanksgiving: the US is closed, so the US tickers need nothing --------------------
    p.fake.set_today(THANKSGIVING)
    run = p.run("data_collection_equities", THANKSGIVING, {"tickers": US})
    assert run.state == "success", _states(run)
    eid, status, _ = p.latest_execution("data_collection_equities")
    assert status == "success" and p.ledger_cost(eid) == 0
    assert p.fake.counts()["requests"] == calls

    # -- Friday (a US half-day): US one session behind, Europe two: one call per ticker ------
    friday = dt.date(2026, 11, 27)
    p.fake.set_today(friday)
    run = p.run("data_collection_equities", friday, conf)
    assert run.state == "success", _states(run)
    eid, status, _ = p.latest_execution("data_collection_equities")
    assert status == "success" and p.ledger_cost(eid) == len(TICKERS)
    assert {last for _, last in _bars(p).values()} == {friday}
    digests, calls = p.digests(), p.fake.counts()["requests"]

    # -- Saturday: nothing trades anywhere, no call at all ----------------------------------
    p.fake.set_today(SATURDAY)
    run = p.run("data_collection_equities", SATURDAY, conf)
    assert run.state == "success", _states(run)
    eid, status, _ = p.latest_execution("data_collection_equities")
    assert status == "success" and p.ledger_cost(eid) == 0
    assert p.fake.counts()["requests"] == calls
    assert p.digests() == digests

    # -- the token never reached a task log ---------------------------------------------------
    out, err = capfd.readouterr()
    assert TOKEN not in out + err
    logs = airflow_support.AIRFLOW_HOME / "logs"
    if logs.exists():
        for f in logs.rglob("*"):
            if f.is_file():
                assert TOKEN not in f.read_text(errors="replace"), f


def test_failing_worker_leaves_partial_and_indicators_still_run(pipeline, monkeypatch):
    """The first worker to start takes an item and dies; the other fetches the rest. The
    execution ends partial, finishing ran, the prices Asset is updated and the indicators run
    for what landed."""
    from screener_common import fetcher_task

    p = pipeline
    real = fetcher_task.run_fetcher_process
    lost: list[str] = []

    def crashing(argv: list[str]) -> None:
        if argv[0] == "run" and not lost:
            execution_id = int(argv[argv.index("--execution-id") + 1])
            lost.extend(
                r[0]
                for r in p.query(
                    "select ticker from pipeline.claim_work(%s, 'crashed-worker', 1, interval '1 hour')",
                    (execution_id,),
                )
            )
            raise RuntimeError("fetcher worker crashed")
        real(argv)

    monkeypatch.setattr(fetcher_task, "run_fetcher_process", crashing)
    events = _asset_events()
    run = p.run("data_collection_equities", D1, {"tickers": TICKERS})
    states = _states(run)
    assert sorted(states[f"fetch[{i}]"] for i in (0, 1)) == ["failed", "success"], states
    assert states["finish_execution"] == "success" and states["check_execution"] == "success", states
    assert run.state == "success", states
    _, status, summary = p.latest_execution("data_collection_equities")
    assert status == "partial", summary
    assert len(lost) == 1
    landed = set(_bars(p))
    assert landed == set(TICKERS) - set(lost)
    assert _asset_events() == events + 1

    run = p.run("calculate_indicators", D1)
    assert run.state == "success", _states(run)
    with_indicators = {
        r[0]
        for r in p.query(
            "select distinct a.ticker from market.technical_indicators t join market.assets a using (asset_id)"
        )
    }
    assert with_indicators == landed
    assert p.latest_execution("calculate_indicators")[1] == "success"


def test_conf_backfill_and_reprocess(pipeline):
    p = pipeline
    run = p.run("data_collection_equities", D1, {"tickers": TICKERS})
    assert run.state == "success", _states(run)
    full = _bars(p)

    # backfill: history before the first stored bar, from the conf's from_date
    run = p.run(
        "data_collection_equities",
        D1,
        {"tickers": ["AAPL.US"], "from_date": "2026-03-02"},
        run_after=at_close(D1).add(minutes=5),
    )
    assert run.state == "success", _states(run)
    eid, status, summary = p.latest_execution("data_collection_equities")
    assert status == "success", summary
    assert p.query("select kind, from_date from pipeline.work_items where execution_id = %s", (eid,)) == [
        ("backfill", dt.date(2026, 3, 2))
    ]
    assert p.ledger_cost(eid) == 1
    assert _bars(p)["AAPL.US"] == (_sessions(p, "US", dt.date(2026, 3, 2), D1), D1)
    assert p.scalar(
        "select min(trade_date) from market.stock_prices join market.assets using (asset_id) where ticker = 'AAPL.US'"
    ) == dt.date(2026, 3, 2)

    # reprocess (force) from a date: history lost in the middle comes back, fundamentals too
    p.query(
        "delete from market.stock_prices where asset_id = (select asset_id from market.assets"
        " where ticker = 'MSFT.US') and trade_date between '2026-09-01' and '2026-09-30' returning 1"
    )
    assert _bars(p)["MSFT.US"][0] < full["MSFT.US"][0]
    run = p.run(
        "data_collection_equities",
        D1,
        {"tickers": ["MSFT.US"], "force": True, "from_date": "2026-08-14"},
        run_after=at_close(D1).add(minutes=10),
    )
    assert run.state == "success", _states(run)
    eid, status, summary = p.latest_execution("data_collection_equities")
    assert status == "success", summary
    assert {r for r in p.query("select kind, reason from pipeline.work_items where execution_id = %s", (eid,))} == {
        ("backfill", "reprocess"),
        ("fundamentals", "reprocess"),
    }
    assert p.ledger_cost(eid) == 11
    assert _bars(p)["MSFT.US"] == full["MSFT.US"]
    assert p.query(
        "select s.reprocess_prices, s.reprocess_fundamentals from pipeline.asset_processing_state s"
        " join market.assets a using (asset_id) where a.ticker = 'MSFT.US'"
    ) == [(False, False)]


@pytest.mark.parametrize(
    "conf, message",
    [
        ({"tickers": ["NOPE.US"]}, ("unknown ticker", "NOPE.US")),
        ({"tickers": ["AAPL.US"], "from_date": "2026-13-45"}, ("from_date is not an ISO date", "2026-13-45")),
        ({"exchanges": ["MOON"]}, ("unknown exchange", "MOON")),
    ],
)
def test_bad_conf_fails_first_task_before_any_call(pipeline, capfd, caplog, conf, message):
    p = pipeline
    run = p.run("data_collection_equities", D1, conf)
    states = _states(run)
    assert run.state == "failed"
    assert states["start_execution"] == "failed", states
    assert all(states[t] == "upstream_failed" for t in ("sync_universe", "discover_delta", "plan_workers"))
    assert states["finish_execution"] == "success"  # nothing to finish, and no second error
    assert p.fake.counts()["requests"] == 0
    assert p.ledger_cost() == 0
    assert p.scalar("select count(*) from pipeline.process_executions") == 0
    out, err = capfd.readouterr()
    text = out + err + caplog.text
    assert all(part in text for part in message), message


def test_bonds_collection_and_daily_maintenance(pipeline):
    """The bonds DAG uses the same machinery (prices only: one call per new bond); the
    maintenance DAG runs its reapers, pruning and analyze against the same database."""
    p = pipeline
    bonds = ["US10Y.GBOND", "US2Y.GBOND"]
    _fetcher(p.url, "load-calendars", "--start", "2026-01-01", "--end", "2026-12-31", "--exchange", "GBOND")
    run = p.run("data_collection_bonds", D1, {"tickers": bonds})
    assert run.state == "success", _states(run)
    eid, status, summary = p.latest_execution("data_collection_bonds")
    assert status == "success", summary
    assert p.query(
        "select endpoint, count(*), sum(cost) from pipeline.api_calls where execution_id = %s group by 1", (eid,)
    ) == [("eod", len(bonds), len(bonds))]
    assert set(_bars(p)) == set(bonds)
    assert p.scalar("select count(*) from market.fundamentals") == 0

    run = p.run("maintenance_daily", D2)
    assert run.state == "success", _states(run)
    assert p.scalar(
        "select last_analyze is not null or last_autoanalyze is not null from pg_stat_user_tables"
        " where schemaname = 'market' and relname = 'stock_prices'"
    )

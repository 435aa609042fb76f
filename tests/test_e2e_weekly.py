"""refresh_universe_weekly end to end: real PostgreSQL (a fresh migrated database), real Airflow
`dag.test()` with the fetcher as a local process, and the local EODHD-compatible server.

The DAG works on a copy of config/tickers (SCREENER_TICKERS_DIR, passed as --dir to both
refresh-universe and sync-universe); the committed files must stay untouched. The server lists
the committed codes plus a few synthetic ones per exchange (exchange_sizes), so the refresh
finds new listings while the lists stay small.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pendulum
import psycopg
import pytest

from tests import airflow_support

pytest.importorskip("fetcher.refresh")
pytest.importorskip("eodhd_fake.server")

ROOT = airflow_support.ROOT
COMMITTED = ROOT / "config" / "tickers"
PY = str(ROOT / ".venv" / "bin" / "python")
TOKEN = "weekly-token-NEVER-LOGGED-31415926"
SATURDAY = dt.date(2026, 11, 28)
WHEN = pendulum.datetime(2026, 11, 28, 6, 0, tz="UTC")  # the DAG's schedule: Saturday 06:00 UTC
EXTRA_PER_EXCHANGE = 4  # synthetic listings per exchange beyond the committed codes
TYPES = {"Common Stock", "ETF", "FUND"}  # refresh-universe's default instrument types


def _md5_tree(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def tickers_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("weekly") / "tickers"


@pytest.fixture(scope="module")
def bag(tickers_dir):
    """The DAGs parsed with retries off, local fetchers and the universe directory of the test."""
    airflow_support.ensure_metadata_db()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SCREENER_TASK_RETRIES", "0")
        mp.setenv("SCREENER_EXECUTOR", "local")
        mp.setenv("SCREENER_TICKERS_DIR", str(tickers_dir))
        dags = airflow_support.dag_bag()
    assert dags.import_errors == {}
    return dags


def _header(path: Path) -> list[str]:
    """The leading comment lines of a universe file."""
    lines = path.read_text().splitlines()
    return lines[: next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))]


def _query(url: str, sql: str, params=None) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def _universes(url: str) -> dict[str, set[str]]:
    return {u: set(codes) for u, codes in _query(url, "select universe, exchange_codes from market.universes")}


def _digest(url: str, table: str) -> str:
    return _query(url, f"select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from {table} as x")[0][0]


def _states(dagrun) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in dagrun.get_task_instances()}


def test_weekly_refresh_rewrites_the_copy_and_syncs_new_listings(bag, tickers_dir, db_url, monkeypatch, capfd, caplog):
    from eodhd_fake.server import FakeEodhd
    from fetcher.refresh import DEFAULT_SKIP
    from fetcher.universe import parse_universe_file
    from tests.fetch_support import assert_ledger_matches_server

    committed_md5 = _md5_tree(COMMITTED)
    if tickers_dir.exists():
        shutil.rmtree(tickers_dir)
    shutil.copytree(COMMITTED, tickers_dir)

    dag = bag.dags["refresh_universe_weekly"]
    for task_id in ("refresh_universe", "sync_universe"):
        argv = dag.get_task(task_id).op_args[0]
        assert argv[argv.index("--dir") + 1] == str(tickers_dir), (task_id, argv)

    universes = _universes(db_url)
    equity = {u: ex for u, ex in universes.items() if u not in DEFAULT_SKIP}
    equity_exchanges = sorted({e for ex in equity.values() for e in ex})
    assert "GBOND" not in equity_exchanges  # the bond list is kept by hand: refresh never asks for it
    before = {u: parse_universe_file(tickers_dir / f"{u}.txt", ex).tickers for u, ex in universes.items()}
    headers = {u: _header(tickers_dir / f"{u}.txt") for u in universes}
    committed_per_exchange: dict[str, int] = {}
    for codes in before.values():
        for code in codes:
            committed_per_exchange[code.rsplit(".", 1)[1]] = committed_per_exchange.get(code.rsplit(".", 1)[1], 0) + 1
    sizes = {e: committed_per_exchange.get(e, 0) + EXTRA_PER_EXCHANGE for e in equity_exchanges}

    # the committed universe as the starting point (what the collection runs have synced)
    env = dict(os.environ, DATABASE_URL=db_url)
    subprocess.run(
        [PY, "-m", "fetcher", "sync-universe", "--as-of", "2026-11-20", "--dir", str(tickers_dir)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    assets_before = {t for (t,) in _query(db_url, "select ticker from market.assets")}
    assert assets_before == {c for codes in before.values() for c in codes}

    fake = FakeEodhd(
        today=SATURDAY, tokens={TOKEN: "paid"}, per_minute_limit=100_000, exchange_sizes=sizes, tickers_dir=COMMITTED
    ).start()
    monkeypatch.setenv("AIRFLOW_CONN_SCREENER_DB", db_url)
    monkeypatch.setenv("AIRFLOW_CONN_EODHD_API", json.dumps({"conn_type": "http", "host": fake.url, "password": TOKEN}))
    monkeypatch.setenv("EODHD_RATE_LIMIT", "100000")
    monkeypatch.delenv("EODHD_API_TOKEN", raising=False)
    try:
        run = dag.test(logical_date=WHEN, run_after=WHEN)
        assert run.state == "success", _states(run)
        assert set(_states(run).values()) == {"success"}, _states(run)
        ((eid, status, summary),) = _query(
            db_url,
            "select execution_id, status, summary from pipeline.process_executions"
            " where process_name = 'refresh_universe_weekly'",
        )
        assert status == "success", summary

        # -- exactly one symbol-list call per equity exchange, charged to this execution ------
        assert fake.counts()["by_code"]["symbols"] == {e: {"200": 1} for e in equity_exchanges}
        assert _query(
            db_url,
            "select exchange_code, count(*), sum(cost) from pipeline.api_calls"
            " where execution_id = %s and endpoint = 'exchange-symbol-list'"
            " group by 1 order by 1",
            (eid,),
        ) == [(e, 1, 1) for e in equity_exchanges]
        ledger = assert_ledger_matches_server(db_url, fake)
        assert ledger == {"exchange-symbol-list": {"requests": len(equity_exchanges), "cost": len(equity_exchanges)}}

        # -- the copy is rewritten: header kept, every code listed on one of its exchanges -----
        listed = {e: set(fake.market.universe(e)) for e in equity_exchanges}
        after: dict[str, list[str]] = {}
        for u, exchanges in universes.items():
            path = tickers_dir / f"{u}.txt"
            after[u] = parse_universe_file(path, exchanges).tickers  # raises on a malformed line
            header = _header(path)
            if u in equity:
                assert header[:-1] == headers[u], u  # the header kept, then the refresh note
                assert header[-1].startswith("# Refreshed from EODHD exchange-symbol-list"), u
                for code in after[u]:
                    exchange = code.rsplit(".", 1)[1]
                    assert code in listed[exchange], (u, code)
                    assert fake.market.instrument(code).type in TYPES, (u, code)
                assert set(before[u]) <= set(after[u]), u  # every committed code is still listed
            else:
                assert header == headers[u] and after[u] == before[u], u
        # single-exchange files hold every listing of the requested types
        for u, (exchange,) in ((u, tuple(ex)) for u, ex in equity.items() if len(ex) == 1 and ex != {"US"}):
            assert set(after[u]) == {c for c in listed[exchange] if fake.market.instrument(c).type in TYPES}, u
        new = {c for codes in after.values() for c in codes} - assets_before
        assert new, "the server listed no new code: the test would prove nothing"

        # -- market.assets gains the new listings, each with a state row ------------------------
        assets = {t: active for t, active in _query(db_url, "select ticker, is_active from market.assets")}
        assert set(assets) == assets_before | new
        assert all(assets.values())
        assert {
            t
            for (t,) in _query(
                db_url, "select a.ticker from pipeline.asset_processing_state s join market.assets a using (asset_id)"
            )
        } == set(assets)
        assert _query(
            db_url,
            "select count(*) from market.assets a where not exists (select 1 from"
            " pipeline.asset_processing_state s where s.asset_id = a.asset_id)",
        ) == [(0,)]

        # -- a second run on the same day changes no asset row; it does ask for the lists again
        # (refresh-universe always fetches: one more call per exchange, in the ledger too)
        digests = {t: _digest(db_url, t) for t in ("market.assets", "pipeline.asset_processing_state")}
        files = _md5_tree(tickers_dir)
        run = dag.test(logical_date=WHEN, run_after=WHEN)
        assert run.state == "success", _states(run)
        assert {t: _digest(db_url, t) for t in digests} == digests
        assert _md5_tree(tickers_dir) == files
        assert fake.counts()["by_code"]["symbols"] == {e: {"200": 2} for e in equity_exchanges}
        assert_ledger_matches_server(db_url, fake)
        assert _query(
            db_url, "select status from pipeline.process_executions where process_name = 'refresh_universe_weekly'"
        ) == [("success",)]
    finally:
        fake.stop()

    assert _md5_tree(COMMITTED) == committed_md5
    out, err = capfd.readouterr()
    assert "fetcher.refresh: US: " in caplog.text  # the fetcher's output reached the task log ...
    assert TOKEN not in out + err + caplog.text  # ... redacted

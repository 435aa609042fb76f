"""`python -m screener status` (make status) on a crafted state: per-exchange counts by state,
the quota gauge, the last runs and the top failures, read from the monitor views; plain ASCII
when stdout is not a terminal, colours only when asked for."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from screener import status
from screener.db import connect

ROOT = Path(__file__).resolve().parent.parent

# ticker -> (state columns); dates relative to current_date: sessions exist up to current_date - 2
US = {
    "CUR1": dict(last=2),
    "CUR2": dict(last=2),
    "CUR3": dict(last=2),
    "CUR4": dict(last=2),
    "LATE1": dict(last=5),
    "LATE2": dict(last=5),
    "FAIL1": dict(last=5, failures=2, error="HTTP 500 from eod: Internal Server Error"),
    "SKIP1": dict(last=5, failures=5, error="HTTP 404 Ticker Not Found.", skipped=True),
    "NEW1": dict(last=None, owed=True),
    "NEW2": dict(last=None, owed=True, failures=1, error="HTTP 404 Ticker Not Found."),
}
LSE = {
    "BPX": dict(last=2),
    "BACK": dict(last=2, owed=True),
    "BAD": dict(last=2, failures=1, error="HTTP 404 Ticker Not Found."),
}


@pytest.fixture
def crafted(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("""
            insert into market.trading_sessions (exchange_code, session_date, open_at, close_at)
            select e.exchange_code, d::date, d::date + time '08:00', d::date + time '16:00'
            from market.exchanges as e cross join generate_series(current_date - 20, current_date - 2, '1 day') as d
            where e.exchange_code in ('US', 'LSE')""")
        for exchange, assets in (("US", US), ("LSE", LSE)):
            for symbol, s in assets.items():
                asset_id = conn.execute(
                    "insert into market.assets (ticker, symbol, exchange_code) values (%s, %s, %s) returning asset_id",
                    (f"{symbol}.{exchange}", symbol, exchange),
                ).fetchone()[0]
                conn.execute(
                    "insert into pipeline.asset_processing_state (asset_id) values (%s) on conflict do nothing",
                    (asset_id,),
                )
                conn.execute(
                    """
                    update pipeline.asset_processing_state set
                        status = case when %(skipped)s then 'skipped' when %(failures)s > 0 then 'failing'
                                      when %(last)s::int is null then 'new' else 'active' end,
                        prices_first_date = current_date - 15 * (%(last)s::int is not null)::int - %(last)s::int,
                        prices_last_date = current_date - %(last)s::int,
                        history_owed_from = case when %(owed)s then current_date - 400 end,
                        last_success_at = case when %(last)s::int is not null then now() end,
                        consecutive_failures = %(failures)s, is_skipped = %(skipped)s,
                        skip_reason = case when %(skipped)s then 'failure limit reached' end,
                        last_error = %(error)s
                    where asset_id = %(id)s""",
                    {
                        "id": asset_id,
                        "last": s.get("last"),
                        "owed": s.get("owed", False),
                        "failures": s.get("failures", 0),
                        "skipped": s.get("skipped", False),
                        "error": s.get("error"),
                    },
                )
        conn.execute("update pipeline.settings set daily_quota = 10000, quota_buffer = 500")
        done = conn.execute("""
            insert into pipeline.process_executions (process_name, run_id, as_of, status, started_at, finished_at)
            values ('data_collection_equities', 'crafted-1', now() - interval '2 hours', 'partial',
                    now() - interval '2 hours', now() - interval '2 hours' + interval '754 seconds')
            returning execution_id""").fetchone()[0]
        conn.execute(
            """
            insert into pipeline.api_calls (execution_id, endpoint, ticker, cost, http_status, called_at)
            select %s, 'eod', 'CUR1.US', 7, 200, now() - interval '1 hour' from generate_series(1, 300)""",
            (done,),
        )
        running = conn.execute("""
            insert into pipeline.process_executions (process_name, run_id, as_of, started_at)
            values ('data_collection_equities', 'crafted-2', now(), now() - interval '5 minutes')
            returning execution_id""").fetchone()[0]
        conn.execute(
            """
            insert into pipeline.work_items (execution_id, kind, reason, asset_id, exchange_code, planned_cost,
                                             priority, claim_order)
            select %s, 'prices', 'fresh', a.asset_id, a.exchange_code, 40, 1, row_number() over (order by a.asset_id)
            from market.assets as a where a.ticker like 'LATE%%'""",
            (running,),
        )
    return db_url


def run_status(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(DATABASE_URL=url, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "screener", "status", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_status_counts_each_exchange_by_state(crafted):
    with connect(crafted) as conn:
        s = status.load(conn)
    rows = {r.exchange_code: r for r in s.exchanges}
    us, lse = rows["US"], rows["LSE"]
    assert (us.active, us.loaded, us.current, us.behind, us.owed, us.failing, us.skipped) == (10, 8, 4, 2, 2, 1, 1)
    assert (lse.active, lse.loaded, lse.current, lse.behind, lse.owed, lse.failing, lse.skipped) == (
        3,
        3,
        1,
        0,
        1,
        1,
        0,
    )
    assert s.totals == {"active": 13, "loaded": 11, "current": 5, "behind": 2, "owed": 3, "failing": 2, "skipped": 1}
    assert (s.quota["used"], s.quota["reserved"], s.quota["remaining"]) == (2100, 80, 10000 - 500 - 2100 - 80)
    assert [r["status"] for r in s.runs] == ["running", "partial"]
    groups = {(f["reason"], f["error"]): (f["assets"], f["example"], f["max_failures"]) for f in s.failures}
    assert groups == {
        ("behind", "HTTP 500 from eod: Internal Server Error"): (1, "FAIL1.US", 2),
        ("skipped", "HTTP 404 Ticker Not Found."): (1, "SKIP1.US", 5),
        ("initial load owed", "HTTP 404 Ticker Not Found."): (1, "NEW2.US", 1),
        ("failing", "HTTP 404 Ticker Not Found."): (1, "BAD.LSE", 1),
    }


def test_status_prints_plain_text_when_not_a_terminal(crafted):
    result = run_status(crafted, "--width", "110")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "\x1b[" not in out and all(ord(c) < 128 for c in out), "plain ASCII expected when piped"
    assert "13 active assets, 11 loaded (84.6 %): 5 current, 2 behind, 3 owed, 2 failing, 1 skipped" in out
    us = next(line for line in out.splitlines() if line.startswith("US "))
    assert re.search(r"^US\s+10\s+8 [#=.!x]+\s+4\s+2\s+2\s+1\s+1\s+\d{4}-\d\d-\d\d$", us), us
    bar = re.search(r" ([#=.!x]+) ", us).group(1)
    assert bar.count("!") >= 1 and bar.count("x") >= 1 and bar.count("#") > bar.count("=")  # 4 current vs 2 behind
    assert "used 2,100, reserved 80 of 10,000 (buffer 500); 7,320 left for new plans" in out
    assert "21.8 %" in out  # (2,100 + 80) / 10,000
    runs = out.split("LAST RUNS")[1].split("TOP FAILURES")[0]
    assert re.search(r"running\s+2\s+0\s+0\s+0\s+2\s+0\s+", runs), runs
    assert re.search(r"partial\s+0\s+0\s+0\s+0\s+0\s+2,100\s+12m 34s", runs), runs
    failures = out.split("TOP FAILURES")[1]
    assert re.search(r"1\s+skipped\s+SKIP1\.US\s+5\s+HTTP 404 Ticker Not Found\.", failures), failures
    assert "reasons (monitor.asset_status.reason): " in out and "initial load owed 2" in out
    assert max(len(line) for line in out.splitlines()) <= 130


def test_status_colours_on_request(crafted):
    result = run_status(crafted, "--color", "always", "--width", "100")
    assert result.returncode == 0, result.stderr
    assert "\x1b[32m" in result.stdout and "█" in result.stdout


def test_status_on_an_empty_database_says_so(db_url):
    result = run_status(db_url)
    assert result.returncode == 0, result.stderr
    assert "0 active assets" in result.stdout and "no run in the last 30 days" in result.stdout
    assert "TOP FAILURES" in result.stdout and "  none" in result.stdout


def test_split_bar_gives_every_nonzero_state_a_character():
    assert status.split_bar([9996, 1, 1, 1, 1], 40) == [36, 1, 1, 1, 1]
    assert sum(status.split_bar([5, 3, 2, 0, 0], 37)) == 37
    assert status.split_bar([0, 0, 0, 0, 0], 10) == [0, 0, 0, 0, 0]

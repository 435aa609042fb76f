"""Benchmark `python -m screener status` (and the report's reads) on the full universe (21,817 assets).

Run by hand (never inside `make test`):
    export DATABASE_URL=$(scripts/db.sh url); scripts/db.sh start
    .venv/bin/python bench/bench_status.py [--rounds 5] [--keep]

Builds a scratch database `bench_status` through db/migrate.sh: weekday calendars, the real
per-exchange sizes (bench.common.SIZES), states spread over current / behind / owed / failing /
skipped with a dozen distinct errors, 60 executions over 30 days with 25,000 API calls a day
(750,000 ledger rows) and a running execution with 21,817 open work items. Times the dashboard's
reads and rendering in-process, the whole command as a subprocess, and the report (reads + PNG).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from bench.common import add_universe, add_weekday_sessions, fresh_database  # noqa: E402

BENCH_DB = "bench_status"


def build_database() -> str:
    url = fresh_database(BENCH_DB)
    with psycopg.connect(url, autocommit=True) as conn:
        add_weekday_sessions(conn, "current_date - 500", "current_date + 30")
        add_universe(conn)  # the same universe as the planner's benchmark
        # state by asset_id % 100: 0-79 current, 80-89 behind, 90-94 owed, 95-97 failing, 98-99 skipped
        conn.execute("""
            with x as (
                select a.asset_id, a.asset_id % 100 as k,
                       pipeline.get_expected_session(a.exchange_code, now()) as expected
                from market.assets as a)
            update pipeline.asset_processing_state as s set
                prices_first_date = case when x.k between 90 and 94 then null else x.expected - 400 end,
                prices_last_date = case when x.k < 80 then x.expected when x.k between 90 and 94 then null
                                        else x.expected - 3 end,
                history_owed_from = case when x.k between 90 and 94 then x.expected - 400 end,
                last_success_at = case when x.k between 90 and 94 then null else now() - interval '1 day' end,
                consecutive_failures = case when x.k between 95 and 97 then 1 + x.asset_id % 3
                                            when x.k >= 98 then 5 else 0 end,
                is_skipped = x.k >= 98,
                skip_reason = case when x.k >= 98 then 'failure limit reached' end,
                status = case when x.k >= 98 then 'skipped' when x.k >= 95 then 'failing' else 'active' end,
                last_error = case when x.k >= 95 then 'HTTP ' || (400 + x.asset_id % 12) || ' from eod: error '
                                  || x.asset_id % 12 end
            from x where s.asset_id = x.asset_id""")
        conn.execute("""
            insert into pipeline.process_executions (process_name, run_id, as_of, status, started_at, finished_at)
            select p, 'bench-' || p || '-' || d, now() - d * interval '1 day', 'success',
                   now() - d * interval '1 day', now() - d * interval '1 day' + interval '40 minutes'
            from generate_series(1, 30) d cross join (values ('data_collection_equities'), ('calculate_indicators')) v(p)""")
        conn.execute("""
            insert into pipeline.api_calls (execution_id, endpoint, ticker, cost, http_status, called_at)
            select x.execution_id, 'eod', 'X', 1, 200, x.started_at + (g % 2400) * interval '1 second'
            from pipeline.process_executions as x cross join generate_series(1, 25000) as g
            where x.process_name = 'data_collection_equities'""")
        running = conn.execute("""
            insert into pipeline.process_executions (process_name, run_id, as_of, started_at)
            values ('data_collection_equities', 'bench-running', now(), now() - interval '10 minutes')
            returning execution_id""").fetchone()[0]
        conn.execute(
            """
            insert into pipeline.work_items (execution_id, kind, reason, asset_id, exchange_code, planned_cost,
                                             priority, claim_order, status, finished_at)
            select %s, 'prices', 'fresh', a.asset_id, a.exchange_code, 1, 1,
                   row_number() over (order by a.asset_id), case when a.asset_id %% 2 = 0 then 'done' else 'pending' end,
                   case when a.asset_id %% 2 = 0 then now() end
            from market.assets as a""",
            (running,),
        )
        conn.execute("analyze")
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    from screener import report, status
    from screener.db import connect

    started = time.perf_counter()
    url = build_database()
    print(f"built {BENCH_DB} in {time.perf_counter() - started:.1f} s")
    load_s, render_s, cli_s, report_s = [], [], [], []
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT))
    with connect(url) as conn, tempfile.TemporaryDirectory() as tmp:
        active = conn.execute("select count(*) from market.assets where is_active").fetchone()[0]
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            s = status.load(conn)
            t1 = time.perf_counter()
            text = status.render(s, width=110)
            load_s.append(t1 - t0)
            render_s.append(time.perf_counter() - t1)
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "screener", "status"], cwd=ROOT, env=env, check=True, capture_output=True
            )
            cli_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            report.render(report.load(conn), Path(tmp) / "report.png")
            report_s.append(time.perf_counter() - t0)
    print(text)
    med = statistics.median
    print(f"{active:,} active assets, {args.rounds} rounds (median, min):")
    print(f"  status reads (monitor views):   {med(load_s):.3f} s, {min(load_s):.3f} s")
    print(f"  status rendering:               {med(render_s) * 1000:.1f} ms")
    print(f"  python -m screener status:      {med(cli_s):.3f} s, {min(cli_s):.3f} s (process start included)")
    print(f"  report (reads + 1600x1200 PNG): {med(report_s):.3f} s, {min(report_s):.3f} s")
    if not args.keep:
        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(f"drop database if exists {BENCH_DB} with (force)")


if __name__ == "__main__":
    main()

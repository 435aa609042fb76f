"""History invariant benchmark: pipeline.check_history_completeness (the price scan behind
monitor.history_completeness) and the state-only reason of monitor.asset_status, on the full
universe in a throw-away database.

    DATABASE_URL=... .venv/bin/python bench/bench_history_check.py --assets 21817 --bars 504

Synthetic data: bench_indicators' random walk (weekdays from 2023-01-02, one exchange), a
weekday calendar, every asset loaded and answered from its first bar, one bar in a thousand
deleted (holes inside the answered window: the vendor's) and one asset in a hundred owing its
history. Prints one line per measurement.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_indicators import load, timed  # noqa: E402
from bench.common import add_scale_arguments, fresh_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_scale_arguments(parser, "screener_bench_history")
    args = parser.parse_args()
    server = os.environ["DATABASE_URL"]
    url = fresh_database(args.dbname, server)
    try:
        with psycopg.connect(url) as conn:
            print(f"scale: {args.assets} assets x {args.bars} bars = {args.assets * args.bars:,} bars")
            timed("load synthetic bars (not measured)", lambda: load(conn, args.assets, args.bars))
            conn.execute(
                """insert into market.trading_sessions (exchange_code, session_date, open_at, close_at)
                   select 'US', d::date, d::date + time '14:30', d::date + time '21:00'
                   from generate_series(date '2023-01-02', (select max(trade_date) from market.stock_prices), '1 day') d
                   where extract(isodow from d) < 6"""
            )
            conn.execute(
                """update pipeline.asset_processing_state s
                      set status = 'active', prices_first_date = b.f, prices_last_date = b.l, history_from = b.f,
                          history_owed_from = case when s.asset_id % 100 = 0 then b.f end,
                          gaps_checked_from = b.f, gaps_checked_through = b.l, last_success_at = now()
                     from (select asset_id, min(trade_date) f, max(trade_date) l from market.stock_prices
                           group by asset_id) b where b.asset_id = s.asset_id"""
            )
            conn.execute(
                "delete from market.stock_prices where (asset_id * 7 + extract(doy from trade_date)) % 1000 = 0"
            )
            conn.commit()
            conn.autocommit = True
            conn.execute("vacuum analyze")
            as_of = conn.execute("select max(close_at) + interval '3 hours' from market.trading_sessions").fetchone()[0]
            timed(
                "check_history_completeness: every active asset",
                lambda: conn.execute(
                    "select count(*) filter (where missing_sessions > 0), count(*) filter"
                    " (where is_unexplained) from pipeline.check_history_completeness(%s)",
                    (as_of,),
                ).fetchone(),
            )
            timed(
                "monitor.asset_status: reasons (state only)",
                lambda: conn.execute("select reason, count(*) from monitor.asset_status group by 1").fetchall(),
            )
            timed("monitor.history_owed", lambda: conn.execute("select count(*) from monitor.history_owed").fetchone())
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{args.dbname}" with (force)')


if __name__ == "__main__":
    main()

"""What a steady-state day of the full universe (21,817 tickers) costs, as pipeline.discover_delta plans it.

Builds a throw-away database `screener_daycost` on DATABASE_URL's server: the trading calendars,
21,817 codes spread over the exchanges like the real universe (listing sizes of the local
server's --real-sizes, US scaled up to reach 21,817), synced through pipeline.sync_universe.
The steady state is then set directly in pipeline.asset_processing_state: every asset loaded
up to the session before the business day, fundamentals fetched at dates spread evenly over
the last refresh interval. Then it plans the business day twice and prints both plans:
prices only (components ["prices"]) and the default (prices and fundamentals).

    DATABASE_URL=$(scripts/db.sh url) .venv/bin/python bench/bench_day_cost.py [--day 2026-11-24]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import fresh_database  # noqa: E402
from eodhd_fake.market import REAL_SIZES, Market  # noqa: E402
from fetcher.calendars import load_calendars  # noqa: E402
from fetcher.universe import sync_universe  # noqa: E402

TOTAL = 21_817
UNIVERSE_OF = {
    "US": "nyse",
    "LSE": "lse",
    "F": "frankfurt",
    "XETRA": "xetra",
    "PA": "euronext",
    "AS": "euronext",
    "BR": "euronext",
    "LS": "euronext",
    "MC": "bme",
    "SW": "six",
    "GBOND": "bonds",
}


def sizes() -> dict[str, int]:
    s = {e: n for e, n in REAL_SIZES.items() if e in UNIVERSE_OF}
    s["US"] += TOTAL - sum(s.values())
    return s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2026, 11, 24), help="the business day")
    ap.add_argument("--db", default="screener_daycost")
    args = ap.parse_args()
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        print("DATABASE_URL is not set (export DATABASE_URL=$(scripts/db.sh url))", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    url = fresh_database(args.db, server_url)

    per_exchange = sizes()
    market = Market(exchange_sizes={e: n + 20 for e, n in per_exchange.items()})
    files: dict[str, list[str]] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for exchange, n in per_exchange.items():
            codes = market.universe(exchange)
            files.setdefault(UNIVERSE_OF[exchange], []).extend(codes[:n])
    as_of = dt.datetime.combine(args.day, dt.time(23, 30), tzinfo=dt.UTC)

    with tempfile.TemporaryDirectory() as tmp, psycopg.connect(url, autocommit=True) as conn:
        for universe, codes in files.items():
            (Path(tmp) / f"{universe}.txt").write_text("\n".join(codes) + "\n")
        load_calendars(conn, start=args.day - dt.timedelta(days=60), end=args.day + dt.timedelta(days=30))
        synced = sync_universe(conn, Path(tmp), args.day - dt.timedelta(days=400))
        assets = sum(v["listed"] for v in synced.values())
        # the steady state: loaded up to the previous session; fundamentals spread over the interval
        conn.execute(
            """
            with prev as (
                select e.exchange_code,
                       (select max(t.session_date) from market.trading_sessions as t
                        where t.exchange_code = e.exchange_code
                          and t.session_date < pipeline.get_expected_session(e.exchange_code, %(as_of)s)) as previous
                from market.exchanges as e
            )
            update pipeline.asset_processing_state as s
               set status = 'active',
                   prices_first_date = date '2015-01-02',
                   prices_last_date = prev.previous,
                   last_success_at = %(as_of)s - interval '1 day',
                   fundamentals_fetched_at = %(as_of)s - (select fundamentals_refresh_interval from pipeline.settings)
                       * ((abs(hashtext(a.ticker)::bigint) %% 1000) / 1000.0)
              from market.assets as a
              join prev on prev.exchange_code = a.exchange_code
             where a.asset_id = s.asset_id
            """,
            {"as_of": as_of},
        )
        setup_s = time.monotonic() - t0
        plans = {}
        for name, params in (("prices_only", {"components": ["prices"]}), ("default", {})):
            execution_id = conn.execute(
                "select pipeline.start_execution('daycost', %s, %s, %s)", (name, as_of, Jsonb(params))
            ).fetchone()[0]
            started = time.monotonic()
            plan = conn.execute("select pipeline.discover_delta(%s, %s)", (execution_id, as_of)).fetchone()[0]
            plan_s = time.monotonic() - started
            conn.execute("select pipeline.finish_execution(%s, %s)", (execution_id, as_of))
            plans[name] = {
                "planned_cost": plan["planned_cost"],
                "planned_items": plan["planned_items"],
                "deferred_cost": plan["deferred_cost"],
                "by_kind": plan["by_kind"],
                "by_exchange_cost": {e: v["cost"] for e, v in sorted(plan["by_exchange"].items())},
                "discover_delta_s": round(plan_s, 2),
            }
    print(
        json.dumps(
            {
                "day": args.day.isoformat(),
                "assets": assets,
                "per_exchange": per_exchange,
                "setup_s": round(setup_s, 1),
                "plans": plans,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

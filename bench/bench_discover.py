"""Benchmark pipeline.discover_delta on the real universe size (21,817 tickers).

Run by hand (never inside `make test`):
    export DATABASE_URL=$(scripts/db.sh url); scripts/db.sh start
    .venv/bin/python bench/bench_discover.py [--rounds 15]

Builds a scratch database `bench_issue3` through db/migrate.sh, a universe with the real
per-exchange sizes and weekday calendars, and times discover_delta (each call in a
transaction that is rolled back, so every round plans the same state) in four scenarios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import SIZES, add_universe, add_weekday_sessions, fresh_database  # noqa: E402,F401

BENCH_DB = "bench_issue3"
AS_OF = "2026-03-11 23:30+00"  # a Wednesday: every exchange's session is published


def url_for(dbname: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + dbname))


def build_database() -> str:
    """Fresh scratch database with the schema, calendars and 21,817 assets; returns its URL."""
    url = fresh_database(BENCH_DB)
    with psycopg.connect(url, autocommit=True) as conn:
        add_weekday_sessions(conn, "'2025-01-01'::date", "'2026-12-31'")
        add_universe(conn)
        conn.execute("analyze")
        total = conn.execute("select count(*) from market.assets").fetchone()[0]
    assert total == 21817, total
    return url


def set_state(conn: psycopg.Connection, watermark: str | None) -> None:
    """All assets loaded to the watermark (None: all new), fundamentals fetched the day before."""
    if watermark is None:
        conn.execute("""update pipeline.asset_processing_state set status = 'new', prices_first_date = null,
                        prices_last_date = null, fundamentals_fetched_at = null, last_success_at = null""")
    else:
        conn.execute(
            """update pipeline.asset_processing_state set status = 'active', prices_first_date = '2025-01-02',
                        prices_last_date = %s, fundamentals_fetched_at = '2026-03-10 12:00+00',
                        last_success_at = '2026-03-10 12:00+00'""",
            (watermark,),
        )
    conn.execute("vacuum analyze pipeline.asset_processing_state")


def time_discover(url: str, rounds: int) -> tuple[list[float], dict]:
    times: list[float] = []
    summary: dict = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for r in range(rounds):
            try:
                with conn.transaction():
                    eid = conn.execute(
                        "select pipeline.start_execution('bench', %s, %s, '{}')", (f"b{r}", AS_OF)
                    ).fetchone()[0]
                    t0 = time.perf_counter()
                    summary = conn.execute("select pipeline.discover_delta(%s, %s)", (eid, AS_OF)).fetchone()[0]
                    times.append((time.perf_counter() - t0) * 1000)
                    raise psycopg.Rollback()
            except psycopg.Rollback:
                pass
    return times, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        sys.exit("DATABASE_URL must be set (export DATABASE_URL=$(scripts/db.sh url))")
    url = build_database()
    scenarios = [
        ("nothing behind", "2026-03-11"),
        ("everything one session behind (bulk)", "2026-03-10"),
        ("everything 4 sessions behind (per ticker)", "2026-03-05"),
        ("everything new (initial loads, quota-capped)", None),
    ]
    print(f"discover_delta on 21,817 tickers, as_of {AS_OF}, {args.rounds} rounds each")
    with psycopg.connect(url, autocommit=True) as conn:
        for name, watermark in scenarios:
            set_state(conn, watermark)
            time_discover(url, 2)  # warm-up (caches, plan cache), not counted
            times, summary = time_discover(url, args.rounds)
            print(
                f"  {name:48s} median {statistics.median(times):7.1f} ms  min {min(times):7.1f}  "
                f"max {max(times):7.1f}  -> {summary['planned_items']} items, cost {summary['planned_cost']}, "
                f"deferred {summary['deferred_items']}"
            )


if __name__ == "__main__":
    main()

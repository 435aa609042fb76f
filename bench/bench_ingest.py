"""Time landing + SQL ingest of large payloads (run by hand, never in `make test`).

    DATABASE_URL=... .venv/bin/python bench/bench_ingest.py [--assets 50000] [--bars 6500]

Builds a throw-away database `bench_ingest` through db/migrate.sh, then times, each as one
transaction as the fetcher does: a full /eod history of one asset, the same again (re-landing),
and an /eod-bulk-last-day payload with one row per asset of an exchange (unsorted), twice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.dbutil import migrate, server_url, url_for  # noqa: E402


def bars(n: int, end: dt.date) -> list[dict]:
    rng, price, out, day = random.Random(1), 100.0, [], end - dt.timedelta(days=int(n * 7 / 5) + 7)
    while len(out) < n:
        day += dt.timedelta(days=1)
        if day.weekday() >= 5:
            continue
        close = max(1.0, price * (1 + rng.gauss(0, 0.02)))
        out.append(
            {
                "date": day.isoformat(),
                "open": round(price, 4),
                "high": round(max(price, close) * 1.01, 4),
                "low": round(min(price, close) * 0.99, 4),
                "close": round(close, 4),
                "adjusted_close": round(close, 4),
                "volume": rng.randint(0, 10**7),
            }
        )
        price = close
    return out


def timed(conn, label: str, endpoint: str, body: str, ingest_sql: str, args: tuple, **kw) -> None:
    start = time.perf_counter()
    payload_id = conn.execute(
        "select raw.land_response(null, %s, %s, %s, '{}'::jsonb, 200, %s, now(), 1, 50, 'bench')",
        (endpoint, kw.get("ticker"), kw.get("exchange"), body),
    ).fetchone()[0]
    result = conn.execute(ingest_sql, (payload_id, *args)).fetchone()[0]
    conn.commit()
    secs = time.perf_counter() - start
    print(
        f"{label:<42} {secs * 1000:9.0f} ms  {len(body) / 1e6:6.1f} MB  "
        f"stored={result['rows_stored']} inserted={result.get('rows_inserted')} changed={result.get('rows_changed')}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--assets", type=int, default=50000)
    ap.add_argument("--bars", type=int, default=6500)
    opts = ap.parse_args()
    url = url_for("bench_ingest")
    with psycopg.connect(server_url(), autocommit=True) as admin:
        admin.execute("drop database if exists bench_ingest with (force)")
        admin.execute("create database bench_ingest")
    migrate(url)
    as_of = dt.date(2026, 3, 2)
    with psycopg.connect(url) as conn:
        conn.execute(
            """
            with a as (
                insert into market.assets (ticker, symbol, exchange_code)
                select 'B' || g || '.US', 'B' || g, 'US' from generate_series(1, %s) g returning asset_id)
            insert into pipeline.asset_processing_state (asset_id) select asset_id from a""",
            (opts.assets,),
        )
        conn.commit()
        history = json.dumps(bars(opts.bars, as_of))
        for label in ("eod: full history, first landing", "eod: same history, re-landed"):
            timed(
                conn,
                f"{label} ({opts.bars} bars)",
                "eod",
                history,
                "select market.ingest_eod(%s, 1, %s)",
                (as_of,),
                ticker="B1.US",
            )
        rng = random.Random(2)
        rows = [
            dict(bar, code=f"B{i}", exchange_short_name="US")
            for i, bar in ((i, bars(1, as_of)[0]) for i in range(1, opts.assets + 1))
        ]
        rng.shuffle(rows)
        bulk = json.dumps(rows)
        for label in ("bulk day: first landing", "bulk day: same day, re-landed"):
            timed(
                conn,
                f"{label} ({opts.assets} rows)",
                "eod-bulk-last-day",
                bulk,
                "select market.ingest_bulk_day(%s, 'US', %s)",
                (as_of,),
                exchange="US",
            )
    with psycopg.connect(server_url(), autocommit=True) as admin:
        admin.execute("drop database if exists bench_ingest with (force)")


if __name__ == "__main__":
    main()

"""Throughput of one `python -m fetcher run` process against the local EODHD server.

The server answers every request after --latency seconds (default 50 ms) and enforces the
per-minute limit itself (429 above it); the fetcher's limiter is set to the same limit. The
run works on initial loads (fundamentals + eod: two requests, 11 calls each) of synthetic US
tickers until --seconds have passed (the run's own deadline), then the requests per minute
are read from the ledger (pipeline.api_calls), which the server's own count must equal.

    DATABASE_URL=$(scripts/db.sh url) .venv/bin/python bench/bench_fetch.py            # 90 s at 1,000/min
    DATABASE_URL=$(scripts/db.sh url) .venv/bin/python bench/bench_fetch.py --limit 200 --seconds 60

Uses a throw-away database `screener_bench` on DATABASE_URL's server (dropped and rebuilt).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import fresh_database  # noqa: E402
from eodhd_fake import FakeEodhd  # noqa: E402
from fetcher.calendars import load_calendars  # noqa: E402
from fetcher.universe import sync_universe  # noqa: E402

TODAY = dt.date(2026, 11, 24)
AS_OF = dt.datetime(2026, 11, 24, 23, 30, tzinfo=dt.UTC)
TOKEN = "bench-token"


def build_db(server_url: str, dbname: str, tickers: int, tickers_dir: Path) -> str:
    url = fresh_database(dbname, server_url)
    codes = [f"B{n:04d}.US" for n in range(tickers)]
    (tickers_dir / "nyse.txt").write_text("# bench universe\n" + "\n".join(codes) + "\n")
    with psycopg.connect(url, autocommit=True) as conn:
        load_calendars(conn, start=dt.date(2025, 12, 1), end=dt.date(2026, 12, 31), exchanges=["US"])
        conn.execute("update pipeline.settings set history_start = '2026-10-01'")
        sync_universe(conn, tickers_dir, dt.date(2026, 8, 1))
    return url


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=90.0, help="how long the run works (its deadline)")
    ap.add_argument("--limit", type=int, default=1000, help="requests per minute (server and client)")
    ap.add_argument("--latency", type=float, default=0.05, help="server latency per request, seconds")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--tickers", type=int, default=0, help="default: enough work for the whole window")
    ap.add_argument("--db", default="screener_bench")
    args = ap.parse_args()
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        print("DATABASE_URL is not set (export DATABASE_URL=$(scripts/db.sh url))", file=sys.stderr)
        return 2
    tickers = args.tickers or int(args.limit * args.seconds / 60 / 2 * 1.3) + 20

    with tempfile.TemporaryDirectory() as tmp:
        tickers_dir = Path(tmp)
        t0 = time.monotonic()
        url = build_db(server_url, args.db, tickers, tickers_dir)
        with psycopg.connect(url, autocommit=True) as conn:
            execution_id = conn.execute(
                "select pipeline.start_execution('bench', %s, %s)", (f"bench-{time.time()}", AS_OF)
            ).fetchone()[0]
            plan = conn.execute("select pipeline.discover_delta(%s, %s)", (execution_id, AS_OF)).fetchone()[0]
        print(
            f"setup: {tickers} tickers, {plan['planned_items']} items, {plan['planned_cost']} calls planned"
            f" ({time.monotonic() - t0:.0f}s)",
            flush=True,
        )

        with FakeEodhd(
            today=TODAY,
            tokens=[TOKEN],
            latency=args.latency,
            per_minute_limit=args.limit,
            daily_limit=10_000_000,
            tickers_dir=tickers_dir,
        ) as fake:
            env = dict(
                os.environ,
                DATABASE_URL=url,
                EODHD_BASE_URL=fake.url,
                EODHD_API_TOKEN=TOKEN,
                EODHD_RATE_LIMIT=str(args.limit),
                PYTHONPATH=str(ROOT),
            )
            started = time.monotonic()
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "fetcher",
                    "run",
                    "--execution-id",
                    str(execution_id),
                    "--threads",
                    str(args.threads),
                    "--deadline",
                    f"{args.seconds}s",
                    "--progress-every",
                    "15",
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            wall = time.monotonic() - started
            counts = fake.counts()
        for line in proc.stderr.splitlines():
            if "progress:" in line or "finished:" in line:
                print("  " + line)
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return 1
        with psycopg.connect(url, autocommit=True) as conn:
            n, cost, first, last, r429 = conn.execute(
                "select count(*), sum(cost), min(called_at), max(called_at),"
                " count(*) filter (where http_status = 429) from pipeline.api_calls"
            ).fetchone()
            # the steady state: the minute-long windows after the first 10 s
            steady = conn.execute(
                "select count(*) from pipeline.api_calls where called_at >= %s and called_at < %s",
                (first + dt.timedelta(seconds=10), first + dt.timedelta(seconds=70)),
            ).fetchone()[0]
    span = (last - first).total_seconds()
    result = {
        "limit_per_min": args.limit,
        "latency_ms": int(args.latency * 1000),
        "threads": args.threads,
        "requests": n,
        "api_calls": int(cost or 0),
        "requests_429": r429,
        "span_s": round(span, 1),
        "wall_s": round(wall, 1),
        "req_per_min_overall": round(n * 60 / span, 1) if span else None,
        "req_per_min_steady_60s": steady if span >= 70 else None,
        "ledger_equals_server": counts["requests"] == n and counts["charged_calls"] == int(cost or 0),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

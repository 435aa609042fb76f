"""Shared set-up of the fetcher end-to-end tests: a small universe, calendars, an execution,
the local EODHD server, and the comparison of the ledger with the server's own count."""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
from pathlib import Path

import psycopg

from fetcher.calendars import load_calendars
from fetcher.client import EodhdClient, RetryPolicy
from fetcher.config import Config
from fetcher.ratelimit import RateLimiter
from fetcher.run import Runner, RunOptions
from fetcher.universe import sync_universe

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "E2ETOKEN-5b1d0c"
TODAY = dt.date(2026, 11, 24)  # a Tuesday; the US session closes 21:00 UTC
HISTORY_START = dt.date(2026, 9, 1)

# the local server's endpoint names -> the ledger's
SERVER_ENDPOINTS = {
    "eod": "eod",
    "bulk": "eod-bulk-last-day",
    "fundamentals": "fundamentals",
    "symbols": "exchange-symbol-list",
    "splits": "splits",
    "div": "div",
    "user": "user",
}


def as_of(day: dt.date) -> dt.datetime:
    """Late in the UTC day: every exchange has published its day."""
    return dt.datetime.combine(day, dt.time(23, 30), tzinfo=dt.UTC)


def prepare_db(db_url: str, tickers_dir: Path, codes: list[str], universe: str = "nyse") -> None:
    """Universe file, US calendar, a short history window; synced through the real functions."""
    tickers_dir.mkdir(parents=True, exist_ok=True)
    (tickers_dir / f"{universe}.txt").write_text("# test universe\n" + "\n".join(codes) + "\n")
    with psycopg.connect(db_url, autocommit=True) as conn:
        exchanges = sorted({c.rsplit(".", 1)[1] for c in codes})
        load_calendars(conn, start=dt.date(2025, 12, 1), end=dt.date(2026, 12, 31), exchanges=exchanges)
        conn.execute("update pipeline.settings set history_start = %s", (HISTORY_START,))
        sync_universe(conn, tickers_dir, dt.date(2026, 8, 1))


def plan(db_url: str, day: dt.date, run_id: str | None = None) -> tuple[int, dict]:
    """start_execution + discover_delta for the business day; returns (execution_id, plan)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        execution_id = conn.execute(
            "select pipeline.start_execution('data_collection_equities', %s, %s)",
            (run_id or f"test-{day.isoformat()}", as_of(day)),
        ).fetchone()[0]
        summary = conn.execute("select pipeline.discover_delta(%s, %s)", (execution_id, as_of(day))).fetchone()[0]
    return execution_id, summary


def finish(db_url: str, execution_id: int, day: dt.date) -> dict:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute("select pipeline.finish_execution(%s, %s)", (execution_id, as_of(day))).fetchone()[0]


def make_runner(
    db_url: str,
    server_url: str,
    execution_id: int,
    *,
    token: str = TOKEN,
    threads: int = 4,
    batch: int = 8,
    worker: str = "test-worker",
    max_attempts: int = 6,
    **options,
) -> Runner:
    config = Config(database_url=db_url, api_token=token, base_url=server_url, rate_limit_per_minute=100_000)
    client = EodhdClient(
        base_url=server_url,
        token=token,
        limiter=RateLimiter(100_000),
        retry=RetryPolicy(max_attempts=max_attempts, backoff_base=0.01, backoff_cap=0.05, max_retry_after=0.2),
        rng=random.Random(1),
        pool_size=threads + 2,
    )
    opts = RunOptions(
        execution_id=execution_id,
        threads=threads,
        batch=batch,
        worker=worker,
        lease=options.pop("lease", dt.timedelta(seconds=60)),
        deadline=options.pop("deadline", dt.timedelta(minutes=5)),
        progress_every=options.pop("progress_every", 30.0),
        **options,
    )
    return Runner(config, opts, client=client)


def fetcher_env(db_url: str, server_url: str, token: str = TOKEN) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EODHD_")}
    env.update(DATABASE_URL=db_url, EODHD_BASE_URL=server_url, EODHD_API_TOKEN=token, EODHD_RATE_LIMIT="100000")
    env["PYTHONPATH"] = str(ROOT)
    return env


def spawn_run(db_url: str, server_url: str, execution_id: int, *args: str, token: str = TOKEN) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fetcher",
            *args,
            "run",
            "--execution-id",
            str(execution_id),
            "--lease",
            "60s",
            "--deadline",
            "5m",
            "--progress-every",
            "1",
        ],
        cwd=ROOT,
        env=fetcher_env(db_url, server_url, token),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def ledger(db_url: str) -> dict[str, dict[str, int]]:
    """Rows and cost per endpoint in pipeline.api_calls."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "select endpoint, count(*), coalesce(sum(cost), 0) from pipeline.api_calls group by 1"
        ).fetchall()
    return {e: {"requests": int(n), "cost": int(c)} for e, n, c in rows}


def assert_ledger_matches_server(db_url: str, fake) -> dict:
    """Every request the server saw is one ledger row; the costs add up to what it charged."""
    counts = fake.counts()
    server = {
        SERVER_ENDPOINTS[e]: {"requests": v["requests"], "cost": v["charged_calls"]}
        for e, v in counts["by_endpoint"].items()
    }
    mine = ledger(db_url)
    assert mine == server, f"ledger {mine} != server {server}"
    assert sum(v["cost"] for v in mine.values()) == counts["charged_calls"]
    return mine


def items(db_url: str, execution_id: int) -> list[dict]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        cur = conn.execute(
            "select w.work_item_id, w.kind, w.status, w.error_class, w.last_error, a.ticker"
            " from pipeline.work_items as w left join market.assets as a on a.asset_id = w.asset_id"
            " where w.execution_id = %s order by w.work_item_id",
            (execution_id,),
        )
        names = [d.name for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


def asset_state(db_url: str, ticker: str) -> dict:
    with psycopg.connect(db_url, autocommit=True) as conn:
        cur = conn.execute(
            "select s.*, (select count(*) from market.stock_prices as p where p.asset_id = s.asset_id) as bars"
            " from pipeline.asset_processing_state as s join market.assets as a on a.asset_id = s.asset_id"
            " where a.ticker = %s",
            (ticker,),
        )
        names = [d.name for d in cur.description]
        return dict(zip(names, cur.fetchone()))

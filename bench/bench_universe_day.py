"""The headline benchmark (`make bench`): the full universe, 21,817 codes, from the local server.

    DATABASE_URL=$(scripts/db.sh url) .venv/bin/python bench/bench_universe_day.py [--out BENCHMARKS.md]

One run, two throw-away databases in turn (both named `bench_universe_day`, dropped at the end):

(a) the initial load: every code new, `pipeline.discover_delta` day after day with the real
    settings (100,000 calls a day, 2,000 kept back): days needed, calls per day, never over.
    One day (by default the one that completes the load) is fetched fully by real
    `python -m fetcher run` processes from the local server; the other days' results are
    written into the state as record_success leaves a loaded asset.
(b) a steady-state day end to end: every asset holds the last --bars sessions of the local
    server's own history (its synthetic market, so the next day's bar continues the same
    series) with its state as a loaded asset has it; then discover, fetch (bulk days plus
    per-ticker calls, at the real 1,000 requests/min), land and ingest, the daily indicator
    step for every asset and the screener refresh, each timed.
(c) the indicators in full (SQL) against the Python + TA-Lib route (bench_indicators) on the
    same bars, and the daily step of (b).
(d) the database size per million bars and its growth over the day.

Writes --out (BENCHMARKS.md: machine, commands, every number, the date) and prints a summary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_indicators  # noqa: E402

from bench.common import catalog_columns, fresh_database  # noqa: E402
from eodhd_fake import FakeEodhd  # noqa: E402
from eodhd_fake.market import Market  # noqa: E402
from fetcher.calendars import load_calendars  # noqa: E402
from fetcher.config import TICKERS_DIR  # noqa: E402
from fetcher.universe import sync_universe  # noqa: E402

DB = "bench_universe_day"
TOKEN = "BENCH-UNIVERSE-TOKEN"
# The real universe by file (bench.common.SIZES: 21,817); Euronext's 890 spread over its four
# EODHD exchanges like the local server's REAL_SIZES (PA 68 %, AS 16 %, BR 12 %, LS 5 %).
UNIVERSE = {
    "nyse": {"US": 2339},
    "nasdaq": {"US": 4086},
    "lse": {"LSE": 3145},
    "frankfurt": {"F": 10209},
    "xetra": {"XETRA": 691},
    "euronext": {"PA": 605, "AS": 140, "BR": 104, "LS": 41},
    "bme": {"MC": 239},
    "six": {"SW": 218},
}
TOTAL = 21_817
FRACTION = [1.0]  # --fraction (a smoke test on part of the universe); 1 in `make bench`
LOAD_START = dt.date(2026, 11, 16)  # (a): a Monday; one business day after the other
DAY = dt.date(2026, 11, 24)  # (b): the steady-state business day, a Tuesday
PREVIOUS = dt.date(2026, 11, 23)
CALENDARS_FROM = dt.date(2014, 12, 1)
CALENDARS_TO = dt.date(2026, 12, 31)
PG_EPOCH = dt.date(2000, 1, 1)
RELATIONS = [
    "market.stock_prices",
    "market.technical_indicators",
    "market.indicator_state",
    "market.fundamentals",
    "raw.eodhd_payloads",
    "pipeline.api_calls",
    "pipeline.work_items",
    "pipeline.asset_processing_details",
    "pipeline.asset_processing_state",
    "market.screener_latest",
]


def as_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 30), tzinfo=dt.UTC)


def universe_sizes() -> dict[str, dict[str, int]]:
    return {u: {e: max(1, round(n * FRACTION[0])) for e, n in per.items()} for u, per in UNIVERSE.items()}


def exchange_sizes() -> dict[str, int]:
    sizes: dict[str, int] = {}
    for per in universe_sizes().values():
        for exchange, n in per.items():
            sizes[exchange] = sizes.get(exchange, 0) + n
    assert FRACTION[0] != 1.0 or sum(sizes.values()) == TOTAL, sizes
    return sizes


def universe_files(market: Market, directory: Path) -> dict[str, list[str]]:
    """Write <universe>.txt with the local server's own listings; returns the codes per file."""
    layout = universe_sizes()
    files: dict[str, list[str]] = {u: [] for u in layout}
    for exchange, total in exchange_sizes().items():
        codes = market.universe(exchange)[:total]
        owners = [u for u, per in layout.items() if exchange in per]
        if len(owners) == 1:
            files[owners[0]].extend(codes)
            continue
        # US: the committed NASDAQ codes to nasdaq.txt, then fill each file to its size
        want = {u: layout[u][exchange] for u in owners}
        rest = []
        for c in codes:
            stem = market.committed.get(c)
            if stem in want and sum(1 for x in files[stem] if x.endswith("." + exchange)) < want[stem]:
                files[stem].append(c)
            else:
                rest.append(c)
        for u in owners:
            while sum(1 for x in files[u] if x.endswith("." + exchange)) < want[u]:
                files[u].append(rest.pop(0))
    for u, codes in files.items():
        (directory / f"{u}.txt").write_text("# bench universe\n" + "\n".join(codes) + "\n")
    return files


def build_universe(url: str, market: Market, tmp: Path) -> int:
    """Calendars and the 21,817 codes synced through pipeline.sync_universe; SPY.US is asset 1."""
    files = universe_files(market, tmp)
    assert "SPY.US" in files["nyse"]
    first = tmp / "first"
    first.mkdir(exist_ok=True)
    (first / "nyse.txt").write_text("SPY.US\n")
    with psycopg.connect(url, autocommit=True) as conn:
        load_calendars(conn, start=CALENDARS_FROM, end=CALENDARS_TO)
        sync_universe(conn, first, LOAD_START - dt.timedelta(days=30), only=["nyse"])
        sync_universe(conn, tmp, LOAD_START - dt.timedelta(days=30))
        n = conn.execute("select count(*) from market.assets where is_active").fetchone()[0]
        conn.execute("vacuum analyze")
    assert n == sum(exchange_sizes().values()), n
    return n


# -- (a) the initial load, planned day by day ------------------------------------------------------
SIMULATE_SUCCESS = """
with done as (
    select w.asset_id, w.kind, a.exchange_code
    from pipeline.work_items as w join market.assets as a on a.asset_id = w.asset_id
    where w.execution_id = %(eid)s and w.kind in ('initial_load', 'prices', 'backfill')
)
update pipeline.asset_processing_state as s
   set status = 'active',
       prices_first_date = coalesce(s.prices_first_date, greatest(s.history_from, date '2015-01-02')),
       prices_last_date = pipeline.get_expected_session(done.exchange_code, %(as_of)s),
       history_owed_from = null,
       gaps_checked_from = s.history_from,
       gaps_checked_through = pipeline.get_expected_session(done.exchange_code, %(as_of)s),
       fundamentals_fetched_at = case when done.kind = 'initial_load' then %(as_of)s else s.fundamentals_fetched_at end,
       last_success_at = %(as_of)s,
       updated_at = now()
  from done
 where done.asset_id = s.asset_id;
update pipeline.asset_processing_state as s
   set prices_last_date = w.to_date, gaps_checked_through = w.to_date, last_success_at = %(as_of)s, updated_at = now()
  from pipeline.work_items as w, market.assets as a
 where w.execution_id = %(eid)s and w.kind = 'bulk_prices' and a.exchange_code = w.exchange_code
   and a.asset_id = s.asset_id and s.history_owed_from is null and s.prices_last_date < w.to_date;
update pipeline.work_items set status = 'done', finished_at = now()
 where execution_id = %(eid)s and status = 'pending';
"""


def fetcher_env(url: str, base_url: str, rate_limit: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EODHD_")}
    env.update(
        DATABASE_URL=url,
        EODHD_BASE_URL=base_url,
        EODHD_API_TOKEN=TOKEN,
        EODHD_RATE_LIMIT=str(rate_limit),
        PYTHONPATH=str(ROOT),
    )
    return env


def run_fetchers(
    url: str, base_url: str, execution_id: int, processes: int, threads: int, rate_limit: int, deadline: str
) -> tuple[float, list[dict]]:
    """`python -m fetcher run` processes on one execution until its work is done; (seconds, summaries)."""
    env = fetcher_env(url, base_url, rate_limit)
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fetcher",
                "run",
                "--execution-id",
                str(execution_id),
                "--threads",
                str(threads),
                "--batch",
                "16",
                "--deadline",
                deadline,
                "--worker-name",
                f"bench-{i}",
                "--rate-share",
                str(processes),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(processes)
    ]
    summaries = []
    for p in procs:
        out, err = p.communicate()
        lines = [ln for ln in out.splitlines() if ln.startswith("{")]
        summary = json.loads(lines[-1]) if lines else {}
        summary["exit_code"] = p.returncode
        if p.returncode != 0:
            summary["stderr_tail"] = err[-2000:]
        summaries.append(summary)
    return time.perf_counter() - started, summaries


def ledger(conn, execution_id: int) -> dict:
    rows = conn.execute(
        "select endpoint, count(*), coalesce(sum(cost), 0) from pipeline.api_calls where execution_id = %s"
        " group by 1 order by 1",
        (execution_id,),
    ).fetchall()
    return {e: {"requests": int(n), "calls": int(c)} for e, n, c in rows}


def server_counts(fake: FakeEodhd) -> dict:
    counts = fake.counts()
    return {"requests": counts["requests"], "charged_calls": counts["charged_calls"]}


def initial_load(server: str, args, market: Market, tmp: Path) -> dict:
    url = fresh_database(DB, server)
    build_universe(url, market, tmp)
    days: list[dict] = []
    day = LOAD_START
    fetched = None
    with psycopg.connect(url, autocommit=True) as conn:
        quota, buffer = conn.execute("select daily_quota, quota_buffer from pipeline.settings").fetchone()
        for k in range(args.max_load_days):
            while day.weekday() >= 5:
                day += dt.timedelta(days=1)
            eid = conn.execute(
                "select pipeline.start_execution('data_collection_equities', %s, %s)", (f"bench-load-{day}", as_of(day))
            ).fetchone()[0]
            remaining = conn.execute("select pipeline.get_remaining_quota(%s, %s)", (as_of(day), eid)).fetchone()[0]
            t0 = time.perf_counter()
            plan = conn.execute("select pipeline.discover_delta(%s, %s)", (eid, as_of(day))).fetchone()[0]
            plan_s = time.perf_counter() - t0
            kinds = {k2: v for k2, v in plan["by_kind"].items()}
            row = {
                "day": day.isoformat(),
                "execution_id": eid,
                "remaining_quota_before": remaining,
                "planned_cost": plan["planned_cost"],
                "planned_items": plan["planned_items"],
                "deferred_items": plan["deferred_items"],
                "deferred_cost": plan["deferred_cost"],
                "by_kind": kinds,
                "discover_delta_s": round(plan_s, 3),
                "within_quota": plan["planned_cost"] <= remaining,
            }
            loads = (kinds.get("initial_load") or {}).get("items", 0)
            last_load_day = loads > 0 and plan["deferred_items"] == 0
            fetch_this = fetched is None and (
                (args.sample_day == "first" and k == 0) or (args.sample_day == "last" and last_load_day)
            )
            if fetch_this:
                row["fetched"] = fetch_day(url, conn, eid, day, args)
                fetched = row
            else:
                for statement in filter(str.strip, SIMULATE_SUCCESS.split(";")):
                    conn.execute(statement, {"eid": eid, "as_of": as_of(day)})
                row["fetched"] = None
            conn.execute("select pipeline.finish_execution(%s, %s)", (eid, as_of(day)))
            days.append(row)
            print(
                f"  (a) {day}: planned {plan['planned_cost']:,} calls ({plan['planned_items']:,} items:"
                f" {', '.join(k2 + ' ' + str(v['items']) for k2, v in kinds.items())}),"
                f" deferred {plan['deferred_items']:,}, quota left {remaining:,}"
                + (f"; fetched in {row['fetched']['wall_s']} s" if row["fetched"] else ""),
                flush=True,
            )
            if loads == 0 and plan["deferred_items"] == 0:
                break
            day += dt.timedelta(days=1)
        owed = conn.execute(
            "select count(*) filter (where history_owed_from is not null),"
            " count(*) filter (where status = 'new') from pipeline.asset_processing_state"
        ).fetchone()
    load_days = [d for d in days if (d["by_kind"].get("initial_load") or {}).get("items", 0)]
    return {
        "quota": quota,
        "quota_buffer": buffer,
        "days": days,
        "days_needed": len(load_days),
        "still_owed_after": owed[0],
        "still_new_after": owed[1],
        "never_over": all(d["within_quota"] and d["planned_cost"] <= quota - buffer for d in days),
    }


def fetch_day(url: str, conn, eid: int, day: dt.date, args) -> dict:
    with FakeEodhd(
        today=day, tokens=[TOKEN], daily_limit=100_000, per_minute_limit=10_000_000, exchange_sizes=exchange_sizes()
    ) as fake:
        wall, summaries = run_fetchers(url, fake.url, eid, args.load_processes, args.load_threads, 10_000_000, "25m")
        served = server_counts(fake)
        used = fake.calls_used(TOKEN, day)
    mine = ledger(conn, eid)
    statuses = dict(
        conn.execute(
            "select status, count(*) from pipeline.work_items where execution_id = %s group by 1", (eid,)
        ).fetchall()
    )
    bars = conn.execute("select count(*) from market.stock_prices").fetchone()[0]
    raw_bytes = conn.execute("select pg_total_relation_size('raw.eodhd_payloads')").fetchone()[0]
    requests = sum(v["requests"] for v in mine.values())
    return {
        "wall_s": round(wall, 1),
        "processes": args.load_processes,
        "threads": args.load_threads,
        "ledger": mine,
        "ledger_requests": requests,
        "ledger_calls": sum(v["calls"] for v in mine.values()),
        "server": served,
        "server_calls_used_that_day": used,
        "item_status": statuses,
        "bars_stored": bars,
        "raw_payload_bytes": raw_bytes,
        "requests_per_s": round(requests / wall, 1) if wall else None,
        "minutes_at_1000_per_min": round(requests / 980, 1),
        "fetchers": summaries,
    }


# -- (b) the steady state, loaded from the server's own history ------------------------------------
def _binary_rows(asset_id: int, p, adj: np.ndarray, first: int, last: int, adjusted_as_of: int) -> bytes:
    n = last - first + 1
    rec = np.empty(
        n,
        dtype=np.dtype(
            [("n", ">i2"), ("l0", ">i4"), ("a", ">i8"), ("l1", ">i4"), ("d", ">i4")]
            + [x for k in range(6) for x in ((f"l{k + 2}", ">i4"), (f"v{k}", ">f8"))]
            + [("l8", ">i4"), ("aod", ">i4")]
        ),
    )
    rec["n"], rec["l0"], rec["a"], rec["l1"] = 9, 8, asset_id, 4
    rec["d"] = [(d - PG_EPOCH).days for d in p.dates[first : last + 1]]
    close = p.close[first : last + 1]
    adjusted = close * adj[first : last + 1]
    adjusted = np.where(adjusted >= 0.01, np.round(adjusted, 4), np.round(adjusted, 8))
    for k, values in enumerate(
        (
            p.open[first : last + 1],
            p.high[first : last + 1],
            p.low[first : last + 1],
            close,
            adjusted,
            p.volume[first : last + 1],
        )
    ):
        rec[f"l{k + 2}"] = 8
        rec[f"v{k}"] = values
    rec["l8"], rec["aod"] = 4, adjusted_as_of
    return rec.tobytes()


def load_history(conn, market: Market, bars: int) -> dict:
    """The last `bars` sessions up to PREVIOUS of every asset, as the local server serves them."""
    assets = conn.execute("select asset_id, ticker from market.assets order by asset_id").fetchall()
    firsts, lasts, ids = [], [], []
    total = 0
    aod = (PREVIOUS - PG_EPOCH).days
    with conn.cursor() as cur:
        with cur.copy(
            "copy market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close,"
            " volume, adjusted_as_of) from stdin (format binary)"
        ) as copy:
            copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
            for asset_id, ticker in assets:
                inst = market.instrument(ticker)
                p = market.path(inst, cache=False)
                last = market.last_index(p, PREVIOUS)
                if last < 0:
                    continue
                first = max(0, last - bars + 1)
                copy.write(_binary_rows(asset_id, p, market.adjustment(p, PREVIOUS), first, last, aod))
                ids.append(asset_id)
                firsts.append(p.dates[first])
                lasts.append(p.dates[last])
                total += last - first + 1
            copy.write(struct.pack(">h", -1))
    conn.commit()
    return {"ids": ids, "firsts": firsts, "lasts": lasts, "bars": total}


STEADY_STATE = """
update pipeline.asset_processing_state as s
   set status = 'active', prices_first_date = h.first_date, prices_last_date = h.last_date,
       history_owed_from = null, gaps_checked_from = s.history_from, gaps_checked_through = h.last_date,
       prices_gap_from = null, consecutive_failures = 0, next_attempt_at = null,
       last_success_at = %(previous)s,
       fundamentals_fetched_at = %(as_of)s - (select fundamentals_refresh_interval from pipeline.settings)
           * ((abs(hashtext(a.ticker)::bigint) %% 1000) / 1000.0),
       updated_at = now()
  from unnest(%(ids)s::bigint[], %(firsts)s::date[], %(lasts)s::date[]) as h (asset_id, first_date, last_date),
       market.assets as a
 where s.asset_id = h.asset_id and a.asset_id = h.asset_id
"""


def sizes(conn) -> dict:
    out = {r: conn.execute("select pg_total_relation_size(%s::regclass)", (r,)).fetchone()[0] for r in RELATIONS}
    out["database"] = conn.execute("select pg_database_size(current_database())").fetchone()[0]
    return out


def steady_day(server: str, args, market: Market, tmp: Path) -> dict:
    url = fresh_database(DB, server)
    build_universe(url, market, tmp)
    res: dict = {"bars_per_asset": args.bars}
    with psycopg.connect(url) as conn:
        t0 = time.perf_counter()
        h = load_history(conn, market, args.bars)
        conn.execute(
            STEADY_STATE,
            {
                "ids": h["ids"],
                "firsts": h["firsts"],
                "lasts": h["lasts"],
                "previous": as_of(PREVIOUS),
                "as_of": as_of(DAY),
            },
        )
        conn.commit()
        conn.autocommit = True
        conn.execute("vacuum analyze")
        res["history_bars"] = h["bars"]
        res["history_assets"] = len(h["ids"])
        res["load_s"] = round(time.perf_counter() - t0, 1)
        print(f"  (b) history: {h['bars']:,} bars of {len(h['ids']):,} assets loaded in {res['load_s']} s", flush=True)

        # (c) the full indicator history two ways
        catalog, columns = catalog_columns(conn)
        conn.autocommit = False
        if not args.skip_python:
            t0 = time.perf_counter()
            rows = bench_indicators.copy_out(conn)
            asset, dates, values = bench_indicators.compute(rows, catalog, columns)
            del rows
            conn.execute("truncate market.technical_indicators")
            bench_indicators.copy_in(conn, asset, dates, values, columns)
            del asset, dates, values
            res["python_full_s"] = round(time.perf_counter() - t0, 2)
            print(f"  (c) Python + TA-Lib route, full history: {res['python_full_s']} s", flush=True)
        conn.execute("truncate market.technical_indicators")
        conn.commit()
        t0 = time.perf_counter()
        res["sql_full_result"] = conn.execute("select market.recompute_indicators()").fetchone()[0]
        conn.commit()
        res["sql_full_s"] = round(time.perf_counter() - t0, 2)
        if res.get("python_full_s"):
            res["ratio_sql_python"] = round(res["sql_full_s"] / res["python_full_s"], 2)
        print(
            f"  (c) SQL full recompute: {res['sql_full_s']} s"
            + (f" (ratio {res['ratio_sql_python']}x)" if "ratio_sql_python" in res else ""),
            flush=True,
        )
        conn.autocommit = True
        conn.execute("select market.refresh_screener()")
        conn.execute("vacuum analyze")
        res["indicator_rows_before"] = conn.execute("select count(*) from market.technical_indicators").fetchone()[0]
        res["sizes_before"] = sizes(conn)

        # (b) the day itself
        with FakeEodhd(
            today=DAY,
            tokens=[TOKEN],
            daily_limit=100_000,
            per_minute_limit=args.rate_limit,
            exchange_sizes=exchange_sizes(),
        ) as fake:
            # the local server builds a bulk day at ~1 ms a listed code on first use (the real API
            # serves a stored file): build them before the clock starts, as a cache nothing counts
            t0 = time.perf_counter()
            for exchange in exchange_sizes():
                fake._bulk(exchange, {"date": DAY.isoformat()}, DAY, True)
            res["server_bulk_warmup_s"] = round(time.perf_counter() - t0, 1)
            load_before = os.getloadavg()
            steps: dict[str, float] = {}
            day_started = time.perf_counter()
            t0 = time.perf_counter()
            eid = conn.execute(
                "select pipeline.start_execution('data_collection_equities', %s, %s)", (f"bench-day-{DAY}", as_of(DAY))
            ).fetchone()[0]
            plan = conn.execute("select pipeline.discover_delta(%s, %s)", (eid, as_of(DAY))).fetchone()[0]
            steps["discover"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            fetch_wall, summaries = run_fetchers(url, fake.url, eid, 1, args.day_threads, args.rate_limit, "10m")
            steps["fetch_land_ingest"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            finished = conn.execute("select pipeline.finish_execution(%s, %s)", (eid, as_of(DAY))).fetchone()[0]
            steps["finish"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            res["refresh_indicators"] = conn.execute("select market.refresh_indicators(%s)", (DAY,)).fetchone()[0]
            steps["indicators"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            res["refresh_screener"] = conn.execute("select market.refresh_screener()").fetchone()[0]
            steps["screener"] = time.perf_counter() - t0
            steps["total"] = time.perf_counter() - day_started
            served = server_counts(fake)
        res["load_average_during_day"] = [round(x, 2) for x in load_before]
        res["steps_s"] = {k: round(v, 2) for k, v in steps.items()}
        res["plan"] = {
            k: plan[k]
            for k in ("planned_cost", "planned_items", "deferred_items", "deferred_cost", "by_kind", "by_exchange")
        }
        res["finish"] = finished
        res["fetchers"] = summaries
        mine = ledger(conn, eid)
        res["ledger"] = mine
        res["server"] = served
        res["ledger_equals_server"] = (
            sum(v["requests"] for v in mine.values()) == served["requests"]
            and sum(v["calls"] for v in mine.values()) == served["charged_calls"]
        )
        price_calls = sum(v["calls"] for e, v in mine.items() if e in ("eod", "eod-bulk-last-day"))
        res["price_calls"] = price_calls
        res["all_calls"] = sum(v["calls"] for v in mine.values())
        res["items"] = {
            f"{k}/{s}": n
            for k, s, n in conn.execute(
                "select kind, status, count(*) from pipeline.work_items where execution_id = %s group by 1, 2 order by 1, 2",
                (eid,),
            ).fetchall()
        }
        res["assets_with_day_bar"] = conn.execute(
            "select count(distinct asset_id) from market.stock_prices where trade_date = %s", (DAY,)
        ).fetchone()[0]
        res["assets_with_day_indicators"] = conn.execute(
            "select count(*) from market.technical_indicators where trade_date = %s", (DAY,)
        ).fetchone()[0]
        res["screener_rows_on_day"] = conn.execute(
            "select count(*) from market.screener_latest where trade_date = %s", (DAY,)
        ).fetchone()[0]
        res["unexplained_missing"] = conn.execute(
            "select count(*) from pipeline.check_history_completeness(%s) where is_unexplained", (as_of(DAY),)
        ).fetchone()[0]
        res["bars_after"] = conn.execute("select count(*) from market.stock_prices").fetchone()[0]
        res["indicator_rows_after"] = conn.execute("select count(*) from market.technical_indicators").fetchone()[0]
        res["sizes_after"] = sizes(conn)
        res["http_ms_by_endpoint"] = {
            e: [int(n), int(s or 0), int(m or 0)]
            for e, n, s, m in conn.execute(
                "select endpoint, count(*), sum(duration_ms), max(duration_ms) from pipeline.api_calls"
                " where execution_id = %s group by 1 order by 1",
                (eid,),
            ).fetchall()
        }
        # the daily indicator step once more on a second day (the bars copied forward), for a second number
        if not args.skip_second_day:
            bench_indicators.add_next_day(conn)
            nxt = conn.execute("select max(trade_date) from market.stock_prices").fetchone()[0]
            t0 = time.perf_counter()
            conn.execute("select market.refresh_indicators(%s)", (nxt,))
            res["indicators_second_day_s"] = round(time.perf_counter() - t0, 2)
            t0 = time.perf_counter()
            conn.execute("select market.refresh_screener()")
            res["screener_second_day_s"] = round(time.perf_counter() - t0, 2)
    return res


# -- the report ----------------------------------------------------------------------------------------
def machine(server: str) -> dict:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        (
            int(ln.split()[1]) // 1024 // 1024
            for ln in Path("/proc/meminfo").read_text().splitlines()
            if ln.startswith("MemTotal")
        ),
        None,
    )
    with psycopg.connect(server, autocommit=True) as conn:
        version = conn.execute("select version()").fetchone()[0].split(" on ")[0]
        settings = {
            k: conn.execute(f"show {k}").fetchone()[0]
            for k in (
                "shared_buffers",
                "work_mem",
                "maintenance_work_mem",
                "fsync",
                "synchronous_commit",
                "full_page_writes",
                "max_parallel_workers_per_gather",
                "max_worker_processes",
            )
        }
    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()  # noqa: E731
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": version,
        "settings": settings,
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_files": len(git("status", "--porcelain").splitlines()),
    }


def ledger_text(led: dict) -> str:
    return ", ".join(f"{e}: {v['requests']:,} requests, {v['calls']:,} calls" for e, v in led.items())


def mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def render(r: dict) -> str:
    m, a, b = r["machine"], r["initial_load"], r["steady"]
    s = b["steps_s"]
    sb, sa = b["sizes_before"], b["sizes_after"]
    bars_m = b["history_bars"] / 1e6
    out = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`bench/bench_universe_day.py`) on {r['date']}; every number below is",
        "measured by that run, nothing is typed by hand. The scaling benchmark (5x the universe) is",
        "`bench/bench_scale.py`, reported in docs/SCALING.md.",
        "",
        "## Machine and commands",
        "",
        f"- {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB RAM, Linux {m['kernel']}, Python {m['python']}",
        f"- {m['postgres']}, the embedded cluster of `scripts/db.sh`: "
        + ", ".join(f"`{k}` {v}" for k, v in m["settings"].items()),
        f"- commit {m['commit']} ({m['uncommitted_files']} files changed in the working tree by other work in progress)",
        f"- load average (1, 5, 15 min) at the start {r['load_start']}, before the steady day"
        f" {b['load_average_during_day']}, at the end {r['load_end']}: the machine is shared with other"
        " engineers' test runs, so the times are pessimistic",
        f"- whole run {r['wall_min']} min",
        "",
        "```",
        "make bench        # = DATABASE_URL=$(scripts/db.sh url) .venv/bin/python bench/bench_universe_day.py --out BENCHMARKS.md",
        "```",
        "",
        "The universe: 21,817 codes with the real per-exchange sizes (NYSE 2,339, NASDAQ 4,086, LSE 3,145,",
        "Frankfurt 10,209, XETRA 691, Euronext 890 spread over PA 605 / AS 140 / BR 104 / LS 41, BME 239,",
        "SIX 218), the local server's own listings, real exchange calendars (exchange-calendars), synced",
        "through `pipeline.sync_universe`; the settings are the defaults (`daily_quota` 100,000,",
        "`quota_buffer` 2,000, `history_start` 2000-01-01, fundamentals every 30 days).",
        "",
        "## (a) The initial load, planned day by day under the daily quota",
        "",
        "Every code new; `pipeline.discover_delta` each business day from "
        f"{LOAD_START} (as of 23:30 UTC). The fetched day ran `python -m fetcher run` x"
        f" {r['args']['load_processes']} ({r['args']['load_threads']} threads each) against the local server"
        " without a per-minute limit; the other days' items were written into the state as a success leaves it.",
        "",
        "| day | quota left before | planned calls | items | initial loads | bulk days | other | deferred items | discover_delta | fetched |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for d in a["days"]:
        k = d["by_kind"]
        items = lambda name, k=k: (k.get(name) or {}).get("items", 0)  # noqa: E731
        other = d["planned_items"] - items("initial_load") - items("bulk_prices")
        f = d["fetched"]
        out.append(
            f"| {d['day']} | {d['remaining_quota_before']:,} | {d['planned_cost']:,} | {d['planned_items']:,} |"
            f" {items('initial_load'):,} | {items('bulk_prices')} | {other} | {d['deferred_items']:,} |"
            f" {d['discover_delta_s']:.2f} s | {'yes: ' + str(f['wall_s']) + ' s' if f else 'simulated'} |"
        )
    out += [
        "",
        f"**Days needed: {a['days_needed']}** (then the steady state); never over the quota:"
        f" **{'yes' if a['never_over'] else 'NO'}** (every plan within `daily_quota - quota_buffer` ="
        f" {a['quota'] - a['quota_buffer']:,}); after the last day {a['still_owed_after']} assets still owe history,"
        f" {a['still_new_after']} are new.",
        "",
    ]
    f = next((d["fetched"] for d in a["days"] if d["fetched"]), None)
    if f:
        out += [
            f"The fetched day: {f['ledger_requests']:,} requests, {f['ledger_calls']:,} calls in the ledger"
            f" ({ledger_text(f['ledger'])});"
            f" the server counted {f['server']['requests']:,} requests and charged {f['server']['charged_calls']:,}"
            f" calls ({f['server_calls_used_that_day']:,} on its day, limit 100,000). Items: {f['item_status']}.",
            f"Wall time {f['wall_s']} s ({f['requests_per_s']} requests/s; at the real 1,000 requests/min the same"
            f" requests take at least {f['minutes_at_1000_per_min']} min), {f['bars_stored']:,} bars stored,"
            f" raw payloads {mb(f['raw_payload_bytes'])}.",
        ]
        fetched_day = next(d for d in a["days"] if d["fetched"])
        extra_calls = f["ledger_calls"] - fetched_day["planned_cost"]
        bulk_items = (fetched_day["by_kind"].get("bulk_prices") or {}).get("items", 0)
        extra_bulk = (f["ledger"].get("eod-bulk-last-day") or {}).get("requests", 0) - bulk_items
        if extra_calls:
            out.append(
                f"The ledger holds {extra_calls:,} calls more than the plan: {f['ledger_requests'] - fetched_day['planned_items'] - (fetched_day['by_kind'].get('initial_load') or {}).get('items', 0):,}"
                f" requests were repeated by the fetcher's retries, {extra_bulk} of them bulk days ({bulk_items} planned)."
                " The likeliest cause (not recorded by this run): the local server builds a bulk day from scratch on"
                " first use, about 1 ms a listed code and much slower under the load of the history requests, and"
                " charges an answer it served after the client had given up waiting. Every retried call is in the"
                " ledger, which still equals the server's count, and the day stayed under the quota."
            )
        out.append("")
    day_bar_assets = b["assets_with_day_bar"]
    out += [
        "## (b) A steady-state day end to end",
        "",
        f"Every asset holds its last {b['bars_per_asset']} sessions up to {PREVIOUS} as the local server serves"
        f" them ({b['history_bars']:,} bars, loaded by binary COPY in {b['load_s']} s, not part of the day), its"
        " state as a loaded asset has it (`history_owed_from` null, `gaps_checked_from` .. `gaps_checked_through`"
        " = `history_from` .. last bar, fundamentals fetched at dates spread over the 30-day interval), and its"
        f" full indicator history. The day is {DAY} (as of 23:30 UTC); the local server enforces"
        f" {r['args']['rate_limit']:,} requests/min and so does the fetcher (one `python -m fetcher run`,"
        f" {r['args']['day_threads']} threads). The server's bulk days were built before the clock started"
        f" ({b['server_bulk_warmup_s']} s; the real API serves a stored file).",
        "",
        "| step | wall time |",
        "|---|---|",
        f"| discover (`start_execution` + `discover_delta`) | {s['discover']:.2f} s |",
        f"| fetch, land and ingest (`python -m fetcher run`, process start to exit) | {s['fetch_land_ingest']:.2f} s |",
        f"| `finish_execution` | {s['finish']:.2f} s |",
        f"| indicators for every asset (`market.refresh_indicators`) | {s['indicators']:.2f} s |",
        f"| screener (`market.refresh_screener`) | {s['screener']:.2f} s |",
        f"| **the day in all** (target under 120 s) | **{s['total']:.1f} s** |",
        "",
        f"API calls: **{b['price_calls']:,} for prices** (target at most 1,000), {b['all_calls']:,} in all"
        f" ({ledger_text(b['ledger'])});"
        f" the ledger equals the server's count: {'yes' if b['ledger_equals_server'] else 'NO'}"
        f" (server: {b['server']['requests']:,} requests, {b['server']['charged_calls']:,} calls).",
        f"Plan: {b['plan']['planned_items']:,} items, {b['plan']['planned_cost']:,} calls, by kind"
        f" {json.dumps(b['plan']['by_kind'])}; items after the run {b['items']}; run {b['finish'].get('status')}.",
        f"Result: {day_bar_assets:,} of {r['assets']:,} assets have the day's bar, {b['assets_with_day_indicators']:,}"
        f" the day's indicators, {b['screener_rows_on_day']:,} screener rows are of the day;"
        f" `check_history_completeness` unexplained: {b['unexplained_missing']}.",
        f"`refresh_indicators`: {json.dumps(b['refresh_indicators'])}.",
        "",
        "## (c) Indicators: full versus daily, SQL versus Python + TA-Lib",
        "",
        "| measurement | time |",
        "|---|---|",
        f"| Python + TA-Lib route, full history (binary COPY out, 42 columns, binary COPY in) | "
        f"{str(b.get('python_full_s', 'not run')) + ' s' if b.get('python_full_s') else 'not run'} |",
        f"| SQL full recompute (`market.recompute_indicators()`) | {b['sql_full_s']} s |",
        f"| ratio SQL / Python (target at most 2) | {str(b.get('ratio_sql_python', '-')) + 'x' if b.get('ratio_sql_python') else '-'} |",
        f"| daily step, every asset one new bar (`refresh_indicators`), the day of (b) | {s['indicators']:.2f} s |",
    ]
    if "indicators_second_day_s" in b:
        out += [
            f"| daily step, a second day (bars copied forward) | {b['indicators_second_day_s']} s |",
            f"| screener refresh after the second day | {b['screener_second_day_s']} s |",
        ]
    full_per_m = b["sql_full_s"] / bars_m
    out += [
        "",
        f"The full recompute costs {full_per_m:.1f} s per million bars; the daily step"
        f" {s['indicators'] / r['assets'] * 1e6:.0f} us per asset, {b['sql_full_s'] / max(s['indicators'], 0.01):.0f}x"
        " less than the full history.",
        "",
        "## (d) Database size",
        "",
        f"Before the day: {b['history_bars']:,} bars, {b['indicator_rows_before']:,} indicator rows. After it:"
        f" {b['bars_after']:,} bars, {b['indicator_rows_after']:,} indicator rows (one day: "
        f"{b['bars_after'] - b['history_bars']:,} bars)."
        + (" The second day of (c) is not in these sizes." if "indicators_second_day_s" in b else ""),
        "",
        "| relation | before the day | per million bars | after the day | growth in the day |",
        "|---|---|---|---|---|",
    ]
    for rel in RELATIONS + ["database"]:
        out.append(f"| `{rel}` | {mb(sb[rel])} | {mb(sb[rel] / bars_m)} | {mb(sa[rel])} | {mb(sa[rel] - sb[rel])} |")
    day_rows = b["bars_after"] - b["history_bars"]
    per_bar = (sb["market.stock_prices"] + sb["market.technical_indicators"]) / b["history_bars"]
    out += [
        "",
        f"Prices and indicators take {per_bar:,.0f} bytes a bar ({mb(per_bar * 1e6)} per million bars:"
        f" prices {sb['market.stock_prices'] / b['history_bars']:,.0f}, indicators"
        f" {sb['market.technical_indicators'] / b['history_bars']:,.0f}); a day of the universe"
        f" ({day_rows:,} bars) adds about {mb(per_bar * day_rows)} to them, plus the day's raw payloads"
        f" ({mb(sa['raw.eodhd_payloads'] - sb['raw.eodhd_payloads'])}, kept `raw_retention` = 30 days). Measured growth"
        f" of the whole database in the day: {mb(sa['database'] - sb['database'])}"
        " (relation sizes grow by whole pages and extents, so a single day's delta is coarse). Most of it is"
        " rewritten rows, not data: the daily step rewrites every `indicator_state` row (about 6 kB each, inline)"
        " and the concurrent screener refresh every screener row; the old versions are dead tuples that vacuum"
        " makes reusable, so these two stay about twice their live size instead of growing by that every day.",
        f"At 30 years (about 7,560 sessions) x 21,817 assets = {21817 * 7560 / 1e6:.0f}M bars:"
        f" about {per_bar * 21817 * 7560 / 1e9:,.0f} GB for prices and indicators.",
        "",
        "## All numbers (JSON)",
        "",
        "```json",
        json.dumps(r, indent=1, default=str),
        "```",
        "",
    ]
    return "\n".join(out)


def summary(r: dict) -> str:
    a, b = r["initial_load"], r["steady"]
    s = b["steps_s"]
    lines = [
        f"make bench: universe of {r['assets']:,} assets, {r['date']}, {r['wall_min']} min, load avg {r['load_start']}",
        f"(a) initial load: {a['days_needed']} days, calls/day "
        + ", ".join(f"{d['planned_cost']:,}" for d in a["days"])
        + f", never over quota: {a['never_over']}",
    ]
    f = next((d["fetched"] for d in a["days"] if d["fetched"]), None)
    if f:
        lines.append(
            f"    fetched day: {f['ledger_requests']:,} requests / {f['ledger_calls']:,} calls in {f['wall_s']} s,"
            f" server charged {f['server']['charged_calls']:,}"
        )
    lines += [
        f"(b) steady day: discover {s['discover']:.2f} s, fetch+land+ingest {s['fetch_land_ingest']:.1f} s,"
        f" indicators {s['indicators']:.2f} s, screener {s['screener']:.2f} s, total {s['total']:.1f} s (target < 120)",
        f"    calls: prices {b['price_calls']:,} (target <= 1,000), all {b['all_calls']:,}; ledger = server:"
        f" {b['ledger_equals_server']}; assets with the day's bar {b['assets_with_day_bar']:,}",
        f"(c) indicators: SQL full {b['sql_full_s']} s, Python {b.get('python_full_s', '-')} s, ratio"
        f" {b.get('ratio_sql_python', '-')}x; daily {s['indicators']:.2f} s"
        + (f", second day {b['indicators_second_day_s']} s" if "indicators_second_day_s" in b else ""),
        f"(d) size: {(b['sizes_before']['market.stock_prices'] + b['sizes_before']['market.technical_indicators']) / (b['history_bars'] / 1e6) / 1e6:,.0f}"
        f" MB per million bars (prices + indicators); database {mb(b['sizes_before']['database'])} before,"
        f" +{mb(b['sizes_after']['database'] - b['sizes_before']['database'])} in the day",
    ]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    ap.add_argument("--bars", type=int, default=504, help="sessions of history per asset in (b) (default 504)")
    ap.add_argument(
        "--sample-day",
        choices=["first", "last", "none"],
        default="last",
        help="which initial-load day to fetch fully (default: the one completing the load)",
    )
    ap.add_argument("--load-processes", type=int, default=2)
    ap.add_argument("--load-threads", type=int, default=6)
    ap.add_argument("--day-threads", type=int, default=8)
    ap.add_argument("--rate-limit", type=int, default=1000, help="requests/min of the server and the fetcher in (b)")
    ap.add_argument("--max-load-days", type=int, default=10)
    ap.add_argument("--skip-python", action="store_true")
    ap.add_argument("--skip-second-day", action="store_true")
    ap.add_argument("--skip-load", action="store_true", help="skip (a) (only for trying (b) out)")
    ap.add_argument("--keep", action="store_true", help="keep the database of (b)")
    ap.add_argument("--fraction", type=float, default=1.0, help="part of the universe (a smoke test; default 1)")
    ap.add_argument(
        "--render-from", type=Path, help="re-write --out from the JSON block of an earlier report (no measuring)"
    )
    args = ap.parse_args()
    if args.render_from:
        text = args.render_from.read_text()
        result = json.loads(text.split("```json\n", 1)[1].rsplit("\n```", 1)[0])
        args.out.write_text(render(result))
        print(summary(result))
        return 0
    server = os.environ.get("DATABASE_URL")
    if not server:
        print("DATABASE_URL is not set (export DATABASE_URL=$(scripts/db.sh url))", file=sys.stderr)
        return 2
    FRACTION[0] = args.fraction
    started = time.perf_counter()
    result = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_start": [round(x, 2) for x in os.getloadavg()],
        "machine": machine(server),
        "args": vars(args) | {"out": str(args.out)},
        "assets": sum(exchange_sizes().values()),
    }
    market = Market(tickers_dir=TICKERS_DIR, exchange_sizes=exchange_sizes())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if not args.skip_load:
                result["initial_load"] = initial_load(server, args, market, Path(tmp))
            else:
                result["initial_load"] = {
                    "days": [],
                    "days_needed": None,
                    "never_over": None,
                    "quota": 0,
                    "quota_buffer": 0,
                    "still_owed_after": None,
                    "still_new_after": None,
                }
            result["steady"] = steady_day(server, args, market, Path(tmp))
    finally:
        if not args.keep:
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(f"drop database if exists {DB} with (force)")
    result["load_end"] = [round(x, 2) for x in os.getloadavg()]
    result["wall_min"] = round((time.perf_counter() - started) / 60, 1)
    args.out.write_text(render(result))
    print(summary(result))
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

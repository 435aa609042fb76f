"""How the daily costs grow with the universe: 1x (21,817 assets) and 5x (109,085), same script.

    DATABASE_URL=$(scripts/db.sh url) .venv/bin/python bench/bench_scale.py [--scales 1,5]

For each scale a fresh database `bench_scale` (dropped at the end): weekday calendars, the
real per-exchange sizes (bench.common.SIZES) times the scale, every asset loaded up to the
session before the business day (bench_discover.AS_OF, 2026-03-11) with fundamentals spread
over the refresh interval, and indicator state for every asset. Then, timed:

- planning: `pipeline.discover_delta` on the steady day (one session behind: bulk days plus the
  fundamentals due) and with everything 4 sessions behind (one `prices` item each, capped by
  the quota), each round rolled back (bench_discover.time_discover);
- claiming: 8 processes claim that per-ticker plan in batches of 100 (bench_claim.one_round);
- the daily indicator step (`market.refresh_indicators`, one new bar for every asset) and the
  screener refresh (`market.refresh_screener`), two days in a row.

Indicator state: the first --base assets get --bars synthetic bars and a real full recompute;
every other asset is a copy of one of them (its state row, its last 3 bars and 2 indicator rows),
so the daily step does the same work per asset as on a long history without loading one.
Prints a table and the numbers as JSON (--json FILE writes them too).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_claim  # noqa: E402
import bench_discover  # noqa: E402
import bench_indicators  # noqa: E402

from bench.common import SIZES, add_universe, add_weekday_sessions, fresh_database  # noqa: E402

DB = "bench_scale"
AS_OF = bench_discover.AS_OF  # 2026-03-11 23:30 UTC, a Wednesday
STEADY = "2026-03-10"
FOUR_BEHIND = "2026-03-05"


def build(server: str, scale: float, base: int, bars: int) -> tuple[str, dict]:
    url = fresh_database(DB, server)
    t: dict[str, float] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        t0 = time.perf_counter()
        add_weekday_sessions(conn, "'2025-01-01'::date", "'2026-12-31'")
        # SPY.US first: asset 1 is the indicators' benchmark (bench_indicators.compute's rule too)
        conn.execute(
            "insert into market.assets (ticker, symbol, exchange_code, listing_venue)"
            " values ('SPY.US', 'SPY', 'US', 'NYSE ARCA')"
        )
        conn.execute("insert into pipeline.asset_processing_state (asset_id) select asset_id from market.assets")
        add_universe(
            conn,
            {
                venue: (exchange, round(n * scale) - (1 if venue == "NYSE" else 0))
                for venue, (exchange, n) in SIZES.items()
            },
        )
        assets = conn.execute("select count(*) from market.assets").fetchone()[0]
        t["assets_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        # the base: `bars` weekdays ending on STEADY, a random walk per asset (bench_indicators.load's)
        conn.execute(
            """
            insert into market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close, volume)
            select asset_id, d, o, greatest(o, c) * (1 + u2), least(o, c) * (1 - u3), c, c, vol
            from (
                select a.asset_id, s.d, w.c * (1 + (random() - 0.5) * 0.01) as o, w.c,
                       random() * 0.01 as u2, random() * 0.01 as u3, floor(random() * 1000000) as vol
                from market.assets as a
                cross join lateral (
                    select d::date as d, row_number() over (order by d desc) as n
                    from generate_series(%(end)s::date - %(bars)s * 2, %(end)s::date, interval '1 day') as d
                    where extract(isodow from d) < 6 order by d desc limit %(bars)s
                ) as s
                cross join lateral (select (20 + a.asset_id %% 50) * exp(-s.n * 0.0005 * (a.asset_id %% 7 - 3))
                                           + 5 * sin(s.n / 10.0 + a.asset_id) + random() as c) as w
                where a.asset_id <= %(base)s
            ) as x""",
            {"bars": bars, "end": STEADY, "base": base},
        )
        conn.execute("vacuum analyze market.stock_prices")
        conn.execute(
            "select market.recompute_indicators(array(select ticker from market.assets"
            " where asset_id <= %s order by asset_id))",
            (base,),
        )
        t["base_recompute_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        clone = "a.asset_id > %(base)s and src.asset_id = 2 + (a.asset_id - 2) %% (%(base)s - 1)"
        conn.execute(
            f"""
            insert into market.indicator_state
            select a.asset_id, src.first_trade_date, src.last_trade_date, src.bar_count, src.state, src.recent_dates,
                   src.recent_close, src.recent_high, src.recent_low, src.recent_volume, src.computed_at
            from market.assets as a join market.indicator_state as src on {clone}""",
            {"base": base},
        )
        conn.execute(
            f"""
            insert into market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close, volume)
            select a.asset_id, p.trade_date, p.open, p.high, p.low, p.close, p.adjusted_close, p.volume
            from market.assets as a join market.assets as src on {clone}
            join market.stock_prices as p on p.asset_id = src.asset_id and p.trade_date > %(steady)s::date - 5""",
            {"base": base, "steady": STEADY},
        )
        cols = [
            r[0]
            for r in conn.execute(
                "select column_name from information_schema.columns where table_schema = 'market'"
                " and table_name = 'technical_indicators' and column_name <> 'asset_id' order by ordinal_position"
            )
        ]
        conn.execute(
            f"""
            insert into market.technical_indicators (asset_id, {", ".join(cols)})
            select a.asset_id, {", ".join("i." + c for c in cols)}
            from market.assets as a join market.assets as src on {clone}
            join market.technical_indicators as i on i.asset_id = src.asset_id and i.trade_date > %(steady)s::date - 2""",
            {"base": base, "steady": STEADY},
        )
        t["clone_s"] = time.perf_counter() - t0
        steady_state(conn, STEADY)
        conn.execute("select market.refresh_screener()")
        conn.execute("vacuum analyze")
        sizes = {
            r: conn.execute("select pg_total_relation_size(%s::regclass)", (r,)).fetchone()[0]
            for r in ("market.indicator_state", "pipeline.asset_processing_state", "market.stock_prices")
        }
    return url, {"assets": assets, "build_s": {k: round(v, 1) for k, v in t.items()}, "sizes": sizes}


def steady_state(conn, watermark: str) -> None:
    """Every asset loaded up to the watermark, as record_success leaves it; fundamentals spread over 30 days."""
    conn.execute(
        """
        update pipeline.asset_processing_state as s
           set status = 'active', prices_first_date = '2025-01-02', prices_last_date = %(w)s,
               history_owed_from = null, gaps_checked_from = s.history_from, gaps_checked_through = %(w)s,
               last_success_at = %(w)s::date + time '23:00',
               fundamentals_fetched_at = %(as_of)s::timestamptz - interval '30 days'
                   * ((abs(hashtext(a.ticker)::bigint) %% 1000) / 1000.0)
          from market.assets as a where a.asset_id = s.asset_id""",
        {"w": watermark, "as_of": AS_OF},
    )
    conn.execute("vacuum analyze pipeline.asset_processing_state")


def measure(url: str, rounds: int, claim_rounds: int) -> dict:
    out: dict = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for name, watermark, n in (("steady", STEADY, rounds), ("per_ticker", FOUR_BEHIND, max(3, rounds // 2))):
            steady_state(conn, watermark)
            bench_discover.time_discover(url, 1)  # warm-up
            times, summary = bench_discover.time_discover(url, n)
            out[f"discover_{name}"] = {
                "median_ms": round(statistics.median(times), 1),
                "min_ms": round(min(times), 1),
                "rounds": n,
                "items": summary["planned_items"],
                "cost": summary["planned_cost"],
                "deferred": summary["deferred_items"],
                "by_kind": {k: v["items"] for k, v in summary["by_kind"].items()},
            }
            print(
                f"  discover_delta {name}: median {out[f'discover_{name}']['median_ms']} ms,"
                f" {summary['planned_items']:,} items, {summary['planned_cost']:,} calls",
                flush=True,
            )
        rates = []
        for r in range(claim_rounds):
            rate, total = bench_claim.one_round(url, r, 8, 100)
            rates.append(rate)
        out["claim"] = {
            "items": total,
            "median_items_per_s": round(statistics.median(rates)),
            "seconds_for_all": round(total / statistics.median(rates), 2),
            "rounds": claim_rounds,
        }
        print(f"  claim_work: {total:,} items, median {out['claim']['median_items_per_s']:,} items/s", flush=True)
        conn.execute(
            "select pipeline.finish_execution(execution_id) from pipeline.process_executions where status = 'running'"
        )
        steady_state(conn, STEADY)
        conn.autocommit = False
        days = []
        for _ in range(2):
            nxt = bench_indicators.add_next_day(conn)
            conn.autocommit = True
            conn.execute("vacuum analyze market.stock_prices")
            t0 = time.perf_counter()
            result = conn.execute("select market.refresh_indicators(%s)", (nxt,)).fetchone()[0]
            ind = time.perf_counter() - t0
            t0 = time.perf_counter()
            conn.execute("select market.refresh_screener()")
            scr = time.perf_counter() - t0
            conn.autocommit = False
            days.append({"day": str(nxt), "indicators_s": round(ind, 2), "screener_s": round(scr, 2), "result": result})
            print(f"  {nxt}: refresh_indicators {ind:.2f} s ({result}), refresh_screener {scr:.2f} s", flush=True)
        out["days"] = days
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="1,5")
    ap.add_argument("--base", type=int, default=2000, help="assets with a real full recompute (default 2000)")
    ap.add_argument("--bars", type=int, default=260, help="bars of each base asset (default 260)")
    ap.add_argument("--rounds", type=int, default=7, help="discover_delta rounds (steady case)")
    ap.add_argument("--claim-rounds", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    server = os.environ.get("DATABASE_URL")
    if not server:
        print("DATABASE_URL is not set (export DATABASE_URL=$(scripts/db.sh url))", file=sys.stderr)
        return 2
    results = {
        "load_start": [round(x, 2) for x in os.getloadavg()],
        "args": {k: str(v) for k, v in vars(args).items()},
        "scales": {},
    }
    try:
        for scale in [float(s) for s in args.scales.split(",")]:
            print(f"scale {scale}x:", flush=True)
            url, built = build(server, scale, args.base, args.bars)
            print(f"  built: {built}", flush=True)
            load = os.getloadavg()
            m = measure(url, args.rounds, args.claim_rounds)
            results["scales"][scale] = {**built, **m, "load_average": [round(x, 2) for x in load]}
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"drop database if exists {DB} with (force)")
    results["load_end"] = [round(x, 2) for x in os.getloadavg()]
    scales = sorted(results["scales"])
    rows = [
        ("assets", lambda r: r["assets"]),
        ("discover_delta, steady day (median ms)", lambda r: r["discover_steady"]["median_ms"]),
        (
            "  its plan: items / calls",
            lambda r: f"{r['discover_steady']['items']:,} / {r['discover_steady']['cost']:,}",
        ),
        ("discover_delta, all 4 sessions behind (median ms)", lambda r: r["discover_per_ticker"]["median_ms"]),
        (
            "  its plan: items / calls / deferred",
            lambda r: (
                f"{r['discover_per_ticker']['items']:,} / "
                f"{r['discover_per_ticker']['cost']:,} / {r['discover_per_ticker']['deferred']:,}"
            ),
        ),
        ("claim_work, 8 processes x 100 (items/s)", lambda r: r["claim"]["median_items_per_s"]),
        ("  claiming that whole plan (s)", lambda r: r["claim"]["seconds_for_all"]),
        (
            "refresh_indicators, day 1 / day 2 (s)",
            lambda r: f"{r['days'][0]['indicators_s']} / {r['days'][1]['indicators_s']}",
        ),
        (
            "refresh_screener, day 1 / day 2 (s)",
            lambda r: f"{r['days'][0]['screener_s']} / {r['days'][1]['screener_s']}",
        ),
        ("indicator_state size (MB)", lambda r: round(r["sizes"]["market.indicator_state"] / 1e6, 1)),
        ("load average at the start", lambda r: r["load_average"]),
    ]
    print("| measurement | " + " | ".join(f"{s:g}x" for s in scales) + " |")
    print("|---|" + "---|" * len(scales))
    for name, fn in rows:
        print(f"| {name} | " + " | ".join(str(fn(results["scales"][s])) for s in scales) + " |")
    print(json.dumps(results, indent=1, default=str))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

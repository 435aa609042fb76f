"""Indicator benchmark: full SQL recompute vs the Python route (binary COPY out, TA-Lib,
binary COPY back into the same table), the daily incremental update of every asset, and the
screener refresh, all on the same synthetic data in a throw-away database.

    DATABASE_URL=... .venv/bin/python bench/bench_indicators.py --assets 2000 --bars 504

Default scale: 21,817 assets x 504 bars. Prints one line per measurement.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import struct
import sys
import time
from pathlib import Path

import numpy as np
import psycopg
import talib
from talib import abstract

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import add_scale_arguments, catalog_columns, fresh_database  # noqa: E402

PG_EPOCH = dt.date(2000, 1, 1)


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<58} {elapsed:9.2f} s   {result if result is not None else ''}", flush=True)
    return elapsed, result


def load(conn, assets: int, bars: int) -> None:
    """assets x bars of a random walk per asset (asset 1 is the benchmark SPY.US), weekdays from 2023."""
    conn.execute(
        "insert into market.assets (ticker, symbol, exchange_code) "
        "select case when g = 1 then 'SPY.US' else 'B' || g || '.US' end, "
        "case when g = 1 then 'SPY' else 'B' || g end, 'US' from generate_series(1, %s) as g",
        (assets,),
    )
    conn.execute("insert into pipeline.asset_processing_state (asset_id) select asset_id from market.assets")
    conn.execute(
        """
        insert into market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close, volume)
        select asset_id, d, o, greatest(o, c) * (1 + u2), least(o, c) * (1 - u3), c, c * f, vol
        from (
            select a.asset_id, s.d, s.n,
                   w.c * (1 + (random() - 0.5) * 0.01) as o, w.c, random() * 0.01 as u2, random() * 0.01 as u3,
                   case when s.n < %(bars)s / 2 then 0.5 else 1.0 end as f,
                   floor(random() * 1000000) as vol
            from market.assets as a
            cross join lateral (
                select d::date as d, row_number() over (order by d) as n
                from generate_series(date '2023-01-02', date '2023-01-02' + %(bars)s * 2, interval '1 day') as d
                where extract(isodow from d) < 6
                limit %(bars)s
            ) as s
            cross join lateral (select (20 + a.asset_id %% 50) * exp(s.n * 0.0005 * (a.asset_id %% 7 - 3))
                                       + 5 * sin(s.n / 10.0 + a.asset_id) + random() as c) as w
        ) as x
        """,
        {"bars": bars},
    )
    conn.commit()


def add_next_day(conn) -> dt.date:
    last = conn.execute("select max(trade_date) from market.stock_prices").fetchone()[0]
    nxt = last + dt.timedelta(days=1 if last.weekday() < 4 else 3)
    conn.execute(
        """insert into market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close, volume)
           select asset_id, %s, close, close * 1.01, close * 0.98, close * 1.001, adjusted_close * 1.001, volume
           from market.stock_prices where trade_date = %s""",
        (nxt, last),
    )
    conn.commit()
    return nxt


# --- the Python route -------------------------------------------------------------------------
IN_DTYPE = np.dtype(
    [("n", ">i2"), ("l0", ">i4"), ("asset_id", ">i8"), ("l1", ">i4"), ("date", ">i4")]
    + [x for k in range(6) for x in ((f"l{k + 2}", ">i4"), (f"f{k}", ">f8"))]
)


def copy_out(conn) -> np.ndarray:
    buf = io.BytesIO()
    with conn.cursor() as cur:
        with cur.copy(
            "copy (select asset_id, trade_date, open, high, low, close, adjusted_close, volume "
            "from market.stock_prices order by asset_id, trade_date) to stdout (format binary)"
        ) as copy:
            for chunk in copy:
                buf.write(chunk)
    raw = buf.getbuffer()
    return np.frombuffer(raw[19 : len(raw) - 2], dtype=IN_DTYPE)


def compute(rows: np.ndarray, catalog: list[dict], columns: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    asset = rows["asset_id"].astype(np.int64)
    dates = rows["date"].astype(np.int32)
    factor = rows["f4"] / rows["f3"]
    series_all = {
        "open": rows["f0"] * factor,
        "high": rows["f1"] * factor,
        "low": rows["f2"] * factor,
        "close": rows["f3"] * factor,
        "volume": rows["f5"].astype(float),
    }
    out = np.full((len(rows), len(columns)), np.nan)
    bounds = np.flatnonzero(np.diff(asset)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(rows)]])
    bench_start, bench_end = starts[0], ends[0]  # asset 1 is the benchmark
    bench_dates = dates[bench_start:bench_end]
    bench_close = series_all["close"][bench_start:bench_end]
    fns = {}
    for e in catalog:
        if e["talib_function"]:
            fn = getattr(talib, e["talib_function"])
            idx = None
            if e["talib_output"]:
                idx = abstract.Function(e["talib_function"]).info["output_names"].index(e["talib_output"])
            fns[e["column_name"]] = (fn, e["input_series"].split(","), e["talib_parameters"], idx)
    for s, t in zip(starts, ends):
        data = {k: v[s:t] for k, v in series_all.items()}
        pos = np.searchsorted(bench_dates, dates[s:t], side="right") - 1
        data["benchmark"] = np.where(pos >= 0, bench_close[np.maximum(pos, 0)], 0.0)
        cache = {}
        for j, name in enumerate(columns):
            if name in fns:
                fn, inputs, params, idx = fns[name]
                key = (fn, tuple(sorted(params.items())))
                if key not in cache:
                    cache[key] = fn(*[data[i] for i in inputs], **params)
                res = cache[key]
                out[s:t, j] = res if idx is None else res[idx]
        close, volume = data["close"], data["volume"]
        up, mid, low = cache[(talib.BBANDS, tuple(sorted(fns["bb_upper_20"][2].items())))]
        out[s:t, columns.index("bb_bandwidth_20")] = (up - low) / mid
        width = up - low
        with np.errstate(invalid="ignore", divide="ignore"):
            out[s:t, columns.index("bb_percent_b_20")] = np.where(width == 0, 0.5, (close - low) / width)
        out[s:t, columns.index("avg_volume_30")] = talib.SMA(volume, 30)
        out[s:t, columns.index("avg_volume_90")] = talib.SMA(volume, 90)
        vol = np.full(t - s, np.nan)
        if t - s > 30:
            r = close[1:] / close[:-1] - 1.0
            win = np.lib.stride_tricks.sliding_window_view(r, 30)
            vol[30:] = win.std(axis=1, ddof=1) * np.sqrt(252) * 100
        out[s:t, columns.index("volatility_30")] = vol
    return asset, dates, out


def copy_in(conn, asset: np.ndarray, dates: np.ndarray, values: np.ndarray, columns: list[str]) -> int:
    nan = np.isnan(values)
    keys = np.packbits(nan, axis=1)
    patterns, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    chunks = [b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)]
    for p in range(len(patterns)):
        sel = np.flatnonzero(inverse == p)
        null = nan[sel[0]]
        fields = [("n", ">i2"), ("l0", ">i4"), ("a", ">i8"), ("l1", ">i4"), ("d", ">i4")]
        for j in range(len(columns)):
            fields.append((f"l{j + 2}", ">i4"))
            if not null[j]:
                fields.append((f"v{j}", ">f8"))
        rec = np.empty(len(sel), dtype=np.dtype(fields))
        rec["n"] = 2 + len(columns)
        rec["l0"], rec["a"], rec["l1"], rec["d"] = 8, asset[sel], 4, dates[sel]
        for j in range(len(columns)):
            if null[j]:
                rec[f"l{j + 2}"] = -1
            else:
                rec[f"l{j + 2}"] = 8
                rec[f"v{j}"] = values[sel, j]
        chunks.append(rec.tobytes())
    chunks.append(struct.pack(">h", -1))
    with conn.cursor() as cur:
        with cur.copy(
            f"copy market.technical_indicators (asset_id, trade_date, {', '.join(columns)}) from stdin (format binary)"
        ) as copy:
            for c in chunks:
                copy.write(c)
    conn.commit()
    return len(asset)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_scale_arguments(parser, "screener_bench_indicators")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--skip-python",
        action="store_true",
        help="skip the Python route (e.g. to measure the daily update at full scale sooner)",
    )
    args = parser.parse_args()
    server = os.environ["DATABASE_URL"]
    url = fresh_database(args.dbname, server)
    try:
        with psycopg.connect(url) as conn:
            print(f"scale: {args.assets} assets x {args.bars} bars = {args.assets * args.bars:,} bars")
            timed("load synthetic bars (not part of the comparison)", lambda: load(conn, args.assets, args.bars))
            conn.autocommit = True
            conn.execute("vacuum analyze market.stock_prices")
            conn.autocommit = False
            catalog, columns = catalog_columns(conn)

            def python_route():
                conn.execute("truncate market.technical_indicators")
                rows = copy_out(conn)
                asset, dates, values = compute(rows, catalog, columns)
                return copy_in(conn, asset, dates, values, columns)

            t_py = None
            if not args.skip_python:
                t_py, _ = timed("python route: COPY out, TA-Lib, COPY in (42 columns)", python_route)

            def sql_full():
                conn.execute("truncate market.technical_indicators")
                result = conn.execute("select market.recompute_indicators()").fetchone()[0]
                conn.commit()
                return result

            t_sql, _ = timed("SQL full recompute: market.recompute_indicators()", sql_full)
            if t_py:
                print(f"{'ratio SQL / python':<58} {t_sql / t_py:9.2f} x   (target <= 2)")
            conn.autocommit = True
            conn.execute("vacuum analyze market.technical_indicators")
            conn.execute("vacuum analyze market.indicator_state")
            conn.autocommit = False
            nxt = add_next_day(conn)

            def daily():
                result = conn.execute("select market.refresh_indicators(%s)", (nxt,)).fetchone()[0]
                conn.commit()
                return result

            timed(f"daily incremental: market.refresh_indicators('{nxt}')  (target < 5 s)", daily)

            def screener():
                result = conn.execute("select market.refresh_screener()").fetchone()[0]
                conn.commit()
                return result

            timed("screener: market.refresh_screener()  (target < 2 s)", screener)
            timed("screener again: market.refresh_screener()", screener)
            # the daily cycle once more, on the state and tables the first one left behind
            conn.autocommit = True
            conn.execute("vacuum analyze market.stock_prices")
            conn.autocommit = False
            nxt = add_next_day(conn)
            timed(f"daily incremental again: market.refresh_indicators('{nxt}')", daily)
            timed("screener after it: market.refresh_screener()", screener)
    finally:
        if not args.keep:
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(f'drop database if exists "{args.dbname}" with (force)')


if __name__ == "__main__":
    main()

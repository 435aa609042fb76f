"""Every column of market.technical_indicators against TA-Lib (or numpy for the formulas),
as described by market.indicator_catalog, on three series loaded into a real database."""

from __future__ import annotations

import numpy as np
import pytest
import talib

from tests.indicator_series import adjusted, business_days, insert_asset, short, trending, volatile

RTOL = 1e-9
ATOL = 1e-9
SERIES = {"TREND.US": trending, "WILD.US": volatile, "SHORT.US": short}
BENCHMARK = "SPY.US"


@pytest.fixture
def loaded(postgresql):
    """Assets for the three series plus the benchmark, indicators recomputed in full."""
    conn = postgresql
    bench_bars = trending(700, seed=42)
    bench_dates = business_days(700)
    insert_asset(conn, BENCHMARK, bench_bars, bench_dates)
    inputs = {}
    for ticker, make in SERIES.items():
        bars = make()
        dates = business_days(len(bars["close"]))
        insert_asset(conn, ticker, bars, dates)
        data = adjusted(bars)
        data["benchmark"] = adjusted(bench_bars)["close"][: len(dates)]
        inputs[ticker] = data
    result = conn.execute("select market.recompute_indicators()").fetchone()[0]
    conn.commit()
    assert result["assets_recomputed"] == 4
    return conn, inputs


def sql_column(conn, ticker: str, column: str) -> np.ndarray:
    rows = conn.execute(
        f"select ti.{column} from market.technical_indicators ti join market.assets a using (asset_id) "
        "where a.ticker = %s order by ti.trade_date",
        (ticker,),
    ).fetchall()
    return np.array([np.nan if r[0] is None else r[0] for r in rows], dtype=float), [r[0] is None for r in rows]


def reference(entry: dict, data: dict[str, np.ndarray]) -> np.ndarray:
    name = entry["column_name"]
    if entry["talib_function"]:
        fn = getattr(talib, entry["talib_function"])
        args = [data[s] for s in entry["input_series"].split(",")]
        out = fn(*args, **entry["talib_parameters"])
        if isinstance(out, tuple):
            from talib import abstract

            out = out[abstract.Function(entry["talib_function"]).info["output_names"].index(entry["talib_output"])]
        return out
    close, volume = data["close"], data["volume"]
    if name in ("bb_bandwidth_20", "bb_percent_b_20"):
        upper, middle, lower = talib.BBANDS(close, 20, 2.0, 2.0, 0)
        if name == "bb_bandwidth_20":
            return (upper - lower) / middle
        width = upper - lower
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(width == 0, 0.5, (close - lower) / np.where(width == 0, 1, width))
    if name == "volatility_30":
        returns = close[1:] / close[:-1] - 1.0
        out = np.full(len(close), np.nan)
        for t in range(30, len(close)):
            out[t] = np.std(returns[t - 30 : t], ddof=1) * np.sqrt(252) * 100
        return out
    if name.startswith("avg_volume_"):
        n = int(name.rsplit("_", 1)[1])
        out = np.full(len(volume), np.nan)
        for t in range(n - 1, len(volume)):
            out[t] = volume[t - n + 1 : t + 1].mean()
        return out
    raise AssertionError(f"no reference for {name}")


def catalog(conn) -> list[dict]:
    cur = conn.execute("select * from market.indicator_catalog order by column_name")
    names = [d.name for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def test_catalog_lists_every_indicator_column(postgresql):
    cols = {
        r[0]
        for r in postgresql.execute(
            "select column_name from information_schema.columns where table_schema = 'market' "
            "and table_name = 'technical_indicators' and column_name not in ('asset_id', 'trade_date')"
        )
    }
    assert cols == {e["column_name"] for e in catalog(postgresql)}
    assert len(cols) >= 42


@pytest.mark.parametrize("ticker", list(SERIES))
def test_every_column_matches_reference(loaded, ticker):
    conn, inputs = loaded
    data = inputs[ticker]
    failures = []
    for entry in catalog(conn):
        name = entry["column_name"]
        got, is_null = sql_column(conn, ticker, name)
        want = reference(entry, data)
        assert len(got) == len(want)
        want_nan = np.isnan(want)
        if not np.array_equal(np.array(is_null), want_nan):
            failures.append(f"{name}: NULL at {np.flatnonzero(np.array(is_null) != want_nan)[:5]} differs from NaN")
            continue
        ok = ~want_nan
        if not np.allclose(got[ok], want[ok], rtol=RTOL, atol=ATOL):
            bad = np.flatnonzero(~np.isclose(got[ok], want[ok], rtol=RTOL, atol=ATOL))
            idx = np.flatnonzero(ok)[bad[0]]
            failures.append(f"{name}: {len(bad)} values differ, first at bar {idx}: sql {got[idx]!r} vs {want[idx]!r}")
        # the catalog's lookback is the number of leading NULLs (all NULL when the series is shorter)
        assert int(want_nan.argmin() if ok.any() else len(want)) == min(entry["lookback"], len(want)) or not ok.any()
    assert not failures, "\n".join(failures)


def test_no_nan_is_stored(loaded):
    conn, _ = loaded
    cols = [e["column_name"] for e in catalog(conn)]
    expr = " or ".join(f"{c} = 'NaN'::float8" for c in cols)
    assert conn.execute(f"select count(*) from market.technical_indicators where {expr}").fetchone()[0] == 0

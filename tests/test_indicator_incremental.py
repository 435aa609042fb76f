"""The daily update (market.refresh_indicators) equals the full computation on every column:
after 1, 5 and 250 daily steps, after a multi-day catch-up, after a split lands mid-history
(recompute flag) and after a back-fill of older bars."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tests.indicator_series import business_days, insert_asset, short, trending, volatile, write_bars

DAYS = business_days(700)
COLUMNS_SQL = """select column_name from information_schema.columns
                 where table_schema = 'market' and table_name = 'technical_indicators'
                 order by ordinal_position"""


@pytest.fixture
def universe(postgresql):
    conn = postgresql
    ids = {
        "SPY.US": insert_asset(conn, "SPY.US", trending(700, seed=42), DAYS),
        "TREND.US": insert_asset(conn, "TREND.US", trending(600), DAYS[100:]),
        "WILD.US": insert_asset(conn, "WILD.US", volatile(420), DAYS[280:]),
    }
    short_bars = short(150)
    ids["SHORT.US"] = insert_asset(conn, "SHORT.US", {k: v[50:] for k, v in short_bars.items()}, DAYS[550:650])
    conn.commit()
    return conn, ids, short_bars


def snapshot(conn, as_of: dt.date) -> tuple[list, np.ndarray]:
    cols = [r[0] for r in conn.execute(COLUMNS_SQL)]
    rows = conn.execute(
        f"select {', '.join(cols)} from market.technical_indicators where trade_date <= %s order by asset_id, trade_date",
        (as_of,),
    ).fetchall()
    keys = [(r[0], r[1]) for r in rows]
    values = np.array([[np.nan if v is None else v for v in r[2:]] for r in rows], dtype=float)
    return keys, values


def full_recompute_snapshot(conn, as_of: dt.date) -> tuple[list, np.ndarray]:
    """Rebuild every asset from its first bar up to as_of and snapshot."""
    conn.execute("select market._rebuild_indicators(array_agg(asset_id), %s) from market.indicator_state", (as_of,))
    return snapshot(conn, as_of)


def assert_identical(incremental, full) -> None:
    keys_i, vals_i = incremental
    keys_f, vals_f = full
    assert keys_i == keys_f
    assert vals_i.shape == vals_f.shape
    assert np.array_equal(np.isnan(vals_i), np.isnan(vals_f)), "NULL in different places"
    ok = ~np.isnan(vals_f)
    # bit-identical is expected (same kernel, same order of operations); 1e-12 is the contract
    assert np.allclose(vals_i[ok], vals_f[ok], rtol=1e-12, atol=1e-12)
    assert np.array_equal(vals_i[ok], vals_f[ok]), "not bit-identical"


def refresh(conn, as_of: dt.date) -> dict:
    result = conn.execute("select market.refresh_indicators(%s)", (as_of,)).fetchone()[0]
    conn.commit()
    return result


def test_daily_steps_equal_full_recompute(universe):
    conn, ids, _ = universe
    start = 440  # the first refresh builds everything in full
    first = refresh(conn, DAYS[start])
    assert first["assets_recomputed"] == 3 and first["assets_incremental"] == 0  # SHORT has no bars yet
    day = start
    for steps in (1, 5, 250):
        for _ in range(steps):
            day += 1
            result = refresh(conn, DAYS[day])
            assert result["assets_recomputed"] == (1 if DAYS[day] == DAYS[550] else 0)
        incremental = snapshot(conn, DAYS[day])
        assert_identical(incremental, full_recompute_snapshot(conn, DAYS[day]))
    assert conn.execute("select count(distinct asset_id) from market.technical_indicators").fetchone()[0] == 4


def test_catch_up_over_several_days_equals_full(universe):
    conn, _, _ = universe
    refresh(conn, DAYS[500])
    result = refresh(conn, DAYS[507])
    assert result == {"assets_incremental": 3, "assets_recomputed": 0, "rows_written": 21}
    assert refresh(conn, DAYS[507])["rows_written"] == 0  # nothing new: nothing written
    assert_identical(snapshot(conn, DAYS[507]), full_recompute_snapshot(conn, DAYS[507]))


def test_split_mid_history_rebuilds_the_asset(universe):
    conn, ids, _ = universe
    refresh(conn, DAYS[600])
    before = conn.execute(
        "select sma_200 from market.technical_indicators where asset_id = %s and trade_date = %s",
        (ids["TREND.US"], DAYS[600]),
    ).fetchone()[0]
    # a 2:1 split on DAYS[400] (and a dividend before it) rewrites the adjusted closes of earlier bars
    conn.execute(
        "update market.stock_prices set adjusted_close = adjusted_close * 0.97 where asset_id = %s and trade_date < %s",
        (ids["TREND.US"], DAYS[400]),
    )
    conn.execute(
        "update pipeline.asset_processing_state set needs_indicator_recompute = true where asset_id = %s",
        (ids["TREND.US"],),
    )
    conn.commit()
    result = refresh(conn, DAYS[601])
    assert result["assets_recomputed"] == 1 and result["assets_incremental"] == 3
    flag = conn.execute(
        "select needs_indicator_recompute from pipeline.asset_processing_state where asset_id = %s", (ids["TREND.US"],)
    ).fetchone()[0]
    assert flag is False
    after = conn.execute(
        "select sma_200 from market.technical_indicators where asset_id = %s and trade_date = %s",
        (ids["TREND.US"], DAYS[600]),
    ).fetchone()[0]
    assert after != before
    refresh(conn, DAYS[605])
    assert_identical(snapshot(conn, DAYS[605]), full_recompute_snapshot(conn, DAYS[605]))


def test_backfilled_history_rebuilds_the_asset(universe):
    conn, ids, short_bars = universe
    refresh(conn, DAYS[600])
    # older bars arrive for SHORT (no flag set): detected because they precede the state's first bar
    write_bars(conn, ids["SHORT.US"], {k: v[:50] for k, v in short_bars.items()}, DAYS[500:550])
    conn.commit()
    result = refresh(conn, DAYS[601])
    assert result["assets_recomputed"] == 1
    first = conn.execute(
        "select first_trade_date, bar_count from market.indicator_state where asset_id = %s", (ids["SHORT.US"],)
    ).fetchone()
    assert first == (DAYS[500], 102)
    assert_identical(snapshot(conn, DAYS[601]), full_recompute_snapshot(conn, DAYS[601]))

"""Whatever a 200 body holds, ingest answers ok or data_error and never raises; a payload
refused as a whole writes nothing; every stored bar satisfies the price rules."""
from __future__ import annotations

import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_ingest import RECEIVED, create_asset

AS_OF = dt.date(2026, 3, 2)
FIELDS = ["date", "open", "high", "low", "close", "adjusted_close", "volume"]

numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
    st.integers(min_value=-10, max_value=10**7),
)
values = st.one_of(
    numbers,
    numbers.map(str),
    st.sampled_from(["", " ", "NaN", "Infinity", "1e400", "12,5", "n/a", "1|2", "0000-00-00", "-0"]),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)
dates = st.one_of(
    st.dates(min_value=dt.date(1999, 1, 1), max_value=dt.date(2026, 3, 10)).map(dt.date.isoformat),
    st.sampled_from(["0000-00-00", "", "2026-02-30", "2026-13-01", "20260105", "yesterday"]),
    st.none(),
    st.integers(),
)
good_bar = st.builds(
    lambda d, o, spread, v: {"date": d, "open": o, "high": o + spread, "low": max(0.01, o - spread),
                             "close": o, "adjusted_close": o, "volume": v},
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2026, 3, 2)).map(dt.date.isoformat),
    st.floats(min_value=1, max_value=1000), st.floats(min_value=0, max_value=5), st.integers(0, 10**6),
)
wild_bar = st.fixed_dictionaries({}, optional={k: (dates if k == "date" else values) for k in FIELDS})
bodies = st.one_of(
    st.lists(st.one_of(good_bar, good_bar.map(lambda b: {k: str(v) for k, v in b.items()}), wild_bar,
                       st.just({"warning": "limited"}), st.integers(), st.text(max_size=3)), max_size=8),
    st.dictionaries(st.text(max_size=5), values, max_size=3),
    st.sampled_from([[], {}, "null", 1, "text"]),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_ingest_eod_answers_every_body_without_raising(postgresql, body):
    conn = postgresql
    asset_id = conn.execute("select asset_id from market.assets where ticker = 'FUZZ.US'").fetchone()
    asset_id = asset_id[0] if asset_id else create_asset(conn, "FUZZ.US")
    before = conn.execute("select count(*) from market.stock_prices").fetchone()[0]
    payload_id = conn.execute(
        "select raw.land_response(null, 'eod', 'FUZZ.US', null, '{}', 200, %s, %s, 1, 5, 'fuzz')",
        (json.dumps(body), RECEIVED),
    ).fetchone()[0]
    result = conn.execute("select market.ingest_eod(%s, %s, %s)", (payload_id, asset_id, AS_OF)).fetchone()[0]
    conn.commit()
    assert result["status"] in ("ok", "data_error")
    after = conn.execute("select count(*) from market.stock_prices").fetchone()[0]
    if result["status"] == "data_error" and result["rows_stored"] == 0:
        assert after == before, "a refused payload writes nothing"
        assert conn.execute("select ingest_error from raw.eodhd_payloads where payload_id = %s",
                            (payload_id,)).fetchone()[0] == result["message"]
    bad = conn.execute(
        "select count(*) from market.stock_prices where not (open > 0 and low <= high and open between low and high"
        " and close between low and high and volume >= 0 and trade_date <= %s)", (AS_OF,)
    ).fetchone()[0]
    assert bad == 0


texts = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40),
    st.sampled_from(['["\\u0000"]', '{"a": "\\ud800"}', "[1, 2", "<html>", "\ufeff[]", "[1e99999]", "  ", "[]]"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts)
def test_land_response_takes_any_body_text(postgresql, text):
    conn = postgresql
    payload_id = conn.execute(
        "select raw.land_response(null, 'eod', 'FUZZ.US', null, '{}', 200, %s, %s, 1, 5, 'fuzz')", (text, RECEIVED)
    ).fetchone()[0]
    no_body, error = conn.execute("select body is null, ingest_error from raw.eodhd_payloads where payload_id = %s",
                                  (payload_id,)).fetchone()
    conn.commit()
    assert no_body == (error is not None)
    if error is not None:
        assert error.startswith("response is not JSON: ")


actions = st.one_of(
    st.lists(st.one_of(
        st.fixed_dictionaries({}, optional={"date": dates, "split": st.one_of(
            values, st.sampled_from(["4.000000/1.000000", "1/10", "0/1", "1/0", "4 : 1", "1.5.5/2", "4/1/2", "7/1"]))}),
        st.fixed_dictionaries({}, optional={"date": dates, "value": values, "unadjustedValue": values,
                                            "currency": values}),
        st.integers(),
    ), max_size=5),
    st.dictionaries(st.text(max_size=4), values, max_size=2),
)
fundamentals = st.one_of(
    st.fixed_dictionaries({}, optional={
        "General": st.one_of(st.fixed_dictionaries({}, optional={
            k: values for k in ("Type", "Name", "CurrencyCode", "CountryISO", "ISIN", "Sector", "Industry")}),
            values),
        "Highlights": st.one_of(st.dictionaries(st.sampled_from(
            ["MarketCapitalization", "PERatio", "EarningsShare", "DividendYield", "BookValue"]), values), values),
        "SharesStats": st.one_of(st.fixed_dictionaries({"SharesOutstanding": values}), values),
        "ETF_Data": st.one_of(st.fixed_dictionaries({}, optional={"Yield": values, "TotalAssets": values}), values),
    }),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(endpoint=st.sampled_from(["splits", "div", "fundamentals"]), splits=actions, funda=fundamentals)
def test_corporate_actions_and_fundamentals_answer_every_body_without_raising(postgresql, endpoint, splits, funda):
    conn = postgresql
    row = conn.execute("select asset_id from market.assets where ticker = 'FUZZ.US'").fetchone()
    asset_id = row[0] if row else create_asset(conn, "FUZZ.US")
    if not row:
        conn.execute("insert into market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close,"
                     " volume) values (%s, '2024-05-01', 10, 11, 9, 10, 10, 100)", (asset_id,))
        conn.commit()
    body = funda if endpoint == "fundamentals" else splits
    ingest = "ingest_fundamentals" if endpoint == "fundamentals" else "ingest_corporate_actions"
    actions_before = conn.execute("select count(*) from market.corporate_actions").fetchone()[0]
    payload_id = conn.execute(
        "select raw.land_response(null, %s, 'FUZZ.US', null, '{}', 200, %s, %s, 1, 5, 'fuzz')",
        (endpoint, json.dumps(body), RECEIVED),
    ).fetchone()[0]
    result = conn.execute(f"select market.{ingest}(%s, %s)", (payload_id, asset_id)).fetchone()[0]
    conn.commit()
    assert result["status"] in ("ok", "data_error")
    if result["status"] == "data_error" and endpoint != "fundamentals":
        assert conn.execute("select count(*) from market.corporate_actions").fetchone()[0] == actions_before
    assert conn.execute("select count(*) from market.stock_prices where not adjusted_close > 0").fetchone()[0] == 0

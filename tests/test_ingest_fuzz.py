"""Whatever a 200 body holds, landing never raises and always writes its ledger row, ingest
answers ok or data_error and never raises; a payload refused as a whole writes nothing; every
stored bar satisfies the price and plausibility rules. Bodies include deep nesting (past the
64-level limit and past the parser's stack), bodies over the 32 MiB limit, \u0000 and other
escapes, dates before 1970 or after the business date, bulk bars of another day, absurd prices,
fundamentals naming another ticker and corporate actions dated in the future."""

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
    lambda d, o, spread, v: {
        "date": d,
        "open": o,
        "high": o + spread,
        "low": max(0.01, o - spread),
        "close": o,
        "adjusted_close": o,
        "volume": v,
    },
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2026, 3, 2)).map(dt.date.isoformat),
    st.floats(min_value=1, max_value=1000),
    st.floats(min_value=0, max_value=5),
    st.integers(0, 10**6),
)
wild_bar = st.fixed_dictionaries({}, optional={k: (dates if k == "date" else values) for k in FIELDS})
bodies = st.one_of(
    st.lists(
        st.one_of(
            good_bar,
            good_bar.map(lambda b: {k: str(v) for k, v in b.items()}),
            wild_bar,
            st.just({"warning": "limited"}),
            st.integers(),
            st.text(max_size=3),
        ),
        max_size=8,
    ),
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
        assert (
            conn.execute("select ingest_error from raw.eodhd_payloads where payload_id = %s", (payload_id,)).fetchone()[
                0
            ]
            == result["message"]
        )
    bad = conn.execute(
        "select count(*) from market.stock_prices where not (open > 0 and low <= high and open between low and high"
        " and close between low and high and volume >= 0 and trade_date <= %s)",
        (AS_OF,),
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
    no_body, error = conn.execute(
        "select body is null, ingest_error from raw.eodhd_payloads where payload_id = %s", (payload_id,)
    ).fetchone()
    conn.commit()
    assert no_body == (error is not None)
    if error is not None:
        assert error.startswith(("response is not JSON: ", "response refused: "))


actions = st.one_of(
    st.lists(
        st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "date": dates,
                    "split": st.one_of(
                        values,
                        st.sampled_from(
                            ["4.000000/1.000000", "1/10", "0/1", "1/0", "4 : 1", "1.5.5/2", "4/1/2", "7/1"]
                        ),
                    ),
                },
            ),
            st.fixed_dictionaries(
                {}, optional={"date": dates, "value": values, "unadjustedValue": values, "currency": values}
            ),
            st.integers(),
        ),
        max_size=5,
    ),
    st.dictionaries(st.text(max_size=4), values, max_size=2),
)
fundamentals = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "General": st.one_of(
                st.fixed_dictionaries(
                    {},
                    optional={
                        k: values for k in ("Type", "Name", "CurrencyCode", "CountryISO", "ISIN", "Sector", "Industry")
                    },
                ),
                values,
            ),
            "Highlights": st.one_of(
                st.dictionaries(
                    st.sampled_from(["MarketCapitalization", "PERatio", "EarningsShare", "DividendYield", "BookValue"]),
                    values,
                ),
                values,
            ),
            "SharesStats": st.one_of(st.fixed_dictionaries({"SharesOutstanding": values}), values),
            "ETF_Data": st.one_of(st.fixed_dictionaries({}, optional={"Yield": values, "TotalAssets": values}), values),
        },
    ),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(endpoint=st.sampled_from(["splits", "div", "fundamentals"]), splits=actions, funda=fundamentals)
def test_corporate_actions_and_fundamentals_answer_every_body_without_raising(postgresql, endpoint, splits, funda):
    conn = postgresql
    row = conn.execute("select asset_id from market.assets where ticker = 'FUZZ.US'").fetchone()
    asset_id = row[0] if row else create_asset(conn, "FUZZ.US")
    if not row:
        conn.execute(
            "insert into market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close,"
            " volume) values (%s, '2024-05-01', 10, 11, 9, 10, 10, 100)",
            (asset_id,),
        )
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


# -- landing: hostile bodies (issue 11, item 2) -------------------------------------------------
MAX_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 64
REFUSED_DEPTH = "response refused: JSON nested deeper than 64 levels, or brackets unbalanced"
REFUSED_NUL = "response refused: holds a \\u0000 escape (NUL), which PostgreSQL text cannot store"


def land_hostile(conn, endpoint: str, ticker: str | None, text: str, cost: int = 1) -> tuple[int, bool, str | None]:
    """land_response as the fetcher calls it, in its own transaction; it must not raise. Returns the payload
    id, whether its body was kept, and its ingest_error, after checking the ledger row (true cost, same error)."""
    calls = conn.execute("select count(*) from pipeline.api_calls").fetchone()[0]
    payload_id = conn.execute(
        "select raw.land_response(null, %s, %s, %s, '{}', 200, %s, %s, %s, 5, 'fuzz')",
        (endpoint, ticker, None if ticker else "US", text, RECEIVED, cost),
    ).fetchone()[0]
    kept, error, ledger_cost, ledger_error = conn.execute(
        "select p.body is not null, p.ingest_error, c.cost, c.error"
        " from raw.eodhd_payloads p join pipeline.api_calls c using (api_call_id) where p.payload_id = %s",
        (payload_id,),
    ).fetchone()
    conn.commit()
    assert conn.execute("select count(*) from pipeline.api_calls").fetchone()[0] == calls + 1, "one ledger row per call"
    assert (ledger_cost, ledger_error) == (cost, error), "the ledger row has the true cost and the payload's error"
    assert kept == (error is None)
    return payload_id, kept, error


@st.composite
def nested(draw) -> tuple[str, int, bool]:
    """JSON text nested `levels` deep (arrays, objects or both), closed or broken off; brackets in strings."""
    depth = draw(st.one_of(st.integers(1, 70), st.integers(60, 68), st.integers(1_000, 30_000)))
    opener, closer, per_step = draw(
        st.sampled_from([("[", "]", 1), ('{"a": ', "}", 1), ('[{"k": ', "}]", 2), (' [ 1 , "]}" , ', "]", 1)])
    )
    inner, inner_levels = draw(st.sampled_from([("1", 0), ('"]]]}}"', 0), ('"\\"[[{"', 0), ("[]", 1), ("{}", 1)]))
    closed = draw(st.booleans())
    text = opener * depth + inner + (closer * depth if closed else closer * draw(st.integers(0, depth - 1)))
    return text, depth * per_step + inner_levels, closed


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(case=nested())
def test_deep_nesting_is_refused_before_parsing_and_never_raises(postgresql, case):
    conn = postgresql
    text, levels, closed = case
    asset_id = conn.execute("select asset_id from market.assets where ticker = 'DEEP.US'").fetchone()
    asset_id = asset_id[0] if asset_id else create_asset(conn, "DEEP.US")
    payload_id, kept, error = land_hostile(conn, "eod", "DEEP.US", text)
    if levels > MAX_DEPTH:
        assert error == REFUSED_DEPTH
    elif closed:
        assert kept, error
        depth = conn.execute(
            "select jsonb_path_exists(body, %s) from raw.eodhd_payloads where payload_id = %s",
            (f"strict $.**{{{levels - 1}}}", payload_id),
        ).fetchone()[0]
        assert depth, "the landed body nests as sent"
    else:
        assert error in (REFUSED_DEPTH,) or error.startswith("response is not JSON: ")
    before = conn.execute("select count(*) from market.stock_prices").fetchone()[0]
    result = conn.execute("select market.ingest_eod(%s, %s, %s)", (payload_id, asset_id, AS_OF)).fetchone()[0]
    conn.commit()
    assert result["status"] in ("ok", "data_error")
    if error is not None:
        assert result == {
            "status": "data_error",
            "rows_stored": 0,
            "rows_rejected": 0,
            "first_date": None,
            "last_date": None,
            "message": error,
        }
        assert conn.execute("select count(*) from market.stock_prices").fetchone()[0] == before


escape_pieces = st.sampled_from(
    [
        "\\u0000",
        "\\\\u0000",
        "\\\\\\u0000",
        "\\u0000\\u0000",
        "\\ud800",
        "\\udc00",
        "\\ud83d\\ude00",
        '\\"',
        "\\\\",
        "\\n",
        "\\t",
        "\\/",
        "\\x41",
        "\\u00e9",
        "\u0001",
        "\x7f",
        "é",
        "\U0001d11e",
        "\ufeff",
        "[",
        "]",
        "{",
        "}",
        '"',
        "\\",
    ]
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(escape_pieces, max_size=8), key=st.booleans())
def test_escapes_and_encoding_are_refused_clearly_never_raised(postgresql, pieces, key):
    """Escapes PostgreSQL cannot store (\\u0000) are refused by name; other broken text is "not JSON";
    what Python's strict parser reads without NUL or lone surrogates is landed as sent."""
    conn = postgresql
    inner = "".join(pieces)
    text = '{"' + inner + '": 1}' if key else '["' + inner + '"]'
    payload_id, kept, error = land_hostile(conn, "fundamentals", "ESC.US", text, cost=10)
    try:
        decoded = json.loads(text)
    except ValueError:
        decoded = None
    strings = list(decoded) if decoded is not None else []  # the one key, or the one element
    has_nul = any("\x00" in t for t in strings)
    surrogate = any(0xD800 <= ord(c) <= 0xDFFF for t in strings for c in t)
    if decoded is not None and not has_nul and not surrogate:
        assert kept, error
        body = conn.execute("select body from raw.eodhd_payloads where payload_id = %s", (payload_id,)).fetchone()[0]
        assert body == decoded
    elif has_nul:
        assert error == REFUSED_NUL
    else:
        assert error.startswith("response is not JSON: ") or error == REFUSED_DEPTH or error == REFUSED_NUL


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(extra=st.integers(1, 4096), filler=st.sampled_from([" ", "1,", '"x",', "[[]],"]))
def test_a_body_over_the_size_limit_is_refused_before_any_scan(postgresql, extra, filler):
    conn = postgresql
    count = (MAX_BYTES + extra) // len(filler) + 1
    text = "[" + filler * count + "1]"
    payload_id, kept, error = land_hostile(conn, "eod-bulk-last-day", None, text, cost=100)
    assert error == f"response refused: body of {len(text.encode())} bytes over the limit of {MAX_BYTES} bytes"
    result = conn.execute("select market.ingest_bulk_day(%s, 'US', %s)", (payload_id, AS_OF)).fetchone()[0]
    assert result["status"] == "data_error" and result["message"] == error


# -- ingest: implausible data (issue 11, item 5) -----------------------------------------------
def log_prices(lo: float, hi: float):
    return st.floats(min_value=lo, max_value=hi).map(lambda e: 10**e)


prices = st.one_of(
    log_prices(-40, 40),
    log_prices(-8, 11),
    st.floats(0.5, 500),
    st.just("12345678901234567890123456789012345678901234567890123456789"),
    st.just("100.1234567890123456789012345678901234567890123456789012345"),
)
ratios = st.one_of(st.just(1.0), log_prices(-9, 9), st.floats(0.004, 30))
bar_dates = st.one_of(
    st.dates(dt.date(1800, 1, 1), dt.date(2199, 12, 31)),
    st.dates(dt.date(1969, 12, 25), dt.date(1970, 1, 5)),
    st.dates(AS_OF - dt.timedelta(days=5), AS_OF + dt.timedelta(days=5)),
)


@st.composite
def odd_bar(draw, code: str | None = None) -> dict:
    close = draw(prices)
    value = float(close)
    bar = {
        "date": draw(bar_dates).isoformat(),
        "open": close,
        "high": close,
        "low": close,
        "close": close,
        "adjusted_close": value * draw(ratios),
        "volume": draw(st.one_of(st.integers(0, 10**6), log_prices(10, 20))),
    }
    if code:
        bar.update(code=code, exchange_short_name="US")
    return bar


PLAUSIBLE = """
    select count(*) from market.stock_prices where not (
        trade_date between '1970-01-01' and %(as_of)s and volume <= 1e13
        and least(open, high, low, close, adjusted_close) >= 1e-6 and greatest(open, high, low, close, adjusted_close) <= 1e9
        and adjusted_close / close between 1e-6 and 1e6)
"""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bars=st.lists(odd_bar(), min_size=1, max_size=6), bulk=st.lists(odd_bar("FUZZ"), min_size=1, max_size=3))
def test_implausible_bars_are_quarantined_never_stored(postgresql, bars, bulk):
    """Dates before 1970 or after the business date, prices outside [1e-6, 1e9], 59-digit prices,
    adjusted_close / close outside [1e-6, 1e6], absurd volumes, bulk bars of another day: quarantined;
    what is stored is plausible; stored + quarantined = what the payload held."""
    conn = postgresql
    row = conn.execute("select asset_id from market.assets where ticker = 'FUZZ.US'").fetchone()
    asset_id = row[0] if row else create_asset(conn, "FUZZ.US")
    eod_id, kept, _ = land_hostile(conn, "eod", "FUZZ.US", json.dumps(bars))
    assert kept
    result = conn.execute("select market.ingest_eod(%s, %s, %s)", (eod_id, asset_id, AS_OF)).fetchone()[0]
    bulk_id, kept, _ = land_hostile(conn, "eod-bulk-last-day", None, json.dumps(bulk), cost=100)
    conn.execute(
        "update raw.eodhd_payloads set request_params = %s where payload_id = %s",
        (json.dumps({"date": AS_OF.isoformat()}), bulk_id),
    )
    bulk_result = conn.execute("select market.ingest_bulk_day(%s, 'US', %s)", (bulk_id, AS_OF)).fetchone()[0]
    conn.commit()
    for res, payload_id, sent in ((result, eod_id, bars), (bulk_result, bulk_id, bulk)):
        assert res["status"] in ("ok", "data_error")
        quarantined = conn.execute(
            "select count(*) from market.price_quarantine where payload_id = %s", (payload_id,)
        ).fetchone()[0]
        if res["rows_stored"] or quarantined:
            assert res["rows_stored"] + quarantined == len(sent), "every bar is stored or quarantined, none half"
    assert conn.execute(PLAUSIBLE, {"as_of": AS_OF}).fetchone()[0] == 0
    assert (
        conn.execute(
            "select count(*) from market.price_quarantine q join raw.eodhd_payloads p using (payload_id)"
            " where p.payload_id = %s and q.trade_date <> %s and q.reason not like '%%bulk day%%'",
            (bulk_id, AS_OF),
        ).fetchone()[0]
        == 0
    ), "a bulk bar of another day is refused as such"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    code=st.sampled_from(["FUZZ", "fuzz", " FUZZ ", "MSFT", "FUZZ.US", "", None, 123]),
    exchange=st.sampled_from([None, "", "US", "NYSE", "NASDAQ", "LSE", "XETRA", "GBOND", "Somewhere"]),
    kind=st.sampled_from(["Common Stock", "ETF", "FUND", "Bond", "Government Bond", "INDEX", "Preferred Stock", None]),
    name=st.sampled_from(["Fuzz Corp", "Another Company", None]),
)
def test_fundamentals_of_another_instrument_never_touch_the_asset(postgresql, code, exchange, kind, name):
    conn = postgresql
    row = conn.execute("select asset_id from market.assets where ticker = 'FUZZ.US'").fetchone()
    asset_id = row[0] if row else create_asset(conn, "FUZZ.US")
    general = {
        k: v
        for k, v in {
            "Code": code,
            "Exchange": exchange,
            "Type": kind,
            "Name": name,
            "CurrencyCode": "EUR",
            "ISIN": "US5949181045",
        }.items()
        if v is not None
    }
    before = conn.execute(
        "select a::text, f::text from market.assets a left join market.fundamentals f using (asset_id)"
        " where a.asset_id = %s",
        (asset_id,),
    ).fetchone()
    payload_id, kept, _ = land_hostile(conn, "fundamentals", "FUZZ.US", json.dumps({"General": general}), cost=10)
    result = conn.execute("select market.ingest_fundamentals(%s, %s)", (payload_id, asset_id)).fetchone()[0]
    conn.commit()
    names_it = isinstance(code, str) and code.strip().upper() == "FUZZ" and exchange not in ("LSE", "XETRA", "GBOND")
    assert result["status"] == ("ok" if names_it else "data_error"), result
    after = conn.execute(
        "select a::text, f::text from market.assets a left join market.fundamentals f using (asset_id)"
        " where a.asset_id = %s",
        (asset_id,),
    ).fetchone()
    if not names_it:
        assert after == before, "a refused payload changes neither the asset nor its fundamentals"
    assert conn.execute("select asset_type from market.assets where asset_id = %s", (asset_id,)).fetchone()[0] in (
        "stock",
        "etf",
        "fund",
    ), "fundamentals never make an equity a bond or an index"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    endpoint=st.sampled_from(["splits", "div"]),
    days=st.lists(st.dates(AS_OF - dt.timedelta(days=400), dt.date(2199, 12, 31)), min_size=1, max_size=4, unique=True),
)
def test_corporate_actions_after_the_business_date_wait(postgresql, endpoint, days):
    conn = postgresql
    row = conn.execute("select asset_id from market.assets where ticker = 'FUZZ.US'").fetchone()
    asset_id = row[0] if row else create_asset(conn, "FUZZ.US")
    if not row:
        conn.execute(
            "insert into market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close,"
            " volume) values (%s, '2024-05-01', 10, 11, 9, 10, 10, 100)",
            (asset_id,),
        )
        conn.commit()
    items = [
        {"date": d.isoformat(), "split": "2/1"} if endpoint == "splits" else {"date": d.isoformat(), "value": 0.01}
        for d in days
    ]
    prices_before = conn.execute(
        "select md5(string_agg(sp::text, '|' order by trade_date)) from market.stock_prices sp"
    ).fetchone()[0]
    payload_id, kept, _ = land_hostile(conn, endpoint, "FUZZ.US", json.dumps(items))
    result = conn.execute("select market.ingest_corporate_actions(%s, %s)", (payload_id, asset_id)).fetchone()[0]
    conn.commit()
    assert result["status"] == "ok"
    business_day = RECEIVED.date()
    assert (
        conn.execute(
            "select count(*) from market.corporate_actions where (action_date > %s) <> is_pending", (business_day,)
        ).fetchone()[0]
        == 0
    ), "pending exactly when dated after the business date"
    assert (
        conn.execute(
            "select count(*) from market.corporate_actions where is_pending and"
            " (adjustment_factor is not null or bars_adjusted <> 0)"
        ).fetchone()[0]
        == 0
    )
    if all(d > business_day for d in days):
        assert (
            conn.execute(
                "select md5(string_agg(sp::text, '|' order by trade_date)) from market.stock_prices sp"
            ).fetchone()[0]
            == prices_before
        ), "future actions rescale nothing"

"""Landing and ingest against a real database: one transaction per response, as the fetcher does.

Re-landing the same payloads leaves the business tables unchanged (md5 of ordered dumps);
HTML and truncated bodies land nothing but the error; a split on day D corrects the stored
adjusted history and flags the asset for a full indicator recompute.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

BUSINESS_TABLES = {
    "market.assets": "ticker",
    "market.stock_prices": "asset_id, trade_date",
    "market.fundamentals": "asset_id",
    "market.corporate_actions": "asset_id, action_date, action_type",
}
AS_OF = dt.date(2026, 3, 2)
RECEIVED = dt.datetime(2026, 3, 2, 22, 0, tzinfo=dt.UTC)


def sessions(start: dt.date, end: dt.date) -> list[dt.date]:
    days, d = [], start
    while d <= end:
        if d.weekday() < 5:
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def walk(code: str, days: list[dt.date], start: float = 100.0) -> list[dict]:
    """EODHD-shaped bars: numbers or numeric strings, some zero and fractional volumes."""
    rng = random.Random(code)
    price, bars = start, []
    for i, day in enumerate(days):
        open_ = price
        close = max(0.5, price * (1 + rng.gauss(0, 0.02)))
        high, low = max(open_, close) * 1.01, min(open_, close) * 0.99
        volume: float | int = 0 if i % 17 == 0 else (rng.randint(1, 10**6) + (0.5 if i % 5 == 0 else 0))
        bar = {
            "date": day.isoformat(),
            "open": round(open_, 4),
            "high": round(high, 4),
            "low": round(low, 4),
            "close": round(close, 4),
            "adjusted_close": round(close, 4),
            "volume": volume,
        }
        if i % 3 == 0:
            bar = {k: (v if k == "date" else str(v)) for k, v in bar.items()}
        bars.append(bar)
        price = close
    return bars


def create_asset(conn, ticker: str) -> int:
    symbol, exchange = ticker.split(".")
    asset_id = conn.execute(
        "insert into market.assets (ticker, symbol, exchange_code) values (%s, %s, %s) returning asset_id",
        (ticker, symbol, exchange),
    ).fetchone()[0]
    conn.execute("insert into pipeline.asset_processing_state (asset_id) values (%s)", (asset_id,))
    conn.commit()
    return asset_id


def land(
    conn,
    endpoint: str,
    body: str,
    ticker: str | None = None,
    exchange: str | None = None,
    params: dict | None = None,
    cost: int = 1,
) -> int | None:
    return conn.execute(
        "select raw.land_response(null, %s, %s, %s, %s::jsonb, 200, %s, %s, %s, 40, 'pytest')",
        (endpoint, ticker, exchange, json.dumps(params or {}), body, RECEIVED, cost),
    ).fetchone()[0]


def land_and_ingest(
    conn,
    endpoint: str,
    body: str,
    *,
    ticker: str | None = None,
    asset_id: int | None = None,
    exchange: str | None = None,
    as_of: dt.date = AS_OF,
) -> dict:
    """One response, one transaction: land it, ingest it, commit."""
    cost = {"eod-bulk-last-day": 100, "fundamentals": 10}.get(endpoint, 1)
    payload_id = land(conn, endpoint, body, ticker, exchange, cost=cost)
    if endpoint == "eod":
        sql, args = "select market.ingest_eod(%s, %s, %s)", (payload_id, asset_id, as_of)
    elif endpoint == "eod-bulk-last-day":
        sql, args = "select market.ingest_bulk_day(%s, %s, %s)", (payload_id, exchange, as_of)
    elif endpoint == "fundamentals":
        sql, args = "select market.ingest_fundamentals(%s, %s)", (payload_id, asset_id)
    else:
        sql, args = "select market.ingest_corporate_actions(%s, %s)", (payload_id, asset_id)
    result = conn.execute(sql, args).fetchone()[0]
    conn.commit()
    return result


def digests(conn) -> dict[str, str]:
    out = {}
    for table, order in BUSINESS_TABLES.items():
        out[table] = conn.execute(
            f"select md5(coalesce(string_agg(t::text, '|' order by {order}), '')) from {table} t"
        ).fetchone()[0]
    out["flags"] = conn.execute(
        "select md5(coalesce(string_agg(asset_id || ':' || needs_indicator_recompute, ',' order by asset_id), ''))"
        " from pipeline.asset_processing_state"
    ).fetchone()[0]
    return out


def count(conn, sql: str, *args) -> int:
    return conn.execute(sql, args).fetchone()[0]


def land_everything(conn, ids: dict[str, int]) -> list[dict]:
    days = sessions(dt.date(2025, 1, 2), AS_OF - dt.timedelta(days=1))
    results = [
        land_and_ingest(
            conn, "eod", json.dumps(walk("AAPL.US", days)), ticker="AAPL.US", asset_id=ids["AAPL.US"], as_of=days[-1]
        ),
        land_and_ingest(
            conn, "eod", json.dumps(walk("KO.US", days, 60)), ticker="KO.US", asset_id=ids["KO.US"], as_of=days[-1]
        ),
    ]
    bulk = [
        dict(bar, code=code.split(".")[0], exchange_short_name="US")
        for code in ("KO.US", "AAPL.US", "NOPE.US")
        for bar in walk(code + "bulk", [AS_OF])
    ]
    results.append(land_and_ingest(conn, "eod-bulk-last-day", json.dumps(bulk), exchange="US"))
    fundamentals = {
        "General": {
            "Code": "KO",
            "Type": "Common Stock",
            "Name": "Coca-Cola Co",
            "CurrencyCode": "USD",
            "CountryISO": "US",
            "ISIN": "US1912161007",
            "Sector": "Consumer Defensive",
            "IPODate": "0000-00-00",
        },
        "Highlights": {
            "MarketCapitalization": 300000000000,
            "PERatio": "27.5",
            "EarningsShare": 2.47,
            "DividendYield": "0.029",
            "BookValue": "",
        },
        "SharesStats": {"SharesOutstanding": 4300000000},
        "Technicals": {"Beta": 0.6},
        "Earnings": {"History": {}},
        "Financials": {"Cash_Flow": {"yearly": {}}},
    }
    results.append(
        land_and_ingest(conn, "fundamentals", json.dumps(fundamentals), ticker="KO.US", asset_id=ids["KO.US"])
    )
    results.append(
        land_and_ingest(
            conn,
            "splits",
            json.dumps([{"date": "2025-06-02", "split": "2.000000/1.000000"}]),
            ticker="KO.US",
            asset_id=ids["KO.US"],
        )
    )
    dividends = [
        {
            "date": d,
            "declarationDate": None,
            "recordDate": d,
            "paymentDate": d,
            "period": "Quarterly",
            "value": "0.485",
            "unadjustedValue": "0.97",
            "currency": "USD",
        }
        for d in ("2025-03-14", "2025-09-15", "2025-12-01", AS_OF.isoformat())
    ]
    results.append(land_and_ingest(conn, "div", json.dumps(dividends), ticker="KO.US", asset_id=ids["KO.US"]))
    return results


def test_relanding_the_same_payloads_changes_no_business_table(postgresql):
    conn = postgresql
    ids = {t: create_asset(conn, t) for t in ("AAPL.US", "KO.US")}
    first = land_everything(conn, ids)
    assert [r["status"] for r in first] == ["ok"] * 6
    assert first[2]["rows_ignored"] == 1
    stored = count(conn, "select count(*) from market.stock_prices")
    assert stored == first[0]["rows_stored"] + first[1]["rows_stored"] + 2
    before = digests(conn)

    # the eod history was fetched before the last dividend: only that one adjusts stored bars
    assert count(conn, "select count(*) from market.corporate_actions") == 5
    assert count(conn, "select sum(bars_adjusted) from market.corporate_actions") == first[1]["rows_stored"]

    again = land_everything(conn, ids)
    assert [r["status"] for r in again] == ["ok"] * 6
    assert sum(r.get("rows_inserted", 0) + r.get("rows_changed", 0) for r in again) == 0
    assert digests(conn) == before
    assert count(conn, "select count(*) from raw.eodhd_payloads") == 12
    assert count(conn, "select count(*) from pipeline.api_calls") == 12
    assert count(conn, "select count(*) from raw.eodhd_payloads where ingested_at is null") == 0


@pytest.mark.parametrize(
    "body, reason",
    [
        ("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>", 'Token "<" is invalid.'),
        ('[{"date": "2026-02-27", "open": 10, "high": 11, "low": 9, "close": 10.5, "adjusted_close": 10.5, "vol', None),
    ],
)
def test_a_body_that_is_not_json_lands_nothing_but_the_error(postgresql, body, reason):
    conn = postgresql
    asset_id = create_asset(conn, "AAPL.US")
    before = digests(conn)
    result = land_and_ingest(conn, "eod", body, ticker="AAPL.US", asset_id=asset_id)
    assert result["status"] == "data_error"
    assert result["rows_stored"] == 0
    assert result["message"].startswith("response is not JSON: ")
    if reason:
        assert result["message"].endswith(reason)
    assert digests(conn) == before
    row = conn.execute("select body, ingested_at, ingest_error from raw.eodhd_payloads").fetchone()
    assert row[0] is None and row[1] is None and row[2] == result["message"]
    assert conn.execute("select cost, http_status, error from pipeline.api_calls").fetchone() == (
        1,
        200,
        result["message"],
    )
    assert count(conn, "select count(*) from market.price_quarantine") == 0


@pytest.mark.parametrize("split_first", [False, True], ids=["bar-then-split", "split-then-bar"])
def test_a_split_on_day_d_corrects_adjusted_history_and_flags_indicators(postgresql, split_first):
    conn = postgresql
    asset_id = create_asset(conn, "AAPL.US")
    split_day = dt.date(2026, 3, 2)
    history = walk("AAPL.US", sessions(dt.date(2025, 6, 2), split_day - dt.timedelta(days=3)), 400)
    assert (
        land_and_ingest(
            conn,
            "eod",
            json.dumps(history),
            ticker="AAPL.US",
            asset_id=asset_id,
            as_of=split_day - dt.timedelta(days=3),
        )["status"]
        == "ok"
    )
    conn.execute("update pipeline.asset_processing_state set needs_indicator_recompute = false")
    conn.commit()
    last = float(history[-1]["close"])
    day_d = [
        {
            "date": split_day.isoformat(),
            "open": last / 4,
            "high": last / 4 * 1.02,
            "low": last / 4 * 0.99,
            "close": last / 4 * 1.01,
            "adjusted_close": last / 4 * 1.01,
            "volume": 4_000_000,
        }
    ]
    split = json.dumps([{"date": split_day.isoformat(), "split": "4.000000/1.000000"}])

    def land_bar():
        return land_and_ingest(conn, "eod", json.dumps(day_d), ticker="AAPL.US", asset_id=asset_id, as_of=split_day)

    def land_split():
        return land_and_ingest(conn, "splits", split, ticker="AAPL.US", asset_id=asset_id)

    first, second = (land_split, land_bar) if split_first else (land_bar, land_split)
    first()
    second()

    rows = conn.execute(
        "select trade_date, close, adjusted_close from market.stock_prices where asset_id = %s order by trade_date",
        (asset_id,),
    ).fetchall()
    before = [r for r in rows if r[0] < split_day]
    assert len(before) == len(history)
    assert all(adj == close / 4 for _, close, adj in before), "every earlier bar is divided by the split ratio"
    assert rows[-1][0] == split_day and rows[-1][2] == rows[-1][1], "the split-day bar is as the vendor sent it"
    # the adjusted series is continuous across the split, the raw one is not
    assert rows[-1][1] / rows[-2][1] < 0.3
    assert 0.97 < rows[-1][2] / rows[-2][2] < 1.03
    assert (
        conn.execute(
            "select needs_indicator_recompute from pipeline.asset_processing_state where asset_id = %s", (asset_id,)
        ).fetchone()[0]
        is True
    )

    # a later full refetch of the history from the vendor brings exactly the values already corrected
    vendor = [dict(bar, adjusted_close=float(bar["close"]) / 4) for bar in history] + day_d
    refetch = land_and_ingest(conn, "eod", json.dumps(vendor), ticker="AAPL.US", asset_id=asset_id, as_of=split_day)
    assert refetch["status"] == "ok" and refetch["rows_changed"] == 0 and refetch["rows_inserted"] == 0
    # and landing the split again adjusts nothing
    assert land_split()["bars_adjusted"] == 0

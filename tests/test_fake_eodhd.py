"""The local EODHD-compatible server behaves like the documented API (docs/eodhd-api.md, docs/local-server.md)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import exchange_calendars as xcals
import pytest
import requests

from eodhd_fake import (
    TEXT_401,
    TEXT_402,
    TEXT_403,
    TEXT_404_EXCHANGE,
    TEXT_404_TICKER,
    FakeEodhd,
    Market,
    NotFound,
)
from fetcher.config import TICKERS_DIR

TODAY = dt.date(2025, 12, 31)
TOKEN = "s3cr3t-token-XYZ"
BAR_KEYS = ["date", "open", "high", "low", "close", "adjusted_close", "volume"]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server():
    with FakeEodhd(today=TODAY) as s:
        yield s


def get(server, path, token=TOKEN, **params):
    if token is not None:
        params["api_token"] = token
    return requests.get(server.url + path, params=params, timeout=30)


def eod(server, code, **params):
    r = get(server, f"/eod/{code}", fmt="json", **params)
    assert r.status_code == 200, r.text
    return r.json()


def committed_codes() -> list[str]:
    codes = []
    for path in sorted(TICKERS_DIR.glob("*.txt")):
        for raw in path.read_text().splitlines():
            line = raw.split("#", 1)[0].strip()
            if line:
                codes.append(line)
    return codes


def find_code(market: Market, exchange: str, predicate, limit: int = 400) -> str:
    for i in range(limit):
        code = f"T{i}.{exchange}"
        inst = market.instrument(code)
        if predicate(inst):
            return code
    raise AssertionError("no code matches")


# --------------------------------------------------------------------------- /eod
def test_eod_bars_follow_the_real_calendar(server):
    bars = eod(server, "AAPL.US", **{"from": "2025-11-01", "to": "2025-12-31"})
    dates = [b["date"] for b in bars]
    cal = xcals.get_calendar("XNYS", start="2025-01-01", end="2026-12-31")
    expected = [s.date().isoformat() for s in cal.sessions_in_range("2025-11-01", "2025-12-31")]
    assert dates == expected
    assert "2025-11-27" not in dates and "2025-12-25" not in dates  # Thanksgiving, Christmas
    assert "2025-11-28" in dates  # the half-day after Thanksgiving trades
    for b in bars:
        assert list(b) == BAR_KEYS
        assert 0 < b["low"] <= min(b["open"], b["close"]) <= max(b["open"], b["close"]) <= b["high"]
        assert b["volume"] >= 0


def test_other_exchanges_use_their_own_calendar(server):
    lse = [b["date"] for b in eod(server, "BP.LSE", **{"from": "2025-12-20", "to": "2025-12-31"})]
    assert "2025-12-26" not in lse and "2025-12-24" in lse  # Boxing Day closed, Christmas Eve half-day
    xetra = [b["date"] for b in eod(server, "SAP.XETRA", **{"from": "2025-12-20", "to": "2025-12-31"})]
    assert "2025-12-24" not in xetra and "2025-12-31" not in xetra
    us = [b["date"] for b in eod(server, "AAPL.US", **{"from": "2025-12-20", "to": "2025-12-31"})]
    assert "2025-12-26" in us


def test_from_to_inclusive_order_and_today(server):
    bars = eod(server, "MSFT.US", **{"from": "2025-12-01", "to": "2025-12-05"})
    assert [b["date"] for b in bars] == ["2025-12-01", "2025-12-02", "2025-12-03", "2025-12-04", "2025-12-05"]
    desc = eod(server, "MSFT.US", **{"from": "2025-12-01", "to": "2025-12-05", "order": "d"})
    assert desc == list(reversed(bars))
    future = eod(server, "MSFT.US", **{"from": "2025-12-30", "to": "2026-01-31"})
    assert [b["date"] for b in future] == ["2025-12-30", "2025-12-31"]  # nothing after today
    assert eod(server, "MSFT.US", **{"from": "2025-12-06", "to": "2025-12-07"}) == []  # a weekend
    full = eod(server, "MSFT.US")
    assert full[0]["date"] == "2015-01-02" and full[-1]["date"] == TODAY.isoformat()


def test_csv_unless_fmt_json(server):
    r = get(server, "/eod/AAPL.US", **{"from": "2025-12-01", "to": "2025-12-03"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    lines = r.text.strip().split("\n")
    assert lines[0] == "Date,Open,High,Low,Close,Adjusted_close,Volume"
    bars = eod(server, "AAPL.US", **{"from": "2025-12-01", "to": "2025-12-03"})
    assert lines[1:] == [",".join(str(b[k]) for k in BAR_KEYS) for b in bars]


def test_numbers_print_without_trailing_zeros(server):
    text = get(server, "/eod/AAPL.US", fmt="json").text
    assert ".0," not in text and ".0}" not in text
    assert all(isinstance(b["volume"], int) for b in json.loads(text))


def test_same_request_same_bytes_across_instances(server):
    params = {"fmt": "json", "from": "2020-01-01", "to": "2025-12-31"}
    a = get(server, "/eod/SAP.XETRA", **params).content
    b = get(server, "/eod/SAP.XETRA", **params).content
    with FakeEodhd(today=TODAY) as other:
        c = get(other, "/eod/SAP.XETRA", **params).content
        d = get(other, "/fundamentals/SAP.XETRA").content
    assert a == b == c
    assert get(server, "/fundamentals/SAP.XETRA").content == d
    assert get(server, "/eod/SIE.XETRA", **params).content != a  # seeded per code


def test_history_does_not_depend_on_today():
    with FakeEodhd(today=dt.date(2024, 6, 3)) as early, FakeEodhd(today=TODAY) as late:
        params = {"from": "2024-01-01", "to": "2024-06-03"}
        code = "NESN.SW"
        a, b = eod(early, code, **params), eod(late, code, **params)
    # raw prices are history; only adjusted_close may differ (actions after 2024-06-03)
    assert [{k: x[k] for k in BAR_KEYS if k != "adjusted_close"} for x in a] == [
        {k: x[k] for k in BAR_KEYS if k != "adjusted_close"} for x in b
    ]


def test_zero_volume_days_and_fractional_volumes_exist():
    m = Market()
    illiquid = find_code(m, "US", lambda i: any(v == 0 for v in m.path(i).volume))
    p = m.path(m.instrument(illiquid))
    k = next(i for i, v in enumerate(p.volume) if v == 0)
    assert p.open[k] == p.high[k] == p.low[k] == p.close[k] == p.close[k - 1]  # a flat bar
    fractional = find_code(m, "F", lambda i: m.path(i).fractional_volume)
    vols = [b["volume"] for b in m.bars(m.instrument(fractional), TODAY, dt.date(2025, 1, 1), TODAY)]
    assert any(isinstance(v, float) for v in vols)


def test_free_plan_gets_one_year_and_a_warning():
    with FakeEodhd(today=TODAY, tokens={"free-one": "free"}) as s:
        body = get(s, "/eod/AAPL.US", token="free-one", fmt="json", **{"from": "2020-01-01"}).json()
    assert body[-1] == {"warning": "Data is limited by one year as you have free subscription"}
    assert body[0]["date"] >= "2024-12-31"


# ---------------------------------------------------------------- corporate actions
def test_split_rewrites_adjusted_close_backwards():
    day = dt.date(2025, 12, 15)
    code = "NVDA.US"
    with FakeEodhd(today=dt.date(2025, 12, 12)) as s:
        s.add_split(code, day, "4/1")
        before = eod(s, code, **{"from": "2025-12-01", "to": "2025-12-31"})
        assert get(s, f"/splits/{code}", fmt="json").json() == []
        s.set_today(dt.date(2025, 12, 19))
        after = eod(s, code, **{"from": "2025-12-01", "to": "2025-12-31"})
        splits = get(s, f"/splits/{code}", fmt="json").json()
        bulk = get(s, "/eod-bulk-last-day/US", fmt="json", type="splits", date="2025-12-15").json()
    assert all(b["adjusted_close"] == b["close"] for b in before)  # the split is not known yet
    assert splits == [{"date": "2025-12-15", "split": "4.000000/1.000000"}]
    assert {"code": "NVDA", "exchange": "US", "date": "2025-12-15", "split": "4.000000/1.000000"} in bulk
    by_date = {b["date"]: b for b in after}
    prev, on = by_date["2025-12-12"], by_date["2025-12-15"]
    assert on["close"] / prev["close"] == pytest.approx(0.25, rel=0.2)  # raw close jumps down
    assert on["adjusted_close"] / prev["adjusted_close"] == pytest.approx(1.0, rel=0.2)  # adjusted continuous
    for b in after:
        if b["date"] < "2025-12-15":
            assert b["adjusted_close"] == pytest.approx(b["close"] / 4, abs=1e-4)
            assert b["close"] == by_date[b["date"]]["close"]
        else:
            assert b["adjusted_close"] == b["close"]
    # the raw history before the split is what it was
    assert [b["close"] for b in before if b["date"] < "2025-12-15"] == [
        b["close"] for b in after if b["date"] < "2025-12-15"
    ]


def test_synthetic_splits_exist_with_correct_adjustment():
    m = Market()
    code = find_code(m, "US", lambda i: bool(m.splits(i, TODAY)) and m.splits(i, TODAY)[0][0].year >= 2016)
    inst = m.instrument(code)
    ((day, new, old),) = m.splits(inst, TODAY)
    bars = m.bars(inst, TODAY, None, None)
    k = next(i for i, b in enumerate(bars) if b["date"] == day.isoformat())
    assert bars[k - 1]["close"] / bars[k]["close"] == pytest.approx(new / old, rel=0.25)
    assert bars[k]["adjusted_close"] / bars[k - 1]["adjusted_close"] == pytest.approx(1.0, rel=0.25)


def test_dividends_and_their_adjustment(server):
    m = server.market
    code = find_code(m, "PA", lambda i: len(m.dividends(i, TODAY)) > 10 and not m.splits(i, TODAY))
    divs = get(server, f"/div/{code}", fmt="json", **{"from": "2025-01-01"}).json()
    assert divs and all(d["date"] >= "2025-01-01" for d in divs)
    assert set(divs[0]) == {
        "date",
        "declarationDate",
        "recordDate",
        "paymentDate",
        "period",
        "value",
        "unadjustedValue",
        "currency",
    }
    bars = eod(server, code, **{"from": "2024-06-01"})
    idx = {b["date"]: i for i, b in enumerate(bars)}
    for d in divs:
        k = idx[d["date"]]
        f_before = bars[k - 1]["adjusted_close"] / bars[k - 1]["close"]
        f_on = bars[k]["adjusted_close"] / bars[k]["close"]
        assert f_before / f_on == pytest.approx(1 - d["value"] / bars[k - 1]["close"], abs=2e-4)
    assert bars[-1]["adjusted_close"] == bars[-1]["close"]
    bulk = get(
        server, "/eod-bulk-last-day/PA", fmt="json", type="dividends", date=divs[-1]["date"], symbols=code
    ).json()
    assert bulk and all(isinstance(r["dividend"], str) for r in bulk)
    csv_text = get(server, f"/div/{code}", **{"from": "2025-01-01"}).text
    assert csv_text.startswith("Date,Dividends\n")


# --------------------------------------------------------------------------- bulk
def test_bulk_last_day_covers_the_exchange(server):
    rows = get(server, "/eod-bulk-last-day/US", fmt="json", date="2025-11-28").json()
    us = {c for c in committed_codes() if c.endswith(".US")}
    assert {f"{r['code']}.US" for r in rows} == us
    assert [f"{r['code']}.US" for r in rows] != sorted(us)  # unsorted, as the real API
    assert set(rows[0]) == {
        "code",
        "exchange_short_name",
        "date",
        "open",
        "high",
        "low",
        "close",
        "adjusted_close",
        "volume",
    }
    one = next(r for r in rows if r["code"] == "AAPL")
    (bar,) = eod(server, "AAPL.US", **{"from": "2025-11-28", "to": "2025-11-28"})
    assert {k: one[k] for k in BAR_KEYS} == bar
    assert get(server, "/eod-bulk-last-day/US", fmt="json", date="2025-11-27").json() == []  # holiday
    latest = get(server, "/eod-bulk-last-day/US", fmt="json").json()
    assert {r["date"] for r in latest} == {TODAY.isoformat()}
    csv_lines = get(server, "/eod-bulk-last-day/US", date="2025-11-28").text.strip().split("\n")
    assert csv_lines[0] == "Code,Ex,Date,Open,High,Low,Close,Adjusted_close,Volume"
    assert len(csv_lines) == len(rows) + 1


def test_bulk_costs_and_universe_size():
    with FakeEodhd(today=TODAY, exchange_sizes={"SW": 150}) as s:
        rows = get(s, "/eod-bulk-last-day/SW", fmt="json", date="2025-12-30").json()
        assert len(rows) == 150
        assert s.calls_used(TOKEN) == 100
        some = get(s, "/eod-bulk-last-day/SW", fmt="json", date="2025-12-30", symbols="NESN,ROG.SW,AAPL.US").json()
        assert {r["code"] for r in some} == {"NESN", "ROG", "AAPL"}
        assert s.calls_used(TOKEN) == 100 + 103
        listing = get(s, "/exchange-symbol-list/SW", fmt="json").json()
        assert len(listing) == 150 and {r["Code"] for r in listing} == {r["code"] for r in rows}


# ------------------------------------------------------------------- fundamentals
def test_fundamentals_of_a_stock(server):
    f = get(server, "/fundamentals/AAPL.US").json()
    for section in (
        "General",
        "Highlights",
        "Valuation",
        "SharesStats",
        "Technicals",
        "SplitsDividends",
        "AnalystRatings",
        "Holders",
        "InsiderTransactions",
        "ESGScores",
        "outstandingShares",
        "Earnings",
        "Financials",
    ):
        assert section in f, section
    g = f["General"]
    for key in (
        "Code",
        "Type",
        "Name",
        "Exchange",
        "CurrencyCode",
        "CountryISO",
        "ISIN",
        "Sector",
        "Industry",
        "IPODate",
        "IsDelisted",
        "UpdatedAt",
    ):
        assert key in g, key
    assert (g["Code"], g["Type"], g["Exchange"], g["CurrencyCode"], g["IsDelisted"]) == (
        "AAPL",
        "Common Stock",
        "NASDAQ",
        "USD",
        False,
    )
    last = eod(server, "AAPL.US", **{"from": "2025-12-31"})[-1]
    shares = f["SharesStats"]["SharesOutstanding"]
    assert f["Highlights"]["MarketCapitalization"] == pytest.approx(shares * last["close"], rel=1e-6)
    assert f["InsiderTransactions"] == {} and f["ESGScores"] == {}
    quarter = next(iter(f["Financials"]["Balance_Sheet"]["quarterly"].values()))
    assert isinstance(quarter["totalAssets"], str) and float(quarter["totalAssets"]) > 0
    assert "[]" not in json.dumps(f)


def test_fundamentals_of_etfs_funds_and_bonds(server):
    etf = get(server, "/fundamentals/SPY.US").json()
    assert etf["General"]["Type"] == "ETF" and "ETF_Data" in etf and "Highlights" not in etf
    assert get(server, "/fundamentals/EXS1.XETRA").json()["General"]["Type"] == "ETF"
    listing = get(server, "/exchange-symbol-list/EUFUND", fmt="json").json()
    assert listing == []  # no committed funds, no synthetic listings by default
    fund = get(server, "/fundamentals/LU0292097234.EUFUND").json()
    assert fund["General"]["Type"] == "FUND" and "MutualFund_Data" in fund and "Highlights" not in fund
    bond = get(server, "/fundamentals/US10Y.GBOND").json()
    assert set(bond) == {"General"} and bond["General"]["Type"] == "Government Bond"
    bars = eod(server, "US10Y.GBOND", **{"from": "2025-12-01"})
    assert bars and all(b["volume"] == 0 for b in bars)


# ------------------------------------------------------------------ listings etc.
def test_exchange_symbol_list(server):
    rows = get(server, "/exchange-symbol-list/US", fmt="json").json()
    assert set(rows[0]) == {"Code", "Name", "Country", "Exchange", "Currency", "Type", "Isin"}
    venues = {r["Code"]: r["Exchange"] for r in rows}
    assert venues["AAPL"] == "NASDAQ" and venues["JPM"] == "NYSE" and venues["QQQ"] == "NASDAQ"
    assert {r["Type"] for r in rows if r["Code"] in ("SPY", "QQQ")} == {"ETF"}
    lse = get(server, "/exchange-symbol-list/LSE", fmt="json").json()
    assert {r["Currency"] for r in lse} == {"GBX"}
    assert get(server, "/exchange-symbol-list/NOPE", fmt="json").text == TEXT_404_EXCHANGE


def test_user_costs_nothing():
    with FakeEodhd(today=TODAY, daily_limit=50) as s:
        get(s, "/eod/AAPL.US", fmt="json")
        get(s, "/fundamentals/AAPL.US")
        u = get(s, "/user").json()
        assert u["apiRequests"] == 11 and u["dailyRateLimit"] == 50 and u["apiRequestsDate"] == "2025-12-31"
        assert get(s, "/user").json()["apiRequests"] == 11


def test_committed_universe_never_hits_a_delisted_code(server):
    for code in committed_codes():
        server.market.instrument(code)  # raises NotFound for delisted or unknown
    with pytest.raises(NotFound):
        server.market.instrument("DELISTCO.US")


# ------------------------------------------------------------------------- errors
def test_error_statuses_and_texts():
    with FakeEodhd(today=TODAY, tokens=[TOKEN]) as s:
        cases = [
            (get(s, "/eod/AAPL.US", token=None, fmt="json"), 401, TEXT_401),
            (get(s, "/eod/AAPL.US", token="wrong", fmt="json"), 401, TEXT_401),
            (get(s, "/eod/SAP.XETRA", token="demo", fmt="json"), 403, TEXT_403),
            (get(s, "/eod-bulk-last-day/US", token="demo", fmt="json"), 403, TEXT_403),
            (get(s, "/eod/DELISTED1.US", fmt="json"), 404, TEXT_404_TICKER),
            (get(s, "/eod/AAPL.NOWHERE", fmt="json"), 404, TEXT_404_TICKER),
            (get(s, "/fundamentals/AAPL.NOWHERE"), 404, TEXT_404_TICKER),
            (get(s, "/eod-bulk-last-day/NOWHERE", fmt="json"), 404, TEXT_404_EXCHANGE),
        ]
        for r, status, text in cases:
            assert (r.status_code, r.text) == (status, text), r.url
        assert get(s, "/eod/AAPL.US", token="demo", fmt="json").status_code == 200
        assert TEXT_402 == ("You exceeded your daily API requests limit.  Please contact support@eodhistoricaldata.com")
        r = get(s, "/eod/AAPL.US", fmt="json", **{"from": "yesterday"})
        assert r.status_code == 422
        # 404s are charged (the provider served them), 401, 403 and 422 are not
        assert s.calls_used(TOKEN) == 1 + 1 + 10 + 100


def test_402_once_the_daily_quota_is_spent():
    with FakeEodhd(today=TODAY, daily_limit=25, tokens=[TOKEN, "other"]) as s:
        assert get(s, "/fundamentals/AAPL.US").status_code == 200
        assert get(s, "/fundamentals/MSFT.US").status_code == 200
        assert [get(s, f"/eod/{c}.US", fmt="json").status_code for c in ("A", "B", "C", "D", "E")] == [200] * 5
        r = get(s, "/eod/F.US", fmt="json")
        assert (r.status_code, r.text) == (402, TEXT_402)
        assert get(s, "/fundamentals/F.US").status_code == 402
        assert s.calls_used(TOKEN) == 25  # refused calls cost nothing
        assert get(s, "/user").json()["apiRequests"] == 25
        assert get(s, "/eod/F.US", token="other", fmt="json").status_code == 200  # per token
        s.set_today(TODAY + dt.timedelta(days=1))  # a new UTC day
        assert get(s, "/eod/F.US", fmt="json").status_code == 200
        assert s.calls_used(TOKEN) == 1
        # a call that would cross the limit is refused whole
        s.set_today(TODAY + dt.timedelta(days=2))
        assert [get(s, f"/fundamentals/{c}.US").status_code for c in "ABC"] == [200, 200, 402]


def test_429_under_the_per_minute_limit():
    now = [1000.0]
    with FakeEodhd(today=TODAY, per_minute_limit=3, retry_after_rate=1.0, clock=lambda: now[0]) as s:
        first = [get(s, "/eod/AAPL.US", fmt="json") for _ in range(3)]
        assert [r.status_code for r in first] == [200] * 3
        assert [r.headers["X-RateLimit-Remaining"] for r in first] == ["2", "1", "0"]
        assert first[0].headers["X-RateLimit-Limit"] == "3"
        r = get(s, "/eod/AAPL.US", fmt="json")
        assert r.status_code == 429 and r.headers["Retry-After"] == "60"
        now[0] += 30
        assert get(s, "/user").status_code == 429
        assert get(s, "/eod/AAPL.US", token="someone-else", fmt="json").status_code == 200
        now[0] += 31
        assert get(s, "/eod/AAPL.US", fmt="json").status_code == 200
        assert s.calls_used(TOKEN) == 4  # the 429s cost nothing
    with FakeEodhd(today=TODAY, per_minute_limit=1, retry_after_rate=0.0, clock=lambda: 0.0) as s:
        get(s, "/eod/AAPL.US", fmt="json")
        r = get(s, "/eod/AAPL.US", fmt="json")
        assert r.status_code == 429 and "Retry-After" not in r.headers


# ------------------------------------------------------------------------- faults
def test_fault_knobs():
    with FakeEodhd(today=TODAY, html_404=True) as s:
        r = get(s, "/eod/DELISTED.US", fmt="json")
        assert r.status_code == 404 and r.text.startswith("<!DOCTYPE html>") and TEXT_404_TICKER in r.text
    with FakeEodhd(today=TODAY, error_rate=1.0) as s:
        r = get(s, "/eod/AAPL.US", fmt="json")
        assert r.status_code in (500, 502, 503, 504)
        assert s.calls_used(TOKEN) == 1  # 5xx are charged: the call reached the provider
    with FakeEodhd(today=TODAY, html_rate=1.0) as s:
        r = get(s, "/eod/AAPL.US", fmt="json")
        assert r.status_code == 200 and r.text.startswith("<!DOCTYPE html>")
    with FakeEodhd(today=TODAY) as clean, FakeEodhd(today=TODAY, truncate_rate=1.0) as s:
        full = get(clean, "/eod/AAPL.US", fmt="json").content
        cut = get(s, "/eod/AAPL.US", fmt="json").content
        assert 0 < len(cut) < len(full) and full.startswith(cut)
        with pytest.raises(ValueError):
            json.loads(cut)


def test_faults_are_deterministic_per_seed_and_retries_succeed():
    def statuses(seed):
        with FakeEodhd(today=TODAY, error_rate=0.5, seed=seed) as s:
            return [
                get(s, f"/eod/{c}.US", fmt="json", **{"from": "2025-12-01"}).status_code
                for c in ("A", "B", "C", "D")
                for _ in range(5)
            ]

    first = statuses(7)
    assert first == statuses(7)
    assert 200 in first and any(x >= 500 for x in first)
    assert all(200 in first[i : i + 5] for i in range(0, 20, 5))  # a retry of the same call succeeds
    assert statuses(8) != first


def test_inject_forces_the_next_responses():
    with FakeEodhd(today=TODAY) as s:
        s.inject(r"/eod/AAPL\.US$", 503, "down", count=2, headers={"Retry-After": "2"})
        r = get(s, "/eod/AAPL.US", fmt="json")
        assert (r.status_code, r.text, r.headers["Retry-After"]) == (503, "down", "2")
        assert get(s, "/eod/MSFT.US", fmt="json").status_code == 200  # other paths unaffected
        assert get(s, "/eod/AAPL.US", fmt="json").status_code == 503
        assert get(s, "/eod/AAPL.US", fmt="json").status_code == 200
        s.inject(r"/eod/", 402, TEXT_402)
        assert get(s, "/eod/X.US", fmt="json").text == TEXT_402
        assert s.requests("eod", "AAPL.US", 503) == 2


# ----------------------------------------------------------------------- counters
def test_counts_in_python_and_over_http(caplog):
    caplog.set_level(logging.INFO, logger="eodhd_fake")
    with FakeEodhd(today=TODAY) as s:
        get(s, "/eod/AAPL.US", fmt="json")
        get(s, "/eod/AAPL.US", fmt="json")
        get(s, "/eod/DELISTME.US", fmt="json")
        get(s, "/fundamentals/AAPL.US")
        get(s, "/eod-bulk-last-day/US", fmt="json")
        c = s.counts()
        assert c["requests"] == 5 and c["charged_calls"] == 1 + 1 + 1 + 10 + 100
        assert c["by_code"]["eod"] == {"AAPL.US": {"200": 2}, "DELISTME.US": {"404": 1}}
        assert c["by_endpoint"]["bulk"] == {"requests": 1, "charged_calls": 100, "by_status": {"200": 1}}
        assert s.requests(endpoint="eod") == 3 and s.requests(status=404) == 1
        over_http = requests.get(f"http://127.0.0.1:{s.port}/_fake/stats", timeout=10).json()
        assert over_http == c
        requests.get(f"http://127.0.0.1:{s.port}/_fake/reset", timeout=10)
        assert s.counts()["requests"] == 0
        assert s.calls_used(TOKEN) == 113  # reset keeps the quota unless asked
        requests.get(f"http://127.0.0.1:{s.port}/_fake/reset?quota=1", timeout=10)
        assert s.calls_used(TOKEN) == 0
        r = requests.get(f"http://127.0.0.1:{s.port}/_fake/today?date=2026-01-05", timeout=10)
        assert r.json() == {"today": "2026-01-05"} and s.today == dt.date(2026, 1, 5)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/api/eod/AAPL.US" in logged and "api_token=***" in logged
    assert TOKEN not in logged


def test_concurrent_requests_are_all_counted():
    from concurrent.futures import ThreadPoolExecutor

    with FakeEodhd(today=TODAY) as s, requests.Session() as session:

        def one(i):
            return session.get(
                f"{s.url}/eod/C{i % 10}.US",
                params={"api_token": TOKEN, "fmt": "json", "from": "2025-12-01"},
                timeout=30,
            ).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(one, range(80))) == {200}
        assert s.requests("eod") == 80 and s.calls_used(TOKEN) == 80
        assert all(s.requests("eod", f"C{i}.US", 200) == 8 for i in range(10))


# ---------------------------------------------------------------------------- CLI
def test_cli_prints_its_url_and_serves(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "EODHD_API_TOKEN")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "eodhd_fake",
            "--port",
            "0",
            "--today",
            "2025-11-28",
            "--daily-limit",
            "5",
            "--token",
            TOKEN,
            "--split",
            "AAPL.US:2025-11-24:2/1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api")
        r = requests.get(
            f"{url}/eod/AAPL.US", params={"api_token": TOKEN, "fmt": "json", "from": "2025-11-20"}, timeout=30
        )
        bars = r.json()
        assert bars[-1]["date"] == "2025-11-28"
        assert bars[0]["adjusted_close"] == pytest.approx(bars[0]["close"] / 2, abs=1e-4)
        assert requests.get(f"{url}/splits/AAPL.US", params={"api_token": TOKEN, "fmt": "json"}, timeout=30).json() == [
            {"date": "2025-11-24", "split": "2.000000/1.000000"}
        ]
        assert requests.get(f"{url}/user", params={"api_token": "nope"}, timeout=30).status_code == 401
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert TOKEN not in err


def test_today_unpublished_serves_yesterday():
    with FakeEodhd(today=dt.date(2025, 12, 2), today_published=False) as s:
        bars = eod(s, "AAPL.US", **{"from": "2025-11-28"})
        assert [b["date"] for b in bars] == ["2025-11-28", "2025-12-01"]
        assert get(s, "/eod-bulk-last-day/US", fmt="json", date="2025-12-02").json() == []
        assert {r["date"] for r in get(s, "/eod-bulk-last-day/US", fmt="json").json()} == {"2025-12-01"}
        assert get(s, "/user").json()["apiRequestsDate"] == "2025-12-02"
    with pytest.raises(ValueError):
        FakeEodhd(today=dt.date(2031, 1, 2))


def test_fundamentals_filter_and_weekly_period(server):
    assert get(server, "/fundamentals/AAPL.US", filter="General::Code").json() == "AAPL"
    both = get(server, "/fundamentals/AAPL.US", filter="General::Type,Highlights::MarketCapitalization").json()
    assert both["General::Type"] == "Common Stock" and both["Highlights::MarketCapitalization"] > 0
    daily = eod(server, "AAPL.US", **{"from": "2025-12-01", "to": "2025-12-12"})
    weekly = eod(server, "AAPL.US", **{"from": "2025-12-01", "to": "2025-12-12", "period": "w"})
    assert [w["date"] for w in weekly] == ["2025-12-01", "2025-12-08"]
    assert weekly[0]["close"] == daily[4]["close"] and weekly[0]["open"] == daily[0]["open"]
    assert weekly[1]["high"] == max(b["high"] for b in daily[5:])


def test_control_endpoints_for_other_processes():
    with FakeEodhd(today=dt.date(2025, 12, 12)) as s:
        base = f"http://127.0.0.1:{s.port}/_fake"
        assert (
            requests.get(
                f"{base}/split", params={"code": "META.US", "date": "2025-12-10", "ratio": "2/1"}, timeout=10
            ).status_code
            == 200
        )
        assert get(s, "/splits/META.US", fmt="json", **{"from": "2025-12-01"}).json() == [
            {"date": "2025-12-10", "split": "2.000000/1.000000"}
        ]
        requests.get(f"{base}/dividend", params={"code": "META.US", "date": "2025-12-11", "amount": "0.5"}, timeout=10)
        assert [d["unadjustedValue"] for d in get(s, "/div/META.US", fmt="json", **{"from": "2025-12-01"}).json()] == [
            0.5
        ]
        requests.get(
            f"{base}/inject",
            params={"pattern": "/eod/META", "status": "429", "count": "2", "retry_after": "1"},
            timeout=10,
        )
        r = get(s, "/eod/META.US", fmt="json")
        assert (r.status_code, r.headers["Retry-After"]) == (429, "1")
        assert get(s, "/eod/META.US", fmt="json").status_code == 429
        assert get(s, "/eod/META.US", fmt="json").status_code == 200
        requests.get(f"{base}/delist", params={"code": "META.US"}, timeout=10)
        assert get(s, "/eod/META.US", fmt="json").text == TEXT_404_TICKER
        assert requests.get(f"{base}/split", params={"code": "X.US"}, timeout=10).status_code == 400


def test_us_listing_has_venues_and_types_beyond_the_committed_ones():
    with FakeEodhd(today=TODAY, exchange_sizes={"US": 600}) as s:
        rows = get(s, "/exchange-symbol-list/US", fmt="json").json()
        funds = get(s, "/exchange-symbol-list/US", fmt="json", type="fund").json()
        m = s.market
        assert len(rows) == 600
        venues = {r["Exchange"] for r in rows}
        assert {"NYSE", "NASDAQ", "NYSE ARCA", "NMFQS"} <= venues
        assert {r["Type"] for r in rows} == {"Common Stock", "ETF", "FUND", "Preferred Stock"}
        assert funds and {r["Type"] for r in funds} == {"FUND"}
        for r in rows[:60]:  # listing and fundamentals agree
            g = get(s, f"/fundamentals/{r['Code']}.US", filter="General").json()
            assert (g["Type"], g["Exchange"]) == (r["Type"], r["Exchange"])
        assert m.instrument(f"{funds[0]['Code']}.US").type == "FUND"


def test_codes_do_not_exist_before_their_listing():
    m = Market()
    code = find_code(m, "US", lambda i: m.ipo_date(i) > dt.date(2020, 1, 1))
    ipo = m.ipo_date(m.instrument(code))
    with FakeEodhd(today=ipo - dt.timedelta(days=1)) as s:
        assert get(s, f"/eod/{code}", fmt="json").text == TEXT_404_TICKER
        assert get(s, f"/fundamentals/{code}").text == TEXT_404_TICKER
        s.set_today(ipo)
        assert [b["date"] for b in eod(s, code)] == [ipo.isoformat()]
        assert get(s, f"/fundamentals/{code}").json()["General"]["IPODate"] == ipo.isoformat()


def test_every_exchange_serves_valid_bars_and_fundamentals():
    from eodhd_fake import EXCHANGES

    s = FakeEodhd(today=TODAY)  # handle() directly: no socket needed
    for exchange in EXCHANGES:
        for i in range(3):
            code = f"P{i}.{exchange}"
            r = s.handle(f"/api/fundamentals/{code}?api_token=x")
            text = r.body.decode()
            assert r.status == 200 and "NaN" not in text and "Infinity" not in text and "[]" not in text, code
            bars = json.loads(s.handle(f"/api/eod/{code}?api_token=x&fmt=json&from=2023-01-01").body)
            assert bars, code
            for b in bars:
                assert 0 < b["low"] <= min(b["open"], b["close"]) <= max(b["open"], b["close"]) <= b["high"], (code, b)
                assert b["adjusted_close"] > 0 and b["volume"] >= 0, (code, b)
    assert s.requests() == len(EXCHANGES) * 6


# ---------------------------------------------------------------------------- CLI options
OUT_OF_RANGE = [
    (["--port", "70000"], "--port"),
    (["--port", "-1"], "--port"),
    (["--daily-limit", "-1"], "--daily-limit"),
    (["--per-minute-limit", "-1"], "--per-minute-limit"),
    (["--latency-ms", "-5"], "--latency-ms"),
    (["--latency-ms", "inf"], "--latency-ms"),
    (["--error-rate", "1.5"], "--error-rate"),
    (["--truncate-rate", "-0.1"], "--truncate-rate"),
    (["--html-rate", "2"], "--html-rate"),
    (["--retry-after-rate", "nan"], "--retry-after-rate"),
    (["--exchange-size", "US=-1"], "--exchange-size"),
    (["--exchange-size", "US=many"], "--exchange-size"),
]


@pytest.mark.parametrize(("argv", "option"), OUT_OF_RANGE, ids=[" ".join(c[0]) for c in OUT_OF_RANGE])
def test_cli_refuses_an_option_out_of_range(argv, option):
    proc = subprocess.run(
        [sys.executable, "-m", "eodhd_fake", *argv], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2, proc.stderr
    assert "usage: python -m eodhd_fake" in proc.stderr and option in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_accepts_values_in_range():
    from eodhd_fake import build_parser

    args = build_parser().parse_args(
        [
            "--port",
            "0",
            "--daily-limit",
            "0",
            "--per-minute-limit",
            "0",
            "--error-rate",
            "1",
            "--truncate-rate",
            "0",
            "--latency-ms",
            "2.5",
            "--exchange-size",
            "US=0,LSE=3",
            "--seed",
            "-4",
        ]
    )
    assert (args.port, args.daily_limit, args.error_rate, args.latency_ms) == (0, 0, 1.0, 2.5)
    assert args.exchange_size == {"US": 0, "LSE": 3} and args.seed == -4


def test_the_fetcher_never_imports_the_local_server():
    """The product does not depend on its test double: importing every fetcher command loads no
    module of eodhd_fake (and no numpy, which only the local server's market needs)."""
    code = (
        "import sys; import fetcher.cli; fetcher.cli.build_parser(); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('eodhd_fake', 'numpy')); print(bad)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"

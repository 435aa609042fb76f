"""A split on day D through the whole path: the fetcher against the local EODHD server lands
the day's bar and the split; the stored adjusted history then equals what the server would
answer for a full refetch, without that refetch, and the ticker is flagged for indicators."""

from __future__ import annotations

import datetime as dt

import psycopg
import requests
from psycopg.types.json import Jsonb

from eodhd_fake import FakeEodhd
from tests.fetch_support import (
    HISTORY_START,
    TODAY,
    TOKEN,
    as_of,
    assert_ledger_matches_server,
    asset_state,
    items,
    make_runner,
    plan,
    prepare_db,
)

SPLIT_DAY = TODAY + dt.timedelta(days=1)  # Wednesday 2026-11-25, a US session


def stored(conn, ticker: str) -> dict[dt.date, tuple[float, float]]:
    rows = conn.execute(
        "select sp.trade_date, sp.close, sp.adjusted_close from market.stock_prices sp"
        " join market.assets a using (asset_id) where a.ticker = %s order by 1",
        (ticker,),
    ).fetchall()
    return {d: (close, adj) for d, close, adj in rows}


def test_a_split_on_day_d_through_the_fetcher_corrects_history_without_a_refetch(db_url, tmp_path):
    with FakeEodhd(today=TODAY) as fake:
        prepare_db(db_url, tmp_path / "tickers", ["KO.US"])
        first, _ = plan(db_url, TODAY)
        assert make_runner(db_url, fake.url, first).run() == 0
        with psycopg.connect(db_url, autocommit=True) as conn:
            before = stored(conn, "KO.US")
            conn.execute("update pipeline.asset_processing_state set needs_indicator_recompute = false")
        assert len(before) > 40 and max(before) == TODAY

        fake.set_today(SPLIT_DAY)
        fake.add_split("KO.US", SPLIT_DAY, "4/1")
        with psycopg.connect(db_url, autocommit=True) as conn:
            second = conn.execute(
                "select pipeline.start_execution('data_collection_equities', 'split-day', %s, %s)",
                (as_of(SPLIT_DAY), Jsonb({"components": ["prices", "corporate_actions"]})),
            ).fetchone()[0]
            conn.execute("select pipeline.discover_delta(%s, %s)", (second, as_of(SPLIT_DAY)))
        assert {i["kind"] for i in items(db_url, second)} == {"prices", "corporate_actions"}
        assert make_runner(db_url, fake.url, second).run() == 0
        assert all(i["status"] == "done" for i in items(db_url, second))
        calls = assert_ledger_matches_server(db_url, fake)
        assert "eod" in calls and calls["eod"]["requests"] == 2, "history was not refetched: one /eod per day"

        with psycopg.connect(db_url, autocommit=True) as conn:
            after = stored(conn, "KO.US")
            flagged = conn.execute(
                "select needs_indicator_recompute from pipeline.asset_processing_state s"
                " join market.assets a using (asset_id) where a.ticker = 'KO.US'"
            ).fetchone()[0]
            action = conn.execute(
                "select action_type, split_numerator, split_denominator, bars_adjusted"
                " from market.corporate_actions where action_date = %s",
                (SPLIT_DAY,),
            ).fetchone()
        # the day's /eod request overlaps the last stored bar (to see rewritten adjustments) and
        # runs concurrently with the split's item: when it lands first, that bar arrives already
        # adjusted by the vendor and the split corrects the others; otherwise the split corrects all
        assert action[:3] == ("split", 4.0, 1.0)
        assert action[3] in (len(before) - 1, len(before))
        assert flagged is True
        assert set(after) == set(before) | {SPLIT_DAY}
        for day, (close, adj) in before.items():
            assert after[day] == (close, adj / 4), day

        # what a full refetch would bring now (a direct request, outside the ledger check above)
        answer = requests.get(
            f"{fake.url}/eod/KO.US",
            timeout=10,
            params={
                "api_token": TOKEN,
                "fmt": "json",
                "period": "d",
                "order": "a",
                "from": HISTORY_START.isoformat(),
                "to": SPLIT_DAY.isoformat(),
            },
        )
        vendor = {dt.date.fromisoformat(b["date"]): float(b["adjusted_close"]) for b in answer.json()}
        assert set(vendor) == set(after)
        worst = max(abs(after[d][1] - v) / v for d, v in vendor.items())
        assert worst < 1e-3, f"stored adjusted closes differ from the vendor's by up to {worst:.2e}"
        # and the adjusted series is continuous across the split while the raw one drops by 4
        prev = max(d for d in after if d < SPLIT_DAY)
        assert after[SPLIT_DAY][0] / after[prev][0] < 0.35
        assert 0.8 < after[SPLIT_DAY][1] / after[prev][1] < 1.25


def test_a_dividend_on_day_d_through_the_fetcher_matches_the_vendor_adjustment(db_url, tmp_path):
    with FakeEodhd(today=TODAY) as fake:
        prepare_db(db_url, tmp_path / "tickers", ["KO.US"])
        first, _ = plan(db_url, TODAY)
        assert make_runner(db_url, fake.url, first).run() == 0
        with psycopg.connect(db_url, autocommit=True) as conn:
            before = stored(conn, "KO.US")
        fake.set_today(SPLIT_DAY)
        amount = round(before[TODAY][0] * 0.03, 2)  # a 3 % dividend: well above rounding noise
        fake.add_dividend("KO.US", SPLIT_DAY, amount)
        with psycopg.connect(db_url, autocommit=True) as conn:
            second = conn.execute(
                "select pipeline.start_execution('data_collection_equities', 'dividend-day', %s, %s)",
                (as_of(SPLIT_DAY), Jsonb({"components": ["prices", "corporate_actions"]})),
            ).fetchone()[0]
            conn.execute("select pipeline.discover_delta(%s, %s)", (second, as_of(SPLIT_DAY)))
        assert make_runner(db_url, fake.url, second).run() == 0
        with psycopg.connect(db_url, autocommit=True) as conn:
            after = stored(conn, "KO.US")
            factor = conn.execute(
                "select adjustment_factor from market.corporate_actions"
                " where action_type = 'dividend' and action_date = %s",
                (SPLIT_DAY,),
            ).fetchone()[0]
        assert abs(factor - (1 - amount / before[TODAY][0])) < 1e-12
        for day, (_close, adj) in before.items():
            assert abs(after[day][1] - adj * factor) <= 1e-9 * adj, day
        answer = requests.get(
            f"{fake.url}/eod/KO.US",
            timeout=10,
            params={
                "api_token": TOKEN,
                "fmt": "json",
                "period": "d",
                "order": "a",
                "from": HISTORY_START.isoformat(),
                "to": SPLIT_DAY.isoformat(),
            },
        )
        vendor = {dt.date.fromisoformat(b["date"]): float(b["adjusted_close"]) for b in answer.json()}
        worst = max(abs(after[d][1] - v) / v for d, v in vendor.items())
        assert worst < 1e-3, f"stored adjusted closes differ from the vendor's by up to {worst:.2e}"


def test_a_hostile_body_is_a_data_error_of_its_ticker_and_the_run_goes_on(db_url, tmp_path):
    """JSON nested 20,000 levels deep for one ticker's history, fundamentals naming another ticker for
    a second: both are data errors of their own ticker (blamed once), nothing of them is half-written,
    every call is in the ledger, and the run finishes the rest (issue 11, items 2 and 5)."""
    with FakeEodhd(today=TODAY) as fake:
        prepare_db(db_url, tmp_path / "tickers", ["KO.US", "PEP.US", "AAPL.US"])
        fake.inject(r"/eod/PEP\.US", 200, "[" * 20000 + "]" * 20000)
        fake.inject(
            r"/fundamentals/AAPL\.US",
            200,
            '{"General": {"Code": "MSFT", "Type": "Bond", "Name": "Microsoft Corp", "Exchange": "NASDAQ",'
            ' "CurrencyCode": "EUR", "ISIN": "US5949181045"}}',
        )
        first, _ = plan(db_url, TODAY)
        assert make_runner(db_url, fake.url, first).run() == 0
        assert_ledger_matches_server(db_url, fake)

        by_ticker = {i["ticker"]: i for i in items(db_url, first)}
        assert by_ticker["KO.US"]["status"] == "done"
        for ticker, reason in (("PEP.US", "nested deeper than 64 levels"), ("AAPL.US", 'General.Code "MSFT"')):
            assert by_ticker[ticker]["error_class"] == "data", by_ticker[ticker]
            assert reason in by_ticker[ticker]["last_error"]
            assert asset_state(db_url, ticker)["consecutive_failures"] == 1, f"{ticker} is blamed once"
        assert asset_state(db_url, "PEP.US")["bars"] == 0
        assert asset_state(db_url, "AAPL.US")["bars"] > 40, "the history stored before the fundamentals is kept"
        with psycopg.connect(db_url, autocommit=True) as conn:
            aapl = conn.execute(
                "select asset_type, name, currency, isin from market.assets where ticker = 'AAPL.US'"
            ).fetchone()
            refused = conn.execute(
                "select count(*) from raw.eodhd_payloads where body is null"
                " and ingest_error like 'response refused: JSON nested deeper than 64 levels%'"
            ).fetchone()[0]
            fundamentals = conn.execute(
                "select count(*) from market.fundamentals f join market.assets a using (asset_id)"
                " where a.ticker = 'AAPL.US'"
            ).fetchone()[0]
        assert aapl == ("stock", None, None, None), "the asset is not renamed after another instrument"
        assert refused == 1 and fundamentals == 0

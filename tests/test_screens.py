"""Saved screens on real data: two collection days from the local EODHD server (history from
2024-11-01, as `make demo` loads it, on a subset of the demo's tickers: the server's data is a
function of the code, so each ticker gets the demo's values), indicators and the screener; every
saved screen of market.screens returns rows. `market_db()` is shared with
tests/test_operations_doc.py (built once per test session)."""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import json
import tempfile
from pathlib import Path

import psycopg
import pytest

from tests.conftest import TEST_DBNAME
from tests.dbutil import ROOT, migrate, server_url, url_for

pytest.importorskip("fetcher.run")
pytest.importorskip("eodhd_fake.server")

D1 = dt.date(2026, 11, 24)
D2 = dt.date(2026, 11, 25)
DEMO_FROM = "2024-11-01"
# demo tickers each saved screen finds on the demo data, plus the ones the recipes name
SUBSET = """AMS.MC SAN.PA ELE.MC WKL.AS BNP.PA HEIA.AS KER.PA APC.F IBE.MC COL.MC CABK.MC SIE.F RIO.LSE ULVR.LSE
EOAN.F REGN.US MSFT.US ZURN.SW PARG.SW SPY.US CBK.XETRA CRM.US TXN.US GE.US LHA.F SAP.XETRA BAC.US ENGI.PA
MTS.MC BA.LSE IBM.US NFLX.US IFX.XETRA IMB.LSE STAN.LSE MU.US SCMN.SW DHL.XETRA MRK.F BAYN.XETRA PYPL.US SU.PA
BA.US UPS.US GILD.US SAP.F DIS.US AAPL.US BP.LSE""".split()


def _universe_files(directory: Path) -> list[str]:
    """The committed universe files, reduced to SUBSET; returns the universes written."""
    written = []
    for path in sorted((ROOT / "config" / "tickers").glob("*.txt")):
        codes = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
        keep = [c for c in codes if c in SUBSET]
        if keep:
            (directory / path.name).write_text("\n".join(keep) + "\n")
            written.append(path.stem)
    return written


@functools.cache
def market_db() -> str:
    """A migrated database with the demo's two days on SUBSET, indicators and the screener."""
    from eodhd_fake.server import FakeEodhd
    from fetcher.calendars import load_calendars
    from fetcher.universe import sync_universe
    from tests.fetch_support import as_of, finish, make_runner

    name = f"{TEST_DBNAME}_market"
    with psycopg.connect(url_for("postgres"), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    atexit.register(_drop, name)
    url = url_for(name, server_url())
    migrate(url)
    tickers = Path(tempfile.mkdtemp(prefix="screens-"))
    universes = _universe_files(tickers)
    exchanges = sorted({c.rsplit(".", 1)[1] for c in SUBSET})
    with psycopg.connect(url, autocommit=True) as conn:
        load_calendars(conn, start=dt.date(2024, 10, 1), end=dt.date(2026, 12, 31), exchanges=exchanges)
        sync_universe(conn, tickers, D1, only=universes)
    with FakeEodhd(today=D1, per_minute_limit=100_000) as fake:
        for day, conf in ((D1, f'{{"from_date": "{DEMO_FROM}"}}'), (D2, "{}")):
            fake.set_today(day)
            with psycopg.connect(url, autocommit=True) as conn:
                execution_id = conn.execute(
                    "select pipeline.start_execution('data_collection_equities', %s, %s, %s::jsonb, %s::jsonb)",
                    (f"market-{day}", as_of(day), conf, json.dumps({"exchanges": list(exchanges)})),
                ).fetchone()[0]
                conn.execute("select pipeline.discover_delta(%s, %s)", (execution_id, as_of(day)))
            assert make_runner(url, fake.url, execution_id, threads=8, batch=16).run() == 0
            assert finish(url, execution_id, day)["status"] == "success"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select market.refresh_indicators(%s)", (D2,))
        conn.execute("select market.refresh_screener()")
    return url


def _drop(name: str) -> None:
    try:
        with psycopg.connect(url_for("postgres"), autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')
    except psycopg.Error:
        pass


def test_every_saved_screen_returns_rows_on_demo_data():
    with psycopg.connect(market_db(), autocommit=True) as conn:
        assert conn.execute("select count(*) from market.screener_latest").fetchone()[0] == len(SUBSET)
        screens = [r[0] for r in conn.execute("select screen_name from market.screens order by 1")]
        assert {"oversold_uptrend", "macd_cross_up", "new_high_on_volume"} <= set(screens)
        counts = {s: conn.execute("select count(*) from market.run_screen(%s)", (s,)).fetchone()[0] for s in screens}
    assert all(n > 0 for n in counts.values()), counts


def test_run_screen_rows_are_screener_rows_and_follow_the_predicate():
    with psycopg.connect(market_db(), autocommit=True) as conn:
        got = conn.execute("select ticker from market.run_screen('oversold_uptrend')").fetchall()
        want = conn.execute(
            "select ticker from market.screener_latest where rsi_14 < 40 and adjusted_close > sma_200"
            " order by rsi_14, ticker"
        ).fetchall()
        assert got == want and got
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="unknown screen 'nope'"):
            conn.execute("select * from market.run_screen('nope')")

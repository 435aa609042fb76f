"""refresh-universe against the local server: one call per exchange, in the ledger; US split
by venue; Euronext from four exchanges; types filtered; header kept; files parse and sync."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys

import psycopg

from eodhd_fake import FakeEodhd
from fetcher.universe import parse_universe_file, sync_universe
from tests.fetch_support import ROOT, TODAY, assert_ledger_matches_server, fetcher_env

SIZES = {"US": 400, "PA": 40, "AS": 30, "BR": 20, "LS": 20, "LSE": 30}


def run_refresh(db_url, server_url, directory, *args):
    return subprocess.run(
        [sys.executable, "-m", "fetcher", "refresh-universe", "--dir", str(directory), *args],
        cwd=ROOT,
        env=fetcher_env(db_url, server_url),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_refresh_rewrites_the_files_with_one_call_per_exchange(db_url, tmp_path):
    directory = tmp_path / "tickers"
    shutil.copytree(ROOT / "config" / "tickers", directory)
    header_before = (directory / "euronext.txt").read_text().splitlines()[0]
    with FakeEodhd(today=TODAY, exchange_sizes=SIZES, tickers_dir=directory) as fake:
        result = run_refresh(db_url, fake.url, directory, "--exchange", "US,PA,AS,BR,LS")
        assert result.returncode == 0, result.stderr[-2000:]
        counts = fake.counts()["by_code"]["symbols"]
        assert counts == {e: {"200": 1} for e in ("US", "PA", "AS", "BR", "LS")}, "one call per exchange"
        mine = assert_ledger_matches_server(db_url, fake)
        assert mine == {"exchange-symbol-list": {"requests": 5, "cost": 5}}

        us_rows = {c: fake.market.instrument(c) for c in fake.market.universe("US")}  # the server's listing
    nyse = parse_universe_file(directory / "nyse.txt", {"US"}).tickers
    nasdaq = parse_universe_file(directory / "nasdaq.txt", {"US"}).tickers
    euronext = parse_universe_file(directory / "euronext.txt", {"PA", "AS", "BR", "LS"}).tickers
    assert nyse and nasdaq and not set(nyse) & set(nasdaq)
    for code in nyse:
        assert us_rows[code].venue.startswith("NYSE") and us_rows[code].type in ("Common Stock", "ETF", "FUND")
    for code in nasdaq:
        assert us_rows[code].venue == "NASDAQ"
    expected_us = {
        c
        for c, i in us_rows.items()
        if i.type in ("Common Stock", "ETF", "FUND") and (i.venue.startswith("NYSE") or i.venue == "NASDAQ")
    }
    assert set(nyse) | set(nasdaq) == expected_us
    assert any(c.endswith(".US") and us_rows[c].type == "Preferred Stock" for c in us_rows), "the filter had work"
    assert {c.rsplit(".", 1)[1] for c in euronext} == {"PA", "AS", "BR", "LS"}
    assert (directory / "euronext.txt").read_text().splitlines()[0] == header_before
    assert "# Refreshed from EODHD exchange-symbol-list (PA, AS, BR, LS)" in (directory / "euronext.txt").read_text()
    # files of exchanges not asked for are untouched
    assert (directory / "lse.txt").read_text() == (ROOT / "config" / "tickers" / "lse.txt").read_text()
    with psycopg.connect(db_url, autocommit=True) as conn:
        synced = sync_universe(conn, directory, dt.date(2026, 11, 1))
        assert synced["nyse"]["listed"] == len(nyse)
        assert conn.execute("select count(*) from pipeline.api_calls where execution_id is null").fetchone()[0] == 5


def test_refresh_keeps_files_when_an_exchange_fails(db_url, tmp_path):
    directory = tmp_path / "tickers"
    shutil.copytree(ROOT / "config" / "tickers", directory)
    before = (directory / "euronext.txt").read_text()
    with FakeEodhd(today=TODAY, exchange_sizes=SIZES, tickers_dir=directory) as fake:
        fake.inject(r"exchange-symbol-list/BR$", 404, "Exchange Not Found.")
        result = run_refresh(db_url, fake.url, directory, "--exchange", "PA", "--exchange", "BR")
        assert result.returncode == 1
        assert "BR" in result.stderr and "HTTP 404" in result.stderr
        assert_ledger_matches_server(db_url, fake)
    assert (directory / "euronext.txt").read_text() == before

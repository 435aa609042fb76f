"""`python -m screener screen` (make screen) on crafted screener rows: the saved screen's rows in
its order, rounded (prices 2 decimals, oscillators 1, volumes whole) and aligned in a table, or
as CSV or JSON; --list; --limit; an unknown screen is exit 2 naming it."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
DAY1, DAY2 = "2026-11-23", "2026-11-24"
LONG_NAME = "Alpha Holdings Incorporated International"
# ticker, name, (close day 1, close day 2), volume, rsi_14, sma_200, macd_hist (day 1, day 2)
ASSETS = [
    ("AAA.US", LONG_NAME, (1200.0, 1234.5678), 1234567.0, 25.4567, 1100.129, (-0.5, 0.01234)),
    ("BBB.US", "Beta Co", (10.0, 10.005), 800.0, 35.55, 9.5, (0.2, 0.3)),
    ("CCC.US", "Gamma Co", (50.0, 49.0), 5000.0, 60.0, 40.0, (0.1, -0.2)),
]


@pytest.fixture
def screens_db(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        for ticker, name, closes, volume, rsi, sma200, hists in ASSETS:
            symbol = ticker.split(".")[0]
            asset_id = conn.execute(
                "insert into market.assets (ticker, symbol, exchange_code, name, currency) values (%s, %s, 'US', %s, 'USD')"
                " returning asset_id",
                (ticker, symbol, name),
            ).fetchone()[0]
            for day, close, hist in zip((DAY1, DAY2), closes, hists):
                conn.execute(
                    "insert into market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close, volume)"
                    " values (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (asset_id, day, close, close * 1.01, close * 0.99, close, close, volume),
                )
                conn.execute(
                    "insert into market.technical_indicators (asset_id, trade_date, rsi_14, sma_200, macd_hist)"
                    " values (%s, %s, %s, %s, %s)",
                    (asset_id, day, rsi, sma200, hist),
                )
        conn.execute("select market.refresh_screener()")
        conn.execute("""
            insert into market.screens (screen_name, description, predicate, order_by, columns) values
            ('test_oversold', 'RSI 14 below 40 above the 200-day average', 'rsi_14 < 40 and adjusted_close > sma_200',
             'rsi_14', '{rsi_14,sma_200,volume}'),
            ('test_macd_up', 'MACD histogram crossing above zero', 'macd_hist > 0 and macd_hist_prev <= 0',
             'macd_hist desc', '{}')""")
    return db_url


def screen(url: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "screener", "screen", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_table_is_rounded_aligned_and_in_the_screens_order(screens_db):
    result = screen(screens_db, "test_oversold")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "ticker",
        "name",
        "exchange_code",
        "trade_date",
        "close",
        "change_pct",
        "rsi_14",
        "sma_200",
        "volume",
    ]
    assert lines[-1] == "(2 rows)"
    aaa, bbb = lines[1].split("  "), lines[2]
    assert lines[1].startswith("AAA.US") and bbb.startswith("BBB.US")  # ordered by rsi_14
    cells = [c.strip() for c in lines[1].split("  ") if c.strip()]
    assert cells == ["AAA.US", LONG_NAME[:27] + "…", "US", DAY2, "1,234.57", "2.88", "25.5", "1,100.13", "1,234,567"]
    assert [c.strip() for c in bbb.split("  ") if c.strip()] == [
        "BBB.US",
        "Beta Co",
        "US",
        DAY2,
        "10.01",
        "0.05",
        "35.5",
        "9.50",
        "800",
    ]
    # numbers right-aligned under their header: every column ends at the same position
    header = lines[0]
    for column in ("close", "rsi_14", "volume"):
        end = header.index(column) + len(column)
        assert all(line[end - 1] != " " and (len(line) == end or line[end] == " ") for line in lines[:3]), column
    assert aaa  # the row split on the two-space separator


def test_csv_and_json_carry_the_same_rounded_values(screens_db):
    result = screen(screens_db, "test_oversold", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == [
        "ticker",
        "name",
        "exchange_code",
        "trade_date",
        "close",
        "change_pct",
        "rsi_14",
        "sma_200",
        "volume",
    ]
    assert rows[1] == ["AAA.US", LONG_NAME, "US", DAY2, "1234.57", "2.88", "25.5", "1100.13", "1234567"]
    assert len(rows) == 3

    result = screen(screens_db, "test_oversold", "--format", "json", "--limit", "1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {
            "ticker": "AAA.US",
            "name": LONG_NAME,
            "exchange_code": "US",
            "trade_date": DAY2,
            "close": 1234.57,
            "change_pct": 2.88,
            "rsi_14": 25.5,
            "sma_200": 1100.13,
            "volume": 1234567,
        }
    ]


def test_columns_follow_the_predicate_when_the_screen_lists_none(screens_db):
    result = screen(screens_db, "test_macd_up", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["ticker"] for r in rows] == ["AAA.US"]
    assert rows[0]["macd_hist"] == 0.012 and rows[0]["macd_hist_prev"] == -0.5  # MACD: 3 decimals

    result = screen(screens_db, "test_macd_up", "--format", "json", "--all-columns")
    assert len(json.loads(result.stdout)[0]) > 50


def test_list_names_every_saved_screen(screens_db):
    result = screen(screens_db, "--list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == ["screen_name", "description"]
    assert any(line.startswith("test_oversold") and "RSI 14 below 40" in line for line in result.stdout.splitlines())
    listed = json.loads(screen(screens_db, "--list", "--format", "json").stdout)
    assert {
        "screen_name": "test_macd_up",
        "description": "MACD histogram crossing above zero",
        "predicate": "macd_hist > 0 and macd_hist_prev <= 0",
    } in listed


def test_unknown_screen_and_missing_name_are_exit_2(screens_db):
    result = screen(screens_db, "no_such_screen")
    assert result.returncode == 2 and result.stdout == ""
    assert "no_such_screen" in result.stderr and "--list" in result.stderr and "Traceback" not in result.stderr
    result = screen(screens_db)
    assert result.returncode == 2 and "give a screen name" in result.stderr


def test_make_screen_passes_name_format_and_limit(screens_db):
    env = dict(os.environ, DATABASE_URL=screens_db)
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "screen", "NAME=test_oversold", "FORMAT=csv", "LIMIT=1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("AAA.US,") and len(result.stdout.splitlines()) == 2

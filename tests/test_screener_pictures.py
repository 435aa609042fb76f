"""The pictures (`make chart`, `make report`) and the saved screens from the command line, on a
database filled by the real pipeline: universe and calendars synced, one collection run of the
fetcher against the local EODHD server (history from 2025-01-02, one ticker that answers 404),
then market.refresh_indicators and market.refresh_screener.

The database is built once for this module (a scratch database next to the pytest ones)."""

from __future__ import annotations

import datetime as dt
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import psycopg
import pytest

from eodhd_fake import FakeEodhd
from fetcher.calendars import load_calendars
from tests.conftest import TEST_DBNAME
from tests.dbutil import migrate, url_for
from tests.fetch_support import TODAY, finish, make_runner, plan, prepare_db

ROOT = Path(__file__).resolve().parent.parent
CODES = ["AAPL.US", "MSFT.US", "SPY.US", "KO.US", "DELISTED1.US"]
HISTORY_START = dt.date(2025, 1, 2)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature and the chunk's CRC."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    assert struct.unpack(">I", data[29:33])[0] == zlib.crc32(data[12:29])
    assert data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82"), "truncated PNG"
    return struct.unpack(">II", data[16:24])


def screener(url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "screener", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def pipeline_db(tmp_path_factory) -> str:
    name = f"{TEST_DBNAME}_pictures"
    with psycopg.connect(url_for("postgres"), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    url = url_for(name)
    try:
        migrate(url)
        prepare_db(url, tmp_path_factory.mktemp("tickers"), CODES)
        with psycopg.connect(url, autocommit=True) as conn:
            load_calendars(conn, start=dt.date(2024, 12, 1), end=dt.date(2026, 12, 31), exchanges=["US"])
            conn.execute("update pipeline.settings set history_start = %s", (HISTORY_START,))
            conn.execute(
                "update pipeline.asset_processing_state set history_from = %(d)s, history_owed_from = %(d)s",
                {"d": HISTORY_START},
            )
        with FakeEodhd(today=TODAY) as fake:
            execution_id, _ = plan(url, TODAY, "pictures-day-1")
            assert make_runner(url, fake.url, execution_id).run() == 0
            finish(url, execution_id, TODAY)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("select market.refresh_indicators(%s)", (TODAY,))
            conn.execute("select market.refresh_screener()")
        yield url
    finally:
        with psycopg.connect(url_for("postgres"), autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


def test_the_pipeline_filled_what_the_pictures_read(pipeline_db):
    with psycopg.connect(pipeline_db) as conn:
        bars, with_sma200 = conn.execute(
            """select count(*), count(t.sma_200) from market.stock_prices as p
               join market.assets as a using (asset_id) left join market.technical_indicators as t using (asset_id, trade_date)
               where a.ticker = 'AAPL.US'"""
        ).fetchone()
        failed = conn.execute(
            "select count(*) from pipeline.asset_processing_details where outcome = 'failure'"
        ).fetchone()[0]
    assert bars > 400 and with_sma200 > 200, (bars, with_sma200)
    assert failed >= 1  # DELISTED1.US answered 404


def test_make_chart_writes_a_png_of_the_expected_size(pipeline_db, tmp_path):
    out = tmp_path / "aapl.png"
    env = dict(os.environ, DATABASE_URL=pipeline_db)
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "chart", "TICKER=AAPL.US", "FROM=2026-01-02", "TO=2026-11-24", f"OUT={out}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert png_size(out) == (1400, 1000)
    assert "2026-01-02 to 2026-11-24" in result.stdout and "bars" in result.stdout
    assert out.stat().st_size > 50_000  # candles, bands and panels, not an empty canvas


def test_chart_size_style_and_default_range(pipeline_db, tmp_path):
    out = tmp_path / "msft.png"
    result = screener(pipeline_db, "chart", "MSFT.US", "--size", "900x700", "--style", "line", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert png_size(out) == (900, 700)
    assert "to 2026-11-24" in result.stdout  # default: the year up to the last bar


@pytest.mark.parametrize(
    "args, message",
    [
        (["NOSUCH.US"], "unknown ticker 'NOSUCH.US'"),
        (
            ["AAPL.US", "--from", "2019-01-01", "--to", "2019-03-01"],
            "no bars for AAPL.US between 2019-01-01 and 2019-03-01",
        ),
        (["AAPL.US", "--from", "2026-05-01", "--to", "2026-04-01"], "empty range"),
        (["DELISTED1.US"], "DELISTED1.US has no price bars yet"),
    ],
)
def test_chart_refuses_unknown_ticker_and_empty_range_with_exit_2(pipeline_db, tmp_path, args, message):
    result = screener(pipeline_db, "chart", *args, "--out", str(tmp_path / "x.png"))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == "" and not (tmp_path / "x.png").exists()


def test_make_report_writes_a_png_of_the_expected_size(pipeline_db, tmp_path):
    out = tmp_path / "report.png"
    env = dict(os.environ, DATABASE_URL=pipeline_db)
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "report", f"OUT={out}"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert png_size(out) == (1600, 1200)
    assert "1 runs" in result.stdout and "failures" in result.stdout


def test_report_data_counts_the_run(pipeline_db):
    from screener import report
    from screener.db import connect

    with connect(pipeline_db) as conn:
        data = report.load(conn, days=30)
        calls = conn.execute("select sum(cost) from pipeline.api_calls").fetchone()[0]
    assert len(data.days) == 30
    assert data.totals["api_cost"] == calls > 0
    assert data.totals["runs"] == 1 and data.runs[0]["process_name"] == "data_collection_equities"
    assert data.totals["failures"]["permanent"] >= 1
    assert data.assets_succeeded.sum() >= 4
    assert {r.exchange_code: r.active for r in data.exchanges} == {"US": 5}


def test_every_saved_screen_runs_from_the_cli(pipeline_db, monkeypatch, capsys):
    from screener.cli import main

    monkeypatch.setenv("DATABASE_URL", pipeline_db)
    assert main(["screen", "--list", "--format", "json"]) == 0
    names = [s["screen_name"] for s in json.loads(capsys.readouterr().out)]
    assert names, "no saved screen"
    for name in names:
        assert main(["screen", name, "--format", "json"]) == 0, name
        rows = json.loads(capsys.readouterr().out)
        assert all(r["ticker"].endswith(".US") for r in rows)

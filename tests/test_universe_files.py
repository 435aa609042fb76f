"""Universe files: the committed ones parse; a malformed line names file, line and code; what a
well-formed code is, is the database's rule (market.is_valid_ticker) alone: sync-universe and refresh-universe
both ask it (fetcher.universe.malformed_codes)."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from fetcher.config import TICKERS_DIR
from fetcher.universe import (
    UniverseFileError,
    parse_universe_file,
    read_universe_dir,
    sync_universe,
    universe_exchanges,
)

ALLOWED = {
    "nyse": {"US"},
    "nasdaq": {"US"},
    "lse": {"LSE"},
    "frankfurt": {"F"},
    "xetra": {"XETRA"},
    "euronext": {"PA", "AS", "BR", "LS"},
    "bme": {"MC"},
    "six": {"SW"},
    "bonds": {"GBOND"},
}


def test_committed_universe_parses_with_every_exchange(postgresql):
    assert universe_exchanges(postgresql) == ALLOWED
    files = {f.universe: f for f in read_universe_dir(postgresql, TICKERS_DIR)}
    assert set(files) == set(ALLOWED)
    for name, f in files.items():
        assert len(f.tickers) >= 10, name


def test_bad_line_reports_file_and_line(postgresql, tmp_path):
    path = tmp_path / "nyse.txt"
    path.write_text("# header\nIBM.US\n\nibm us\nKO.US # comment\nSAP.XETRA\nIBM.US\nko.us\n")
    with pytest.raises(UniverseFileError) as err:
        parse_universe_file(path, {"US"}, postgresql)
    text = str(err.value)
    assert f"{path}:4: malformed EODHD code 'ibm us'" in text
    assert f"{path}:6: 'SAP.XETRA' is on exchange XETRA" in text
    assert f"{path}:7: duplicate code 'IBM.US' (first on line 2)" in text
    assert f"{path}:8: malformed EODHD code 'ko.us'" in text  # the shape first, not "exchange us"


def test_without_a_database_only_exchanges_and_duplicates_are_checked(tmp_path):
    """parse_universe_file without a connection (a file refresh-universe just wrote) judges no shape."""
    path = tmp_path / "nyse.txt"
    path.write_text("IBM.US\nibm us\nIBM.US\n")
    with pytest.raises(UniverseFileError) as err:
        parse_universe_file(path, {"US"})
    text = str(err.value)
    assert f"{path}:2: 'ibm us' is on exchange (none)" in text
    assert f"{path}:3: duplicate code 'IBM.US' (first on line 1)" in text
    assert "malformed" not in text


def test_unknown_universe_file_is_an_error(postgresql, tmp_path):
    (tmp_path / "nyse.txt").write_text("IBM.US\n")
    (tmp_path / "moon.txt").write_text("ROCK.MOON\n")
    with pytest.raises(UniverseFileError, match="moon.txt: no universe named 'moon'"):
        read_universe_dir(postgresql, tmp_path)


def test_the_database_decides_what_a_well_formed_code_is(postgresql, tmp_path):
    """The file check asks market.is_valid_ticker: a rule changed there is the rule of the files,
    reported with file and line before anything is written."""
    postgresql.execute(r"""
        create or replace function market.is_valid_ticker(p_ticker text) returns boolean
        language sql immutable parallel safe set search_path = ''
        as $$ select p_ticker ~ '^[A-Z0-9][A-Z0-9&_-]{0,29}\.[A-Z][A-Z0-9]{0,9}$' and p_ticker !~ '^Z' $$""")
    (tmp_path / "nyse.txt").write_text("IBM.US\nZZZ.US\n")
    with pytest.raises(UniverseFileError) as err:
        sync_universe(postgresql, tmp_path, dt.date(2026, 11, 25))
    assert (
        str(err.value)
        == f"{tmp_path / 'nyse.txt'}:2: malformed EODHD code 'ZZZ.US' (expected SYMBOL.EXCHANGE, e.g. AAPL.US)"
    )
    assert postgresql.execute("select count(*) from market.assets").fetchone()[0] == 0


def test_the_fetcher_role_may_check_and_sync_the_files(db_url, tmp_path):
    """sync-universe runs as the fetcher's role (the DAGs' sync_universe task): it may ask the rule."""
    from tests.test_roles import role_url

    (tmp_path / "nyse.txt").write_text("IBM.US\nKO.US\n")
    (tmp_path / "lse.txt").write_text("BP.LSE\nbp.lse\n")
    with psycopg.connect(role_url(db_url, "fetcher"), autocommit=True) as conn:
        with pytest.raises(UniverseFileError, match=r"lse.txt:2: malformed EODHD code 'bp.lse'"):
            sync_universe(conn, tmp_path, dt.date(2026, 11, 25))
        (tmp_path / "lse.txt").write_text("BP.LSE\n")
        result = sync_universe(conn, tmp_path, dt.date(2026, 11, 25))
    assert result["nyse"]["added"] == 2 and result["lse"]["added"] == 1


def test_sync_committed_universe_is_idempotent(postgresql):
    first = sync_universe(postgresql, TICKERS_DIR, dt.date(2026, 11, 25))
    second = sync_universe(postgresql, TICKERS_DIR, dt.date(2026, 11, 26))
    assert sum(r["added"] for r in first.values()) == sum(r["listed"] for r in first.values())
    assert all(r["added"] == 0 and r["deactivated"] == 0 and r["unchanged"] == r["listed"] for r in second.values())
    count = postgresql.execute(
        "select count(*) from market.assets a join pipeline.asset_processing_state s using (asset_id)"
    ).fetchone()[0]
    assert count == sum(r["listed"] for r in first.values())


def test_bad_file_syncs_nothing(postgresql, tmp_path):
    (tmp_path / "nyse.txt").write_text("IBM.US\n")
    (tmp_path / "lse.txt").write_text("BP.LSE\nBAD LINE\n")
    with pytest.raises(UniverseFileError, match="lse.txt:2"):
        sync_universe(postgresql, tmp_path, dt.date(2026, 11, 25))
    assert postgresql.execute("select count(*) from market.assets").fetchone()[0] == 0


def _active(conn, universe: str) -> int:
    return conn.execute("select count(*) from market.assets where universe = %s and is_active", (universe,)).fetchone()[
        0
    ]


def test_empty_file_is_refused_unless_allow_empty(postgresql, tmp_path):
    """An empty file would deactivate its whole universe: an error naming the file, unless allow_empty."""
    (tmp_path / "nyse.txt").write_text("IBM.US\nKO.US\n")
    sync_universe(postgresql, tmp_path, dt.date(2026, 11, 25))
    (tmp_path / "nyse.txt").write_text("# emptied by a failed refresh\n\n")
    with pytest.raises(UniverseFileError) as err:
        sync_universe(postgresql, tmp_path, dt.date(2026, 11, 26))
    text = str(err.value)
    assert f"{tmp_path / 'nyse.txt'}: no EODHD code in the file" in text
    assert "would deactivate all 2 active asset(s) of universe 'nyse'" in text and "--allow-empty" in text
    assert _active(postgresql, "nyse") == 2
    result = sync_universe(postgresql, tmp_path, dt.date(2026, 11, 26), allow_empty=True)
    assert result["nyse"]["deactivated"] == 2 and result["nyse"]["listed"] == 0
    assert _active(postgresql, "nyse") == 0


def test_an_empty_file_among_good_ones_syncs_nothing(postgresql, tmp_path):
    (tmp_path / "nyse.txt").write_text("IBM.US\n")
    (tmp_path / "lse.txt").write_text("")
    with pytest.raises(UniverseFileError, match="lse.txt: no EODHD code"):
        sync_universe(postgresql, tmp_path, dt.date(2026, 11, 25))
    assert postgresql.execute("select count(*) from market.assets").fetchone()[0] == 0


def test_database_refuses_an_empty_list_unless_allowed(postgresql):
    """pipeline.sync_universe itself, for callers other than the fetcher (the old 3-argument call)."""
    postgresql.execute("select pipeline.sync_universe('nyse', array['IBM.US'], '2026-11-25')")
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="list for universe nyse is empty"):
        with postgresql.transaction():
            postgresql.execute("select pipeline.sync_universe('nyse', %s, '2026-11-26')", ([],))
    assert _active(postgresql, "nyse") == 1

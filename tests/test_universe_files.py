"""Universe files: the committed ones parse; a malformed line names file and line."""
from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from fetcher.config import TICKERS_DIR
from fetcher.universe import UniverseFileError, parse_universe_file, read_universe_dir, sync_universe

ALLOWED = {
    "nyse": {"US"}, "nasdaq": {"US"}, "lse": {"LSE"}, "frankfurt": {"F"}, "xetra": {"XETRA"},
    "euronext": {"PA", "AS", "BR", "LS"}, "bme": {"MC"}, "six": {"SW"}, "bonds": {"GBOND"},
}


def test_committed_universe_parses_with_every_exchange():
    files = {f.universe: f for f in read_universe_dir(TICKERS_DIR, ALLOWED)}
    assert set(files) == set(ALLOWED)
    for name, f in files.items():
        assert len(f.tickers) >= 10, name


def test_bad_line_reports_file_and_line(tmp_path):
    path = tmp_path / "nyse.txt"
    path.write_text("# header\nIBM.US\n\nibm us\nKO.US # comment\nSAP.XETRA\nIBM.US\n")
    with pytest.raises(UniverseFileError) as err:
        parse_universe_file(path, {"US"})
    text = str(err.value)
    assert f"{path}:4: malformed EODHD code 'ibm us'" in text
    assert f"{path}:6: 'SAP.XETRA' is on exchange XETRA" in text
    assert f"{path}:7: duplicate code 'IBM.US' (first on line 2)" in text


def test_unknown_universe_file_is_an_error(tmp_path):
    (tmp_path / "nyse.txt").write_text("IBM.US\n")
    (tmp_path / "moon.txt").write_text("ROCK.MOON\n")
    with pytest.raises(UniverseFileError, match="moon.txt: no universe named 'moon'"):
        read_universe_dir(tmp_path, ALLOWED)


def test_sync_committed_universe_is_idempotent(postgresql):
    first = sync_universe(postgresql, TICKERS_DIR, dt.date(2026, 11, 25))
    second = sync_universe(postgresql, TICKERS_DIR, dt.date(2026, 11, 26))
    assert sum(r["added"] for r in first.values()) == sum(r["listed"] for r in first.values())
    assert all(r["added"] == 0 and r["deactivated"] == 0 and r["unchanged"] == r["listed"] for r in second.values())
    count = postgresql.execute("select count(*) from market.assets a join pipeline.asset_processing_state s using (asset_id)").fetchone()[0]
    assert count == sum(r["listed"] for r in first.values())


def test_bad_file_syncs_nothing(postgresql, tmp_path):
    (tmp_path / "nyse.txt").write_text("IBM.US\n")
    (tmp_path / "lse.txt").write_text("BP.LSE\nBAD LINE\n")
    with pytest.raises(UniverseFileError, match="lse.txt:2"):
        sync_universe(postgresql, tmp_path, dt.date(2026, 11, 25))
    assert postgresql.execute("select count(*) from market.assets").fetchone()[0] == 0


def _active(conn, universe: str) -> int:
    return conn.execute("select count(*) from market.assets where universe = %s and is_active", (universe,)).fetchone()[0]


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

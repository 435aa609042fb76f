"""Four fetcher processes on one run: every item is fetched exactly once (the server's counts)."""

from __future__ import annotations

from eodhd_fake import FakeEodhd
from tests.fetch_support import TODAY, assert_ledger_matches_server, items, plan, prepare_db, spawn_run


def test_four_processes_fetch_every_item_exactly_once(db_url, tmp_path):
    codes = [f"P{n:02d}.US" for n in range(32)]
    prepare_db(db_url, tmp_path / "tickers", codes)
    execution_id, summary = plan(db_url, TODAY)
    assert summary["planned_items"] == len(codes)
    with FakeEodhd(today=TODAY, latency=0.03) as fake:
        procs = [spawn_run(db_url, fake.url, execution_id, *[], token="P-TOKEN-4f1c") for _ in range(4)]
        outputs = [p.communicate(timeout=240) for p in procs]
        for p, (_out, err) in zip(procs, outputs):
            assert p.returncode == 0, err[-2000:]
        by_code = fake.counts()["by_code"]
        for endpoint in ("fundamentals", "eod"):
            assert by_code[endpoint] == {c: {"200": 1} for c in codes}, endpoint
        assert all(i["status"] == "done" for i in items(db_url, execution_id))
        assert_ledger_matches_server(db_url, fake)

"""Corporate actions found by the daily runs themselves: a split seen through the overlapping
bar of a per-ticker prices call flags the asset, the next plan fetches its actions (2 calls),
and the flag is cleared. Real database functions, the real fetcher, the local EODHD server."""

from __future__ import annotations

import datetime as dt

import psycopg

from eodhd_fake import FakeEodhd
from tests.fetch_support import TODAY, asset_state, finish, items, make_runner, plan, prepare_db

SPLIT_DAY = TODAY + dt.timedelta(days=1)  # Wednesday 2026-11-25
NEXT_RUN = TODAY + dt.timedelta(days=3)  # Friday 2026-11-27 (Thursday is Thanksgiving)
CODE = "AAPL.US"


def run_day(db_url: str, fake: FakeEodhd, day: dt.date) -> tuple[int, dict]:
    fake.set_today(day)
    execution_id, summary = plan(db_url, day, f"actions-{day.isoformat()}")
    assert make_runner(db_url, fake.url, execution_id).run() == 0
    finish(db_url, execution_id, day)
    return execution_id, summary


def test_a_split_seen_by_the_daily_prices_call_plans_its_corporate_actions(db_url, tmp_path):
    prepare_db(db_url, tmp_path / "tickers", [CODE])
    with FakeEodhd(today=TODAY, tickers_dir=tmp_path / "tickers") as fake:
        fake.add_split(CODE, SPLIT_DAY, "4/1")
        first, _ = run_day(db_url, fake, TODAY)
        assert [i["kind"] for i in items(db_url, first)] == ["initial_load"]
        assert asset_state(db_url, CODE)["corporate_actions_due"] is False

        second, summary = run_day(db_url, fake, SPLIT_DAY)
        assert summary["by_kind"] == {"prices": {"items": 1, "cost": 1}}, summary
        assert asset_state(db_url, CODE)["corporate_actions_due"] is True

        third, summary = run_day(db_url, fake, NEXT_RUN)
        assert summary["by_kind"] == {
            "prices": {"items": 1, "cost": 1},
            "corporate_actions": {"items": 1, "cost": 2},
        }, summary
        assert all(i["status"] == "done" for i in items(db_url, third))
        state = asset_state(db_url, CODE)
        assert state["corporate_actions_due"] is False
        with psycopg.connect(db_url, autocommit=True) as conn:
            actions = conn.execute(
                "select action_date, action_type, split_numerator, split_denominator from market.corporate_actions"
                " join market.assets using (asset_id) where ticker = %s and action_type = 'split'",
                (CODE,),
            ).fetchall()
            reason = conn.execute(
                "select reason from pipeline.work_items where execution_id = %s and kind = 'corporate_actions'",
                (third,),
            ).fetchone()[0]
        assert actions == [(SPLIT_DAY, "split", 4.0, 1.0)]
        assert reason == "corporate_action"

"""Model-based test: random sequences of plan / claim / success / failure / stale result /
reprocess / time passing drive the database and a small Python model of the per-ticker
state machine; after every step both must agree."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

TICKERS = ["MA.US", "MB.US"]
AS_OF = "2026-01-09 22:00+00"  # a Friday after publication; watermarks stay at Thursday
START = datetime(2026, 1, 9, 22, 0, tzinfo=UTC)
FAILURE_LIMIT = 2


@dataclass
class AssetModel:
    failures: int = 0
    skipped: bool = False
    next_attempt_at: datetime | None = None
    reprocess: bool = False
    status: str = "active"
    open_item: tuple[int, uuid.UUID, int, bool] | None = None  # (work_item_id, token, execution_id, is_reprocess)


def setup_database(conn: psycopg.Connection) -> None:
    conn.execute("""
        insert into market.trading_sessions (exchange_code, session_date, open_at, close_at)
        select 'US', d::date, (d::date + time '09:30') at time zone 'America/New_York',
               (d::date + time '16:00') at time zone 'America/New_York'
        from generate_series('2026-01-01'::date, '2026-01-31', '1 day') d where extract(isodow from d) < 6""")
    conn.execute("select pipeline.sync_universe('nyse', %s, '2026-01-02')", (TICKERS,))
    conn.execute("update pipeline.settings set failure_limit = %s", (FAILURE_LIMIT,))


def reset_state(conn: psycopg.Connection) -> None:
    conn.execute("delete from pipeline.asset_processing_details")
    conn.execute("delete from pipeline.work_items")
    conn.execute("delete from pipeline.process_executions")
    conn.execute("""update pipeline.asset_processing_state set status = 'active', prices_first_date = '2026-01-02',
                    prices_last_date = '2026-01-08', fundamentals_fetched_at = '2026-01-08 23:00+00',
                    last_success_at = '2026-01-08 23:00+00', consecutive_failures = 0, next_attempt_at = null,
                    is_skipped = false, skip_reason = null, reprocess_prices = false, reprocess_prices_from = null,
                    history_owed_from = null""")


def make_machine(conn: psycopg.Connection):
    class StateMachineModel(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            reset_state(conn)
            self.now = START
            self.runs = 0
            self.assets = {t: AssetModel() for t in TICKERS}

        def _finish(self, execution_id: int) -> None:
            conn.execute("select pipeline.finish_execution(%s, %s)", (execution_id, self.now))

        @rule(ticker=st.sampled_from(TICKERS))
        def plan_and_claim(self, ticker):
            model = self.assets[ticker]
            self.runs += 1
            eid = conn.execute(
                "select pipeline.start_execution('model', %s, %s, %s)",
                (f"run{self.runs}", AS_OF, psycopg.types.json.Jsonb({"tickers": [ticker], "components": ["prices"]})),
            ).fetchone()[0]
            planned = conn.execute("select pipeline.discover_delta(%s, %s)", (eid, self.now)).fetchone()[0]
            expect = (
                not model.skipped
                and model.open_item is None
                and (model.next_attempt_at is None or model.next_attempt_at <= self.now)
            )
            assert planned["planned_items"] == (1 if expect else 0)
            if not expect:
                self._finish(eid)
                return
            kind = "backfill" if model.reprocess else "prices"
            assert planned["by_kind"] == {kind: {"items": 1, "cost": 1}}
            row = conn.execute(
                "select work_item_id, lease_token, kind from pipeline.claim_work(%s, 'w', 1, '5 minutes', %s)",
                (eid, self.now),
            ).fetchone()
            assert row[2] == kind
            model.open_item = (row[0], row[1], eid, model.reprocess)

        @precondition(lambda self: any(a.open_item for a in self.assets.values()))
        @rule(data=st.data())
        def succeed(self, data):
            ticker = data.draw(st.sampled_from([t for t, a in self.assets.items() if a.open_item]))
            model = self.assets[ticker]
            item, token, eid, serves_reprocess = model.open_item
            assert conn.execute("select pipeline.record_success(%s, %s, '{}', %s)", (item, token, self.now)).fetchone()[
                0
            ]
            model.failures, model.skipped, model.next_attempt_at = 0, False, None
            model.status, model.open_item = "active", None
            if serves_reprocess:  # only the reprocess item clears the request (one made meanwhile stays)
                model.reprocess = False
            self._finish(eid)

        @precondition(lambda self: any(a.open_item for a in self.assets.values()))
        @rule(data=st.data(), error_class=st.sampled_from(["transient", "permanent", "data"]))
        def fail(self, data, error_class):
            ticker = data.draw(st.sampled_from([t for t, a in self.assets.items() if a.open_item]))
            model = self.assets[ticker]
            item, token, eid, _ = model.open_item
            assert conn.execute(
                "select pipeline.record_failure(%s, %s, %s, 'x', null, %s)", (item, token, error_class, self.now)
            ).fetchone()[0]
            model.open_item = None
            if error_class != "transient":
                model.failures += 1
                if model.failures >= FAILURE_LIMIT:
                    model.skipped, model.status, model.next_attempt_at = True, "skipped", None
                else:
                    backoff = conn.execute(
                        "select pipeline.compute_backoff(%s, %s, backoff_base, backoff_cap) from pipeline.settings",
                        (ticker, model.failures),
                    ).fetchone()[0]
                    model.status, model.next_attempt_at = "failing", self.now + backoff
            self._finish(eid)

        @precondition(lambda self: any(a.open_item for a in self.assets.values()))
        @rule(data=st.data())
        def stale_result_is_rejected(self, data):
            ticker = data.draw(st.sampled_from([t for t, a in self.assets.items() if a.open_item]))
            item = self.assets[ticker].open_item[0]
            assert not conn.execute(
                "select pipeline.record_success(%s, %s, '{}', %s)", (item, uuid.uuid4(), self.now)
            ).fetchone()[0]
            assert not conn.execute(
                "select pipeline.record_failure(%s, %s, 'permanent', 'x', 404, %s)", (item, uuid.uuid4(), self.now)
            ).fetchone()[0]

        @rule(ticker=st.sampled_from(TICKERS))
        def request_reprocess(self, ticker):
            model = self.assets[ticker]
            conn.execute("select pipeline.request_reprocess(%s, 'prices', null, %s)", (ticker, self.now))
            model.failures, model.skipped, model.next_attempt_at = 0, False, None
            model.reprocess, model.status = True, "active"

        @rule(minutes=st.integers(min_value=1, max_value=60 * 24 * 3))
        def time_passes(self, minutes):
            self.now += timedelta(minutes=minutes)

        @precondition(lambda self: any(a.next_attempt_at for a in self.assets.values()))
        @rule(data=st.data(), early=st.booleans())
        def time_reaches_a_backoff(self, data, early):
            # right at (or one second before) the end of an asset's backoff
            ticker = data.draw(st.sampled_from([t for t, a in self.assets.items() if a.next_attempt_at]))
            target = self.assets[ticker].next_attempt_at - (timedelta(seconds=1) if early else timedelta(0))
            self.now = max(self.now, target)

        @invariant()
        def database_matches_model(self):
            rows = conn.execute("""
                select a.ticker, s.consecutive_failures, s.is_skipped, s.next_attempt_at, s.reprocess_prices, s.status
                from market.assets a join pipeline.asset_processing_state s using (asset_id)""").fetchall()
            for ticker, failures, skipped, next_at, reprocess, status in rows:
                m = self.assets[ticker]
                assert (failures, skipped, next_at, reprocess, status) == (
                    m.failures,
                    m.skipped,
                    m.next_attempt_at,
                    m.reprocess,
                    m.status,
                ), ticker
            open_items = conn.execute(
                "select count(*) from pipeline.work_items where status in ('pending', 'claimed')"
            ).fetchone()[0]
            assert open_items == sum(1 for m in self.assets.values() if m.open_item)

    return StateMachineModel


def test_database_follows_the_state_machine_model(postgresql):
    postgresql.autocommit = True
    setup_database(postgresql)
    machine = make_machine(postgresql)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=40, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
        ),
    )

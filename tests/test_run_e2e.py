"""The fetcher's run loop end to end: the real database functions (claim_work, land_response,
ingest_*, record_*), the local EODHD server, and the ledger checked against the server's own
count in every test."""

from __future__ import annotations

import datetime as dt
import threading
import time

import psycopg
import pytest

from eodhd_fake import TEXT_402, FakeEodhd
from tests.fetch_support import (
    TODAY,
    assert_ledger_matches_server,
    asset_state,
    finish,
    items,
    make_runner,
    plan,
    prepare_db,
)

NEXT_DAY = TODAY + dt.timedelta(days=1)  # Wednesday 2026-11-25


@pytest.fixture
def fake():
    with FakeEodhd(today=TODAY) as server:
        yield server


def test_new_ticker_loads_with_exactly_11_calls(db_url, tmp_path, fake):
    prepare_db(db_url, tmp_path / "tickers", ["AAPL.US"])
    execution_id, summary = plan(db_url, TODAY)
    assert summary["planned_cost"] == 11
    runner = make_runner(db_url, fake.url, execution_id)
    assert runner.run() == 0
    assert [i["status"] for i in items(db_url, execution_id)] == ["done"]
    mine = assert_ledger_matches_server(db_url, fake)
    assert mine == {"fundamentals": {"requests": 1, "cost": 10}, "eod": {"requests": 1, "cost": 1}}
    state = asset_state(db_url, "AAPL.US")
    assert state["prices_last_date"] == TODAY and state["bars"] > 0 and state["fundamentals_fetched_at"] is not None
    assert runner.summary["calls"] == 11 and runner.summary["done"] == 1


def test_a_change_of_an_endpoint_cost_is_one_row(db_url, tmp_path, fake):
    """pipeline.endpoints is the one price list: the planner, the claimed requests and the
    ledger all follow one updated row (fundamentals 10 -> 7)."""
    prepare_db(db_url, tmp_path / "tickers", ["AAPL.US"])
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("update pipeline.endpoints set cost = 7 where endpoint = 'fundamentals'")
    try:
        execution_id, summary = plan(db_url, TODAY)
        assert summary["planned_cost"] == 8, "the initial load is planned at 1 + 7"
        runner = make_runner(db_url, fake.url, execution_id)
        assert runner.run() == 0
        assert [i["status"] for i in items(db_url, execution_id)] == ["done"]
        with psycopg.connect(db_url, autocommit=True) as conn:
            ledger = dict(
                conn.execute(
                    "select endpoint, sum(cost)::integer from pipeline.api_calls where execution_id = %s group by 1",
                    (execution_id,),
                ).fetchall()
            )
        assert ledger == {"eod": 1, "fundamentals": 7}, "the ledger charges the row's price"
        assert runner.summary["calls"] == 8
    finally:
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("update pipeline.endpoints set cost = 10 where endpoint = 'fundamentals'")


def test_daily_update_of_a_whole_exchange_uses_the_bulk_endpoint(db_url, tmp_path):
    codes = [f"T{n:03d}.US" for n in range(105)]  # more than 100 stale: one bulk call is cheaper
    prepare_db(db_url, tmp_path / "tickers", codes)
    with FakeEodhd(today=TODAY, tickers_dir=tmp_path / "tickers") as fake:
        _daily_update_uses_bulk(db_url, fake, codes)


def _daily_update_uses_bulk(db_url, fake, codes):
    day1, _ = plan(db_url, TODAY, "day1")
    assert make_runner(db_url, fake.url, day1, threads=4, batch=16).run() == 0
    finish(db_url, day1, TODAY)
    assert all(i["status"] == "done" for i in items(db_url, day1))

    fake.set_today(NEXT_DAY)
    before = fake.counts()["by_endpoint"]
    day2, summary = plan(db_url, NEXT_DAY, "day2")
    assert summary["planned_cost"] == 100, summary
    assert make_runner(db_url, fake.url, day2).run() == 0
    after = fake.counts()["by_endpoint"]
    assert after["bulk"]["requests"] == 1 and after["eod"]["requests"] == before["eod"]["requests"]
    assert [(i["kind"], i["status"]) for i in items(db_url, day2)] == [("bulk_prices", "done")]
    assert {asset_state(db_url, c)["prices_last_date"] for c in codes[:5]} == {NEXT_DAY}
    assert_ledger_matches_server(db_url, fake)


def test_quota_402_mid_run_stops_cleanly_and_tomorrow_picks_up(db_url, tmp_path):
    codes = [f"Q{n:02d}.US" for n in range(10)]
    with FakeEodhd(today=TODAY, daily_limit=60) as fake:
        prepare_db(db_url, tmp_path / "tickers", codes)
        execution_id, summary = plan(db_url, TODAY)
        assert summary["planned_cost"] == 110
        runner = make_runner(db_url, fake.url, execution_id, threads=2, batch=2)
        assert runner.run() == 0, "a quota stop is a clean end"
        assert runner.summary["stop"].startswith("quota")
        assert runner.summary["failed"] == 0 and runner.summary["returned"] >= 1, (
            runner.summary,
            items(db_url, execution_id),
        )
        assert fake.requests(status=402) <= 2, "every thread stopped at the first 402 it saw"
        with psycopg.connect(db_url, autocommit=True) as conn:
            stopped, reason = conn.execute(
                "select claiming_stopped_at, stop_reason from pipeline.process_executions where execution_id = %s",
                (execution_id,),
            ).fetchone()
        assert stopped is not None and reason.startswith("quota")
        work = items(db_url, execution_id)
        done = {i["ticker"] for i in work if i["status"] == "done"}
        assert 1 <= len(done) <= 5
        assert not [i for i in work if i["status"] == "failed"], f"no ticker is blamed for the quota: {work}"
        assert_ledger_matches_server(db_url, fake)
        result = finish(db_url, execution_id, TODAY)
        with psycopg.connect(db_url, autocommit=True) as conn:
            status = conn.execute(
                "select status from pipeline.process_executions where execution_id = %s", (execution_id,)
            ).fetchone()[0]
        assert status == "partial", result
        untouched = [c for c in codes if c not in done]
        for code in untouched:
            state = asset_state(db_url, code)
            assert state["consecutive_failures"] == 0 and state["status"] == "new" and not state["is_skipped"]

        fake.set_today(NEXT_DAY)  # a new quota day, and a plan that fits it
        fake.daily_limit = 1000
        tomorrow, summary = plan(db_url, NEXT_DAY, "tomorrow")
        planned = {i["ticker"] for i in items(db_url, tomorrow) if i["kind"] == "initial_load"}
        assert set(untouched) <= planned
        assert make_runner(db_url, fake.url, tomorrow).run() == 0
        assert all(i["status"] == "done" for i in items(db_url, tomorrow))
        assert_ledger_matches_server(db_url, fake)


@pytest.mark.parametrize("answer_402", [r"fundamentals/Q01\.US", r"eod/Q00\.US"])
def test_a_402_while_the_other_thread_is_mid_item_blames_no_ticker(db_url, tmp_path, answer_402):
    """Two threads, 50 ms per answer: the 402 falls on one thread while the other one is
    between (or in) the requests of its item; that item is finished or handed back as quota."""
    codes = [f"Q{n:02d}.US" for n in range(6)]
    with FakeEodhd(today=TODAY, latency=0.05) as fake:
        prepare_db(db_url, tmp_path / "tickers", codes)
        execution_id, _ = plan(db_url, TODAY)
        fake.inject(rf"^/api/{answer_402}$", 402, TEXT_402, count=10)
        runner = make_runner(db_url, fake.url, execution_id, threads=2, batch=1)
        assert runner.run() == 0 and runner.summary["stop"].startswith("quota")
        work = items(db_url, execution_id)
        assert runner.summary["failed"] == 0 and not [i for i in work if i["status"] == "failed"], work
        assert {i["error_class"] for i in work if i["status"] == "pending"} <= {"quota", None}, work
        assert runner.summary["done"] == len([i for i in work if i["status"] == "done"])
        assert all(asset_state(db_url, c)["consecutive_failures"] == 0 for c in codes)
        assert_ledger_matches_server(db_url, fake)


def test_a_request_out_when_the_quota_stop_falls_is_handed_back_not_blamed(db_url, tmp_path, fake):
    """The interleaving forced: a 503 answer (retries exhausted) to a request that was on the
    wire when another thread saw the 402, on the item's third claim: it is handed back as
    quota, not escalated to a permanent failure of the ticker."""
    prepare_db(db_url, tmp_path / "tickers", ["AAPL.US"])
    execution_id, _ = plan(db_url, TODAY)
    runner = make_runner(db_url, fake.url, execution_id, max_attempts=1)
    for _ in range(2):  # two earlier runs stopped (deadline) with the item claimed
        [item] = runner.claim(1)
        runner.release(item, "deadline 0:50:00 reached")
    [item] = runner.claim(1)
    assert item.attempt == 3
    fake.inject(r"^/api/fundamentals/AAPL\.US$", 503, "Service Unavailable")
    fundamentals = item.requests[1]
    answer = runner.client.get(
        fundamentals.endpoint, fundamentals.code, fundamentals.params, cost=fundamentals.cost
    )  # on the wire ...
    runner.client.request_stop("quota: the provider answered 402 (daily limit spent)")  # ... another thread's 402
    assert answer.error_class == "transient"
    assert runner.record(item, answer, False, 2, (0, 0)) == "returned"
    runner._close_all()
    [state] = items(db_url, execution_id)
    assert (state["status"], state["error_class"]) == ("pending", "quota")
    assert asset_state(db_url, "AAPL.US")["consecutive_failures"] == 0
    assert_ledger_matches_server(db_url, fake)


def test_429_storm_and_5xx_are_retried_to_success(db_url, tmp_path, fake):
    codes = ["AAPL.US", "MSFT.US", "KO.US"]
    prepare_db(db_url, tmp_path / "tickers", codes)
    fake.inject(r"^/api/eod/", 429, "Too Many Requests", count=4)
    fake.inject(r"^/api/fundamentals/", 503, "Service Unavailable", count=2)
    fake.inject(r"^/api/fundamentals/", 502, "<html><body><h1>502 Bad Gateway</h1></body></html>", count=1)
    execution_id, _ = plan(db_url, TODAY)
    runner = make_runner(db_url, fake.url, execution_id, threads=2)
    assert runner.run() == 0
    assert [i["status"] for i in items(db_url, execution_id)] == ["done"] * 3
    mine = assert_ledger_matches_server(db_url, fake)
    assert mine["eod"]["requests"] == 3 + 4 and mine["eod"]["cost"] == 3, "429s cost nothing"
    assert mine["fundamentals"]["requests"] == 3 + 3 and mine["fundamentals"]["cost"] == 60, "5xx are counted"
    with psycopg.connect(db_url, autocommit=True) as conn:
        statuses = dict(conn.execute("select http_status, count(*) from pipeline.api_calls group by 1").fetchall())
    assert statuses == {200: 6, 429: 4, 503: 2, 502: 1}


def test_404_is_a_permanent_failure_of_the_ticker(db_url, tmp_path, fake):
    prepare_db(db_url, tmp_path / "tickers", ["AAPL.US", "DELISTED.US"])
    execution_id, _ = plan(db_url, TODAY)
    runner = make_runner(db_url, fake.url, execution_id)
    assert runner.run() == 0
    by_ticker = {i["ticker"]: i for i in items(db_url, execution_id)}
    assert by_ticker["AAPL.US"]["status"] == "done"
    assert (by_ticker["DELISTED.US"]["status"], by_ticker["DELISTED.US"]["error_class"]) == ("failed", "permanent")
    assert fake.requests(code="DELISTED.US") == 1, "no retry, no price call after the 404"
    state = asset_state(db_url, "DELISTED.US")
    assert state["consecutive_failures"] == 1 and state["next_attempt_at"] is not None and state["bars"] == 0
    assert_ledger_matches_server(db_url, fake)


def test_html_truncated_or_wrong_shape_body_is_a_data_error_with_nothing_written(db_url, tmp_path, fake):
    codes = ["HTML.US", "TRUNC.US", "SHAPE.US", "GOOD.US"]
    prepare_db(db_url, tmp_path / "tickers", codes)
    fake.inject(
        r"^/api/eod/HTML\.US$",
        200,
        "<!DOCTYPE html><html><body>Something went wrong</body></html>",
        content_type="text/html",
    )
    fake.inject(r"^/api/eod/TRUNC\.US$", 200, '[{"date":"2026-11-20","open":10.5,"high":11,"low":10,"clo')
    fake.inject(r"^/api/eod/SHAPE\.US$", 200, '{"errors": "unexpected"}')
    execution_id, _ = plan(db_url, TODAY)
    assert make_runner(db_url, fake.url, execution_id).run() == 0
    by_ticker = {i["ticker"]: i for i in items(db_url, execution_id)}
    assert by_ticker["GOOD.US"]["status"] == "done"
    for code in ("HTML.US", "TRUNC.US", "SHAPE.US"):
        assert (by_ticker[code]["status"], by_ticker[code]["error_class"]) == ("failed", "data"), by_ticker[code]
        state = asset_state(db_url, code)
        assert state["bars"] == 0 and state["prices_last_date"] is None and state["consecutive_failures"] == 1
    with psycopg.connect(db_url, autocommit=True) as conn:
        landed = conn.execute(
            "select ticker, body is null, ingest_error is not null from raw.eodhd_payloads"
            " where endpoint = 'eod' and ticker in ('HTML.US', 'TRUNC.US') order by ticker"
        ).fetchall()
    assert landed == [("HTML.US", True, True), ("TRUNC.US", True, True)]
    assert_ledger_matches_server(db_url, fake)


def test_a_lost_lease_keeps_the_ledger_and_drops_the_effects(db_url, tmp_path, fake):
    prepare_db(db_url, tmp_path / "tickers", ["AAPL.US"])
    execution_id, _ = plan(db_url, TODAY)
    runner_a = make_runner(db_url, fake.url, execution_id, worker="a", lease=dt.timedelta(seconds=1))
    [item] = runner_a.claim(1)
    with psycopg.connect(db_url, autocommit=True) as conn:
        # worker a stalls past its lease; b reclaims the item
        later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        [(_, token_b)] = conn.execute(
            "select work_item_id, lease_token from pipeline.claim_work(%s, 'b', 1, '5 minutes', %s)",
            (execution_id, later),
        ).fetchall()
    assert token_b != item.lease_token
    assert runner_a.process(item) == "lost"
    assert runner_a.counters.snapshot()["lost"] == 1
    assert_ledger_matches_server(db_url, fake)  # the call a made is in the ledger
    state = asset_state(db_url, "AAPL.US")
    assert state["bars"] == 0 and state["prices_last_date"] is None, "a's effects were rolled back"
    with psycopg.connect(db_url, autocommit=True) as conn:
        assert conn.execute("select count(*) from market.fundamentals").fetchone()[0] == 0
        status, claimed_by = conn.execute(
            "select status, claimed_by from pipeline.work_items where work_item_id = %s", (item.work_item_id,)
        ).fetchone()
    assert (status, claimed_by) == ("claimed", "b")
    runner_a._close_all()


def test_configuration_error_stops_the_run_without_blaming_tickers(db_url, tmp_path):
    with FakeEodhd(today=TODAY, tokens=["the-right-token"]) as fake:
        prepare_db(db_url, tmp_path / "tickers", ["AAPL.US", "MSFT.US", "KO.US", "IBM.US"])
        execution_id, _ = plan(db_url, TODAY)
        runner = make_runner(db_url, fake.url, execution_id, token="a-wrong-token", threads=1, batch=1)
        assert runner.run() == 2
        assert fake.requests() == 1 and fake.requests(status=401) == 1
        work = items(db_url, execution_id)
        assert not [i for i in work if i["status"] in ("failed", "done")]
        assert all(asset_state(db_url, i["ticker"])["consecutive_failures"] == 0 for i in work)
        assert_ledger_matches_server(db_url, fake)


def test_heartbeats_keep_leases_shorter_than_the_work(db_url, tmp_path):
    """Each item takes longer than its lease (two slow requests): the heartbeat at a third of
    the lease keeps it, so no item is reclaimed and fetched twice."""
    codes = ["AAPL.US", "MSFT.US", "KO.US"]
    prepare_db(db_url, tmp_path / "tickers", codes)
    execution_id, _ = plan(db_url, TODAY)
    with FakeEodhd(today=TODAY, latency=0.8) as fake:
        runner = make_runner(db_url, fake.url, execution_id, threads=2, batch=1, lease=dt.timedelta(seconds=1))
        assert runner.run() == 0
        by_code = fake.counts()["by_code"]
        for endpoint in ("fundamentals", "eod"):
            assert by_code[endpoint] == {c: {"200": 1} for c in codes}
        assert runner.summary["lost"] == 0 and runner.summary["done"] == 3
        assert_ledger_matches_server(db_url, fake)


def test_stopping_hands_claimed_items_back_without_blame(db_url, tmp_path, fake):
    """Items claimed but not fetched when the run stops (deadline, SIGTERM) go back to pending."""
    codes = [f"D{n:02d}.US" for n in range(6)]
    prepare_db(db_url, tmp_path / "tickers", codes)
    execution_id, _ = plan(db_url, TODAY)
    runner = make_runner(db_url, fake.url, execution_id)
    claimed = runner.claim(4)
    assert len(claimed) == 4
    runner.client.request_stop("deadline 0:50:00 reached")
    assert [runner.process(i) for i in claimed] == ["released"] * 4
    runner._close_all()
    work = items(db_url, execution_id)
    assert {i["status"] for i in work} == {"pending"}
    assert {i["error_class"] for i in work} == {"unfetched", None}, "handed back with the explicit class"
    assert all(asset_state(db_url, c)["consecutive_failures"] == 0 for c in codes)
    assert fake.requests() == 0 and assert_ledger_matches_server(db_url, fake) == {}
    # the next run (or this one's next worker) fetches them all
    assert make_runner(db_url, fake.url, execution_id).run() == 0
    assert {i["status"] for i in items(db_url, execution_id)} == {"done"}


def test_a_ticker_failing_transiently_on_every_claim_ends_as_a_counted_failure(db_url, tmp_path, fake):
    prepare_db(db_url, tmp_path / "tickers", ["AAPL.US", "SICK.US"])
    fake.inject(r"^/api/fundamentals/SICK\.US$", 503, "Service Unavailable", count=1000)
    execution_id, _ = plan(db_url, TODAY)
    runner = make_runner(db_url, fake.url, execution_id, max_attempts=3)
    assert runner.run() == 0
    by_ticker = {i["ticker"]: i for i in items(db_url, execution_id)}
    assert by_ticker["AAPL.US"]["status"] == "done"
    assert (by_ticker["SICK.US"]["status"], by_ticker["SICK.US"]["error_class"]) == ("failed", "permanent")
    assert "still failing after 3 claims" in by_ticker["SICK.US"]["last_error"]
    assert fake.requests(code="SICK.US", status=503) == 3 * 3, "three claims of three attempts, then counted"
    assert asset_state(db_url, "SICK.US")["consecutive_failures"] == 1
    assert_ledger_matches_server(db_url, fake)


def test_a_broken_deployment_stops_the_run_keeps_the_ledger_and_blames_no_ticker(db_url, tmp_path, fake):
    prepare_db(db_url, tmp_path / "tickers", ["AAPL.US", "MSFT.US", "KO.US"])
    execution_id, _ = plan(db_url, TODAY)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("drop function market.ingest_eod(bigint, bigint, date)")  # a half-applied migration
    runner = make_runner(db_url, fake.url, execution_id, threads=1, batch=1)
    assert runner.run() == 2, "configuration: the database rejected the ingest call"
    assert runner.summary["failed"] == 0 and runner.summary["done"] == 0
    assert fake.requests() == 1, "the run stopped after the first response"
    assert_ledger_matches_server(db_url, fake)  # the call is in the ledger although its ingest failed
    work = items(db_url, execution_id)
    assert {i["status"] for i in work} == {"pending"}
    classes = sorted(i["error_class"] for i in work if i["error_class"])
    assert classes[0] == "configuration" and set(classes[1:]) <= {"unfetched"}, "claimed, unfetched: handed back"
    assert all(asset_state(db_url, i["ticker"])["consecutive_failures"] == 0 for i in work)


def _terminate_fetcher_connections(db_url: str) -> int:
    """pg_terminate_backend on every connection of the fetcher to this database."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute(
            "select count(*) filter (where pg_terminate_backend(pid)) from pg_stat_activity"
            " where datname = current_database() and application_name = 'screener-fetcher'"
            " and pid <> pg_backend_pid()"
        ).fetchone()[0]


def test_a_dropped_database_connection_is_reopened_and_the_response_landed(db_url, tmp_path, fake):
    """The thread's connection is killed between the claim and the responses (and again
    before a retried attempt is landed): the worker reconnects, lands every response once
    and settles its items; the run's ledger still equals the server's count."""
    prepare_db(db_url, tmp_path / "tickers", ["AAPL.US", "MSFT.US"])
    execution_id, _ = plan(db_url, TODAY)
    runner = make_runner(db_url, fake.url, execution_id)
    first, second = runner.claim(2)
    assert _terminate_fetcher_connections(db_url) == 1
    assert runner.process(first) == "done"
    fake.inject(r"^/api/fundamentals/MSFT\.US$", 503, "Service Unavailable")
    assert _terminate_fetcher_connections(db_url) == 1
    assert runner.process(second) == "done"
    runner._close_all()
    assert [i["status"] for i in items(db_url, execution_id)] == ["done", "done"]
    mine = assert_ledger_matches_server(db_url, fake)
    assert mine["fundamentals"] == {"requests": 3, "cost": 30}, "the 503 is landed once, on the new connection"
    assert runner.counters.snapshot()["requests"] == 5


def test_a_run_survives_its_connections_being_killed(db_url, tmp_path):
    """Connections killed while the run works: it reconnects and continues; every item ends
    done (an item whose result was lost with a connection returns after its lease)."""
    codes = [f"K{n:02d}.US" for n in range(6)]
    prepare_db(db_url, tmp_path / "tickers", codes)
    execution_id, _ = plan(db_url, TODAY)
    with FakeEodhd(today=TODAY, latency=0.1) as fake:
        runner = make_runner(db_url, fake.url, execution_id, threads=2, batch=2, lease=dt.timedelta(seconds=2))
        killed: list[int] = []

        def killer():
            for _ in range(3):
                time.sleep(0.35)
                killed.append(_terminate_fetcher_connections(db_url))

        thread = threading.Thread(target=killer)
        thread.start()
        assert runner.run() == 0, runner.summary
        thread.join()
        assert sum(killed) >= 1
        assert {i["status"] for i in items(db_url, execution_id)} == {"done"}
        by_code = fake.counts()["by_code"]
        assert set(by_code["eod"]) == set(codes)


def test_items_claimed_with_a_lost_answer_are_claimed_again_after_their_lease(db_url, tmp_path, fake):
    """claim_work committed but its answer was lost with the connection: the items are
    claimed by this worker and nobody works on them. The run does not end before their
    leases expire; it claims and fetches them (once each)."""
    codes = ["AAPL.US", "MSFT.US", "KO.US"]
    prepare_db(db_url, tmp_path / "tickers", codes)
    execution_id, _ = plan(db_url, TODAY)
    runner = make_runner(db_url, fake.url, execution_id, lease=dt.timedelta(seconds=1))
    with psycopg.connect(db_url, autocommit=True) as conn:
        orphans = conn.execute(
            "select work_item_id from pipeline.claim_work(%s, 'test-worker', 2, '1 second')", (execution_id,)
        ).fetchall()
    assert len(orphans) == 2
    runner._had_connection_loss = True  # what _reset_broken_connection records
    assert runner.run() == 0
    assert {i["status"] for i in items(db_url, execution_id)} == {"done"}
    assert fake.counts()["by_code"]["eod"] == {c: {"200": 1} for c in codes}
    assert_ledger_matches_server(db_url, fake)


def test_claims_handed_back_unfetched_do_not_count_towards_blaming_the_ticker(db_url, tmp_path, fake):
    """Two stopped runs handed the item back unfetched; its third claim is its first failure:
    it goes back to pending (transient), the ticker is not blamed."""
    prepare_db(db_url, tmp_path / "tickers", ["AAPL.US"])
    execution_id, _ = plan(db_url, TODAY)
    runner = make_runner(db_url, fake.url, execution_id, max_attempts=1)
    for _ in range(2):
        [item] = runner.claim(1)
        runner.release(item, "terminated (SIGTERM)")
    fake.inject(r"^/api/fundamentals/AAPL\.US$", 503, "Service Unavailable")
    [item] = runner.claim(1)
    assert item.attempt == 3
    assert runner.process(item) == "returned"
    runner._close_all()
    [state] = items(db_url, execution_id)
    assert (state["status"], state["error_class"]) == ("pending", "transient")
    assert asset_state(db_url, "AAPL.US")["consecutive_failures"] == 0
    assert_ledger_matches_server(db_url, fake)

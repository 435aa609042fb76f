"""Retention as maintenance_daily runs it (pipeline.prune_logs_in_batches: pipeline.prune_logs_batch,
committed batch by batch):
only what is past its period goes, business tables and cited payloads stay; claims running
during a retention run never wait a second; retention itself gives up a lock wait after 1 s."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

OLD_ROWS = 40_000


def _setup(conn: psycopg.Connection) -> int:
    """2,000 assets with a running execution of pending items; an old finished execution."""
    conn.execute(
        "insert into market.assets (ticker, symbol, exchange_code, listing_venue)"
        " select 'R' || g || '.US', 'R' || g, 'US', 'US' from generate_series(1, 2000) as g"
    )
    conn.execute("insert into pipeline.asset_processing_state (asset_id) select asset_id from market.assets")
    execution_id = conn.execute("select pipeline.start_execution('test_collection', 'now', now())").fetchone()[0]
    conn.execute(
        "insert into pipeline.work_items (execution_id, kind, reason, asset_id, exchange_code, from_date, to_date,"
        " planned_cost, priority, claim_order)"
        " select %s, 'prices', 'fresh', asset_id, 'US', '2026-01-01', '2026-01-02', 1, 1,"
        " row_number() over (order by asset_id) from market.assets",
        (execution_id,),
    )
    conn.execute(
        "insert into pipeline.process_executions (process_name, run_id, as_of, status, finished_at)"
        " values ('test_collection', 'old', '2025-01-01', 'success', '2025-01-01 01:00+00')"
    )
    return execution_id


def _old_logs(conn: psycopg.Connection, n: int, at: str) -> None:
    """n API calls, payloads citing them, detail rows and settled work items, all at `at`."""
    old = conn.execute("select execution_id from pipeline.process_executions where run_id = 'old'").fetchone()[0]
    conn.execute(
        "insert into pipeline.api_calls (execution_id, endpoint, cost, called_at)"
        " select %s, 'eod', 1, %s::timestamptz + g * interval '1 second' from generate_series(1, %s) as g",
        (old, at, n),
    )
    conn.execute(
        "insert into raw.eodhd_payloads (execution_id, endpoint, http_status, received_at, api_call_id, body)"
        " select c.execution_id, 'eod', 200, c.called_at, c.api_call_id,"
        " jsonb_build_array(jsonb_build_object('date', '2025-01-02', 'close', 1.5))"
        " from pipeline.api_calls as c where c.called_at >= %s::timestamptz and c.execution_id = %s"
        " and not exists (select 1 from raw.eodhd_payloads r where r.api_call_id = c.api_call_id)",
        (at, old),
    )
    conn.execute(
        "insert into pipeline.asset_processing_details (execution_id, asset_id, component, outcome, recorded_at)"
        " select %s, (select min(asset_id) from market.assets), 'prices', 'success',"
        " %s::timestamptz + g * interval '1 second' from generate_series(1, %s) as g",
        (old, at, n),
    )
    conn.execute(
        "insert into pipeline.work_items (execution_id, kind, reason, asset_id, exchange_code, planned_cost,"
        " priority, claim_order, status, finished_at)"
        " select %s, 'prices', 'fresh', (select min(asset_id) from market.assets), 'US', 1, 1,"
        " g + (select coalesce(max(claim_order), 0) from pipeline.work_items where execution_id = %s), 'done',"
        " %s::timestamptz from generate_series(1, %s) as g",
        (old, old, at, n // 10),
    )


def _prune_until_done(url: str) -> tuple[dict, int]:
    """What maintenance_daily runs: the procedure, in autocommit (it commits after each batch)."""
    with psycopg.connect(url, autocommit=True) as conn:
        deleted, batches = conn.execute("call pipeline.prune_logs_in_batches()").fetchone()
    return deleted, batches


def _digest(conn: psycopg.Connection, table: str) -> str:
    return conn.execute(
        f"select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from {table} as x"
    ).fetchone()[0]


def test_retention_removes_only_what_is_past_its_period(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        _setup(conn)
        conn.execute(
            "update pipeline.settings set log_retention = '180 days', raw_retention = '30 days',"
            " retention_batch_size = 700"
        )
        _old_logs(conn, 2_000, "2020-01-01")  # past both periods
        # 60 days old: payloads past raw_retention, logs within log_retention
        mid = conn.execute("select (now() - interval '60 days')::text").fetchone()[0]
        _old_logs(conn, 300, mid)
        # one old payload still cited by a corporate action stays, and so does its API call
        cited = conn.execute(
            "select payload_id, api_call_id from raw.eodhd_payloads order by payload_id limit 1"
        ).fetchone()
        conn.execute(
            "insert into market.corporate_actions (asset_id, action_date, action_type, dividend_value,"
            " payload_id) select min(asset_id), '2020-01-02', 'dividend', 0.5, %s from market.assets",
            (cited[0],),
        )
        business = {
            t: _digest(conn, t)
            for t in ("market.assets", "market.corporate_actions", "pipeline.asset_processing_state")
        }

    totals, batches = _prune_until_done(db_url)

    with psycopg.connect(db_url, autocommit=True) as conn:
        assert totals == {
            "raw_payloads": 2_000 - 1 + 300,
            "api_calls": 2_000 - 1,
            "asset_processing_details": 2_000,
            "work_items": 200,
        }
        assert batches == 4  # 2,000 rows in batches of 700, then nothing left
        assert conn.execute("select count(*) from raw.eodhd_payloads").fetchone()[0] == 1
        assert (
            conn.execute(
                "select count(*) from pipeline.api_calls where called_at > now() - interval '90 days'"
            ).fetchone()[0]
            == 300
        )
        assert conn.execute("select count(*) from pipeline.asset_processing_details").fetchone()[0] == 300
        assert (
            conn.execute("select api_call_id from pipeline.api_calls where api_call_id = %s", (cited[1],)).fetchone()
            is not None
        )
        assert conn.execute("select count(*) from pipeline.work_items where status = 'pending'").fetchone()[0] == 2_000
        assert {t: _digest(conn, t) for t in business} == business


def test_a_claim_during_retention_waits_less_than_a_second(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        execution_id = _setup(conn)
        _old_logs(conn, OLD_ROWS, "2020-01-01")
        conn.execute("vacuum analyze")

    result: dict = {}

    def retention() -> None:
        started = time.monotonic()
        result["totals"], result["batches"] = _prune_until_done(db_url)
        result["seconds"] = time.monotonic() - started

    worker = threading.Thread(target=retention)
    waits = []
    with psycopg.connect(db_url, autocommit=True) as conn:
        worker.start()
        while worker.is_alive():
            t0 = time.monotonic()
            conn.execute("select * from pipeline.claim_work(%s, 'w1', 5, '1 minute')", (execution_id,)).fetchall()
            waits.append(time.monotonic() - t0)
            time.sleep(0.01)
        worker.join()
    print(f"retention: {result}; claims during it: {len(waits)}, slowest {max(waits):.3f} s")
    assert result["totals"]["asset_processing_details"] == OLD_ROWS
    assert result["batches"] >= OLD_ROWS // 5_000
    assert len(waits) >= 10
    assert max(waits) < 1.0


def test_retention_gives_up_a_lock_wait_after_a_second(db_url):
    with psycopg.connect(db_url, autocommit=True) as conn:
        _setup(conn)
        _old_logs(conn, 100, "2020-01-01")
    with psycopg.connect(db_url) as holder:
        holder.execute("lock table pipeline.asset_processing_details in share mode")
        t0 = time.monotonic()
        with psycopg.connect(db_url, autocommit=True) as conn, pytest.raises(psycopg.errors.LockNotAvailable):
            conn.execute("select pipeline.prune_logs_batch()")
        waited = time.monotonic() - t0
        holder.rollback()
    assert 0.9 < waited < 3.0

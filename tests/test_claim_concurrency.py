"""Claiming under real concurrency: many connections, crashed workers, stale workers.

Every test runs against its own freshly migrated database (fixtures in conftest.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import psycopg
import pytest

AS_OF = "2026-01-09 22:00+00"


def plan_initial_loads(url: str, n: int, run_id: str = "r1") -> int:
    """n new NYSE listings, an execution and its plan (n initial_load items); returns the execution id."""
    tickers = [f"C{i}.US" for i in range(n)]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select pipeline.sync_universe('nyse', %s, '2026-01-05')", (tickers,))
        execution_id = conn.execute(
            "select pipeline.start_execution('test_collection', %s, %s, '{}')", (run_id, AS_OF)
        ).fetchone()[0]
        summary = conn.execute("select pipeline.discover_delta(%s, %s)", (execution_id, AS_OF)).fetchone()[0]
    assert summary["planned_items"] == n
    return execution_id


def all_item_ids(url: str, execution_id: int) -> set[int]:
    with psycopg.connect(url) as conn:
        return {
            r[0]
            for r in conn.execute(
                "select work_item_id from pipeline.work_items where execution_id = %s", (execution_id,)
            )
        }


def test_sixteen_workers_behind_a_barrier_never_claim_the_same_item(db_url):
    execution_id = plan_initial_loads(db_url, 600)
    workers = 16
    barrier = threading.Barrier(workers)
    claimed: list[list[int]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            with psycopg.connect(db_url, autocommit=True) as conn:
                barrier.wait(timeout=60)
                while True:
                    rows = conn.execute(
                        "select work_item_id from pipeline.claim_work(%s, %s, 7, '10 minutes')",
                        (execution_id, f"w{k}"),
                    ).fetchall()
                    if not rows:
                        return
                    claimed[k].extend(r[0] for r in rows)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    every = [i for ids in claimed for i in ids]
    duplicates = [i for i, c in Counter(every).items() if c > 1]
    assert duplicates == []
    assert set(every) == all_item_ids(db_url, execution_id)
    assert sum(1 for ids in claimed if ids) > 1, "the claims were not spread over several workers"
    with psycopg.connect(db_url) as conn:
        assert (
            conn.execute(
                "select count(*) from pipeline.work_items where execution_id = %s and status = 'claimed' and attempt = 1",
                (execution_id,),
            ).fetchone()[0]
            == 600
        )


def test_run_once_ledger_every_item_takes_effect_exactly_once(db_url):
    """Workers record an effect and the result in one transaction; a short lease makes some
    workers lose their items to others, whose late results are then rejected and rolled back."""
    execution_id = plan_initial_loads(db_url, 300)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("create table public.ledger (work_item_id bigint primary key, effects integer not null)")
    workers = 8
    barrier = threading.Barrier(workers)
    rejected = Counter()
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            with psycopg.connect(db_url, autocommit=True) as conn:
                barrier.wait(timeout=60)
                while True:
                    rows = conn.execute(
                        "select work_item_id, lease_token from pipeline.claim_work(%s, %s, 5, '150 milliseconds')",
                        (execution_id, f"w{k}"),
                    ).fetchall()
                    if not rows:
                        # items of slow workers come back after their lease: stop only when all are done
                        left = conn.execute(
                            "select count(*) from pipeline.work_items where execution_id = %s and status <> 'done'",
                            (execution_id,),
                        ).fetchone()[0]
                        if left == 0:
                            return
                        time.sleep(0.05)
                        continue
                    for n, (item_id, token) in enumerate(rows):
                        if k % 4 == 0 and n == 0:
                            time.sleep(0.3)  # a slow worker: its lease expires meanwhile
                        with conn.transaction() as tx:
                            conn.execute(
                                "insert into public.ledger values (%s, 1) "
                                "on conflict (work_item_id) do update set effects = ledger.effects + 1",
                                (item_id,),
                            )
                            ok = conn.execute(
                                "select pipeline.record_success(%s, %s, '{\"rows_stored\": 1}')", (item_id, token)
                            ).fetchone()[0]
                            if not ok:
                                rejected[k] += 1
                                raise psycopg.Rollback(tx)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with psycopg.connect(db_url) as conn:
        effects = dict(conn.execute("select work_item_id, effects from public.ledger").fetchall())
        statuses = Counter(
            r[0]
            for r in conn.execute("select status from pipeline.work_items where execution_id = %s", (execution_id,))
        )
        details = conn.execute(
            "select count(*), count(distinct work_item_id) from pipeline.asset_processing_details "
            "where outcome = 'success'"
        ).fetchone()
    assert set(effects) == all_item_ids(db_url, execution_id)
    assert set(effects.values()) == {1}
    assert statuses == {"done": 300}
    assert details == (300, 300)
    print(f"late results rejected and rolled back: {sum(rejected.values())}")


WORKER_SCRIPT = r"""
import os, sys, time, psycopg
conn = psycopg.connect(os.environ["TEST_DB_URL"], autocommit=True)
row = conn.execute(
    "select work_item_id, lease_token from pipeline.claim_work(%s, 'doomed', 1, '1 second')",
    (int(sys.argv[1]),)).fetchone()
print(row[0], row[1], flush=True)
conn.execute("begin")
conn.execute("insert into public.ledger values (%s, 1)", (row[0],))  # effect in flight, never committed
time.sleep(3600)
"""


def test_worker_killed_mid_item_is_completed_once_by_another(db_url):
    execution_id = plan_initial_loads(db_url, 3)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("create table public.ledger (work_item_id bigint primary key, effects integer not null)")
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER_SCRIPT, str(execution_id)],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, TEST_DB_URL=db_url),
    )
    try:
        item_id, dead_token = proc.stdout.readline().split()
        item_id = int(item_id)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    with psycopg.connect(db_url, autocommit=True) as conn:
        # the killed worker's connection may linger: end it as a crashed pod's would end
        conn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity "
            "where datname = current_database() and pid <> pg_backend_pid() and state like 'idle in transaction%'"
        )
        got = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rows = conn.execute(
                "select work_item_id, lease_token, attempt from pipeline.claim_work(%s, 'rescuer', 10, '1 minute')",
                (execution_id,),
            ).fetchall()
            for wid, token, attempt in rows:
                with conn.transaction():
                    conn.execute(
                        "insert into public.ledger values (%s, 1) on conflict (work_item_id) "
                        "do update set effects = ledger.effects + 1",
                        (wid,),
                    )
                    assert conn.execute("select pipeline.record_success(%s, %s, '{}')", (wid, token)).fetchone()[0]
                if wid == item_id:
                    got = attempt
            if got is not None:
                break
            time.sleep(0.2)
        assert got == 2, "the killed worker's item was claimed again as its second attempt"
        assert (
            conn.execute("select pipeline.record_success(%s, %s, '{}')", (item_id, dead_token)).fetchone()[0] is False
        )
        assert conn.execute("select effects from public.ledger where work_item_id = %s", (item_id,)).fetchone()[0] == 1
        assert (
            conn.execute(
                "select count(*) from pipeline.asset_processing_details where work_item_id = %s", (item_id,)
            ).fetchone()[0]
            == 1
        )
        assert (
            conn.execute("select status from pipeline.work_items where work_item_id = %s", (item_id,)).fetchone()[0]
            == "done"
        )


def test_stale_worker_result_is_rejected(db_url):
    execution_id = plan_initial_loads(db_url, 1)
    with psycopg.connect(db_url, autocommit=True) as a, psycopg.connect(db_url, autocommit=True) as b:
        item_a, token_a = a.execute(
            "select work_item_id, lease_token from pipeline.claim_work(%s, 'A', 1, '1 minute', '2026-01-09 22:01+00')",
            (execution_id,),
        ).fetchone()
        item_b, token_b = b.execute(
            "select work_item_id, lease_token from pipeline.claim_work(%s, 'B', 1, '1 minute', '2026-01-09 22:03+00')",
            (execution_id,),
        ).fetchone()
        assert item_a == item_b and token_a != token_b
        assert (
            a.execute(
                "select pipeline.heartbeat(%s, %s, '1 minute', '2026-01-09 22:03:10+00')", (item_a, token_a)
            ).fetchone()[0]
            is False
        )
        assert (
            a.execute(
                "select pipeline.record_success(%s, %s, '{}', '2026-01-09 22:03:20+00')", (item_a, token_a)
            ).fetchone()[0]
            is False
        )
        assert (
            a.execute(
                "select pipeline.record_failure(%s, %s, 'permanent', 'late', 404, '2026-01-09 22:03:20+00')",
                (item_a, token_a),
            ).fetchone()[0]
            is False
        )
        assert (
            b.execute(
                "select pipeline.record_success(%s, %s, '{}', '2026-01-09 22:03:30+00')", (item_b, token_b)
            ).fetchone()[0]
            is True
        )
        row = a.execute(
            "select w.status, w.claimed_by, w.attempt, s.consecutive_failures from pipeline.work_items w "
            "join pipeline.asset_processing_state s using (asset_id) where w.work_item_id = %s",
            (item_a,),
        ).fetchone()
    assert row == ("done", "B", 2, 0)


@pytest.mark.parametrize("pending_share", [4])
def test_claim_plan_uses_the_partial_index(db_url, pending_share):
    execution_id = plan_initial_loads(db_url, 2000)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "update pipeline.work_items set status = 'done', finished_at = now() "
            "where execution_id = %s and work_item_id %% %s = 0",
            (execution_id, pending_share),
        )
        conn.execute("analyze pipeline.work_items")
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                "explain select w.work_item_id from pipeline.work_items as w "
                "where w.execution_id = %s and w.status = 'pending' "
                "order by w.claim_order limit 100 for update skip locked",
                (execution_id,),
            )
        )
    assert "work_items_claim_idx" in plan, plan

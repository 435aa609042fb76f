"""Benchmark pipeline.claim_work: 8 concurrent workers claim a 21,817-item plan in batches of 100.

Run by hand (never inside `make test`), after bench/bench_discover.py built `bench_issue3`
(or it builds it):
    export DATABASE_URL=$(scripts/db.sh url); scripts/db.sh start
    .venv/bin/python bench/bench_claim.py [--workers 8] [--batch 100] [--rounds 3]

Each round plans every asset 4 sessions behind (one prices item each), then the workers, each
its own process and connection, start together and claim until nothing is left. Prints items/s.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_discover  # noqa: E402

AS_OF = bench_discover.AS_OF


def worker(url: str, execution_id: int, batch: int, barrier, out) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select 1")
        barrier.wait()
        claimed = 0
        ids = []
        while True:
            rows = conn.execute(
                "select work_item_id from pipeline.claim_work(%s, %s, %s, '10 minutes')",
                (execution_id, f"bench-{os.getpid()}", batch),
            ).fetchall()
            if not rows:
                break
            claimed += len(rows)
            ids.extend(r[0] for r in rows)
        out.put((claimed, time.perf_counter(), ids))


def one_round(url: str, r: int, workers: int, batch: int) -> tuple[float, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "select pipeline.finish_execution(execution_id) from pipeline.process_executions where status = 'running'"
        )
        eid = conn.execute(
            "select pipeline.start_execution('bench_claim', %s, %s, '{}')", (f"claim-{r}-{time.time()}", AS_OF)
        ).fetchone()[0]
        planned = conn.execute("select pipeline.discover_delta(%s, %s)", (eid, AS_OF)).fetchone()[0]["planned_items"]
        conn.execute("vacuum analyze pipeline.work_items")
    barrier = mp.Barrier(workers + 1)
    out = mp.Queue()
    procs = [mp.Process(target=worker, args=(url, eid, batch, barrier, out)) for _ in range(workers)]
    for p in procs:
        p.start()
    barrier.wait()
    t0 = time.perf_counter()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    t1 = max(r[1] for r in results)
    total = sum(r[0] for r in results)
    ids = [i for r in results for i in r[2]]
    assert total == planned and len(set(ids)) == len(ids), (total, planned)
    return total / (t1 - t0), total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="reuse the bench_issue3 database")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        sys.exit("DATABASE_URL must be set (export DATABASE_URL=$(scripts/db.sh url))")
    url = bench_discover.url_for(bench_discover.BENCH_DB) if args.reuse else bench_discover.build_database()
    with psycopg.connect(url, autocommit=True) as conn:
        bench_discover.set_state(conn, "2026-03-05")
    rates = []
    for r in range(args.rounds):
        rate, total = one_round(url, r, args.workers, args.batch)
        rates.append(rate)
        print(
            f"  round {r + 1}: {total} items claimed by {args.workers} workers in batches of {args.batch}: "
            f"{rate:,.0f} items/s"
        )
    print(f"claim_work median {statistics.median(rates):,.0f} items/s (no item claimed twice)")


if __name__ == "__main__":
    main()

"""The fault tests that remained after #8 (issue 14, item 5): `python -m fetcher run`
subprocesses, the local EODHD server and real PostgreSQL.

- A connection terminated during COMMIT (pg_terminate_backend of the backend of the fetcher's
  pool-thread connection while it executes the COMMIT of one response's transaction:
  raw.land_response + ingest + record_success / heartbeat fence), at two points:
  before the commit record (an advisory-lock barrier in a deferred trigger, the shared test
  server): rolled back, landed again, ledger equal to the server's count; and after it (a
  private cluster whose synchronous standby never comes: the backend waits in SyncRep with its
  transaction committed): the fetcher cannot know, lands the response again, the ledger holds
  one call more than the server counted: the safe side, and exactly what the fault forced.
- A latency spike past the lease (server answers take 8 s, --lease 3s) with a second fetcher
  started once the leases would have run out: with heartbeats nothing is taken over or
  fetched twice; with the lease heartbeats unable to run, exactly the items the first fetcher
  held expire, are taken over and fetched again (its late answers are landed, their effects
  dropped): the only double fetches.
- Quota exhaustion at a random point (seeded: FAULTS_SEED=N replays it) of a run with 8
  fetcher processes: every process ends cleanly, nothing is fetched twice, no ticker is blamed
  or lost, the ledger equals the server's count, the run ends partial with the quota reason,
  and the next run completes the work.
"""

from __future__ import annotations

import os
import random
import time

import psycopg
import pytest

from eodhd_fake import TEXT_402, FakeEodhd
from tests.fault_support import (
    BARRIER_KEY,
    commit_fault_shots,
    finish_process,
    ghost_standby_cluster,
    install_commit_fault,
    scalar,
    served_twice,
    spawn_fetcher,
    wait_for_backend_in_commit,
    wait_until,
)
from tests.fetch_support import TODAY, assert_ledger_matches_server, finish, items, ledger, plan, prepare_db

COST = {"eod": 1, "fundamentals": 10}


def blamed(db_url: str) -> list[tuple]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute(
            "select a.ticker, s.consecutive_failures, s.is_skipped from pipeline.asset_processing_state s"
            " join market.assets a using (asset_id) where s.consecutive_failures > 0 or s.is_skipped"
        ).fetchall()


def loaded(db_url: str) -> set[str]:
    """Tickers with their history paid, prices up to TODAY and fundamentals stored."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        return {
            r[0]
            for r in conn.execute(
                "select a.ticker from pipeline.asset_processing_state s join market.assets a using (asset_id)"
                " where s.history_owed_from is null and s.prices_last_date = %s"
                " and exists (select 1 from market.fundamentals f where f.asset_id = s.asset_id)",
                (TODAY,),
            )
        }


def execution_row(db_url: str, execution_id: int) -> tuple:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute(
            "select status, claiming_stopped_at, stop_reason from pipeline.process_executions where execution_id = %s",
            (execution_id,),
        ).fetchone()


def assert_next_run_has_nothing_to_do(db_url: str, run_id: str) -> None:
    _, summary = plan(db_url, TODAY, run_id)
    assert summary["planned_items"] == 0, f"work left behind: {summary}"


# -- (a) a connection terminated during COMMIT -------------------------------------------------------
COMMIT_CODES = [f"C{n:02d}.US" for n in range(40)]
TARGET = "C13.US"


def _commit_kill_run(db_url: str, tmp_path, endpoint: str, mode: str) -> dict:
    """One fetcher (4 threads) over 40 initial loads; the COMMIT of TARGET's `endpoint` response
    is caught by the barrier and its backend terminated. Returns what the checks need."""
    prepare_db(db_url, tmp_path / "tickers", COMMIT_CODES)
    execution_id, summary = plan(db_url, TODAY, f"commit-kill-{mode}-{endpoint}")
    assert summary["planned_items"] == len(COMMIT_CODES)
    install_commit_fault(db_url, endpoint, TARGET, mode)
    wait_event = "advisory" if mode == "before" else "SyncRep"
    with (
        FakeEodhd(today=TODAY, tickers_dir=tmp_path / "tickers", latency=0.01) as fake,
        psycopg.connect(db_url, autocommit=True) as control,
    ):
        if mode == "before":
            control.execute("select pg_advisory_lock(%s)", (BARRIER_KEY,))
        proc = spawn_fetcher(db_url, fake.url, execution_id, "--threads", "4", "--lease", "60s")
        try:
            victim = wait_for_backend_in_commit(control, wait_event, proc=proc)
            shots, caught_pid = commit_fault_shots(control)
            # the backend terminated is the one the barrier caught, inside COMMIT
            assert (shots, caught_pid) == (1, victim["pid"]), (shots, caught_pid, victim)
            assert victim["query"].strip().upper() == "COMMIT" and victim["state"] == "active", victim
            in_ledger = control.execute(
                "select count(*) from pipeline.api_calls where endpoint = %s and ticker = %s", (endpoint, TARGET)
            ).fetchone()[0]
            assert in_ledger == 0, "the response's transaction is not visible before its COMMIT ends"
            assert control.execute("select pg_terminate_backend(%s)", (victim["pid"],)).fetchone()[0]
            if mode == "before":
                control.execute("select pg_advisory_unlock(%s)", (BARRIER_KEY,))
        except BaseException:
            proc.kill()  # never leave a fetcher waiting at the barrier
            proc.communicate(timeout=30)
            raise
        rc, run_summary, err = finish_process(proc)
        assert rc == 0, err[-3000:]
        assert "landing the response again" in err, err[-3000:]
        shots, _ = commit_fault_shots(control)
        assert shots == 2, "the barrier let the second landing of the same response through"
        landed = control.execute(
            "select count(*) from pipeline.api_calls where endpoint = %s and ticker = %s and http_status = 200",
            (endpoint, TARGET),
        ).fetchone()[0]
        payloads = control.execute(
            "select count(*) from raw.eodhd_payloads where endpoint = %s and ticker = %s", (endpoint, TARGET)
        ).fetchone()[0]
        counts = fake.counts()
        server_requests = {e: v["requests"] for e, v in counts["by_endpoint"].items()}
        server_cost = {e: v["charged_calls"] for e, v in counts["by_endpoint"].items()}
        twice = served_twice(fake)
        mine = ledger(db_url)
        if mode == "before":
            assert_ledger_matches_server(db_url, fake)
    result = finish(db_url, execution_id, TODAY)
    return {
        "execution_id": execution_id,
        "summary": run_summary,
        "landed": landed,
        "payloads": payloads,
        "server_requests": server_requests,
        "server_cost": server_cost,
        "ledger": mine,
        "twice": twice,
        "finish": result,
    }


def test_a_connection_terminated_in_commit_before_the_commit_point_is_rolled_back_and_landed_once(db_url, tmp_path):
    """Terminated while its COMMIT runs the deferred trigger (before the commit record): the
    transaction is rolled back; the fetcher reconnects and lands the same response again: one
    ledger row, the ledger equal to the server's count, the item done once."""
    run = _commit_kill_run(db_url, tmp_path, "fundamentals", "before")
    assert run["landed"] == 1 and run["payloads"] == 1, run
    assert run["twice"] == {}, "nothing was fetched twice"
    assert run["summary"]["done"] == len(COMMIT_CODES) and run["summary"]["lost"] == 0, run["summary"]
    assert run["finish"]["status"] == "success", run["finish"]
    assert {i["status"] for i in items(db_url, run["execution_id"])} == {"done"}
    assert loaded(db_url) == set(COMMIT_CODES) and blamed(db_url) == []
    assert_next_run_has_nothing_to_do(db_url, "after-commit-kill")


@pytest.fixture(scope="module")
def ghost_cluster(tmp_path_factory):
    with ghost_standby_cluster(tmp_path_factory.mktemp("ghost-standby") / "pg") as fresh_database:
        yield fresh_database


@pytest.mark.parametrize("endpoint", ["eod", "fundamentals"])
def test_a_connection_terminated_in_commit_after_the_commit_point_overcounts_by_one_call(
    ghost_cluster, tmp_path, endpoint
):
    """Terminated while its COMMIT waits for the (never coming) synchronous standby: the
    transaction is committed but unacknowledged. The fetcher lands the response again: the
    ledger holds one row more than the server's requests (cost of one call of the endpoint),
    the second fence finds the item already settled (fundamentals: the item's last response,
    counted lost by the process, done in the database) or still held (eod: the item goes on).
    Nothing is fetched twice, every item is done, the run succeeds, nothing is left owed."""
    db_url = ghost_cluster()
    run = _commit_kill_run(db_url, tmp_path, endpoint, "after")
    assert run["landed"] == 2 and run["payloads"] == 2, "committed once, landed again after the kill"
    assert run["twice"] == {}, "the server answered the response once"
    for e, requests in run["server_requests"].items():
        ledger_e = {"eod": "eod", "fundamentals": "fundamentals"}[e]
        extra = 1 if ledger_e == endpoint else 0
        assert run["ledger"][ledger_e] == {
            "requests": requests + extra,
            "cost": run["server_cost"][e] + extra * COST[endpoint],
        }, run
    expected_lost = 1 if endpoint == "fundamentals" else 0
    assert run["summary"]["lost"] == expected_lost, run["summary"]
    assert run["summary"]["done"] == len(COMMIT_CODES) - expected_lost, run["summary"]
    assert run["finish"]["status"] == "success", run["finish"]
    assert {i["status"] for i in items(db_url, run["execution_id"])} == {"done"}
    assert loaded(db_url) == set(COMMIT_CODES) and blamed(db_url) == []
    assert_next_run_has_nothing_to_do(db_url, "after-commit-kill")


# -- (b) a latency spike past the lease -----------------------------------------------------------------
SPIKE_CODES = [f"L{n:02d}.US" for n in range(48)]
LEASE = 3.0
SPIKE = 8.0
NORMAL_LATENCY = 0.05


def held_by(db_url: str, execution_id: int, worker: str, expired_only: bool) -> set[str]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return {
            r[0]
            for r in conn.execute(
                "select a.ticker from pipeline.work_items w join market.assets a using (asset_id)"
                " where w.execution_id = %s and w.claimed_by = %s and w.status = 'claimed'"
                " and (not %s or w.lease_expires_at < clock_timestamp())",
                (execution_id, worker, expired_only),
            )
        }


@pytest.mark.parametrize("heartbeats", [True, False], ids=["heartbeats-run", "heartbeats-cannot-run"])
def test_a_latency_spike_past_the_lease(db_url, tmp_path, heartbeats):
    """Fetcher A (4 threads, batch 4, --lease 3s) works at 50 ms an answer; then every answer
    takes 8 s. After lease + 1 s of the spike the answers are fast again for new requests and
    fetcher B starts (A's 8 s requests are still on the wire). With heartbeats A's leases
    hold: B takes nothing of A's, nothing is fetched twice. Without lease heartbeats every item
    A holds has expired: B takes exactly those over and fetches them; A's late answers are
    landed (the ledger still equals the server's count) and their fences fail (effects
    dropped, counted lost): the items fetched twice are exactly the expired ones."""
    prepare_db(db_url, tmp_path / "tickers", SPIKE_CODES)
    execution_id, summary = plan(db_url, TODAY, f"spike-{heartbeats}")
    assert summary["planned_items"] == len(SPIKE_CODES)
    lease = ("--lease", f"{LEASE:g}s")
    with FakeEodhd(today=TODAY, tickers_dir=tmp_path / "tickers", latency=NORMAL_LATENCY) as fake:
        a = spawn_fetcher(
            db_url,
            fake.url,
            execution_id,
            "--worker-name",
            "A",
            "--threads",
            "4",
            "--batch",
            "4",
            *lease,
            lease_heartbeats=heartbeats,
        )
        b = None
        try:
            wait_until(
                lambda: (
                    scalar(
                        db_url,
                        "select count(*) from pipeline.work_items where execution_id = %s and status = 'done'",
                        execution_id,
                    )
                    >= 6
                ),
                60,
                "A did not start",
            )
            fake.latency = SPIKE
            spike_started = time.monotonic()
            time.sleep(LEASE + 1.0)  # any lease renewed last before the spike has run out by now
            held = held_by(db_url, execution_id, "A", expired_only=False)
            expired = held_by(db_url, execution_id, "A", expired_only=True)
            fake.latency = NORMAL_LATENCY  # new requests are fast again; A's are still on the wire
            b = spawn_fetcher(db_url, fake.url, execution_id, "--worker-name", "B", "--threads", "4", *lease)
            if expired:
                wait_until(
                    lambda: not (held_by(db_url, execution_id, "A", expired_only=False) & expired),
                    30,
                    "B did not take the expired items over",
                )
                assert time.monotonic() - spike_started < SPIKE, "B took over after A's answers came back"
        finally:
            rc_a, sum_a, err_a = finish_process(a)
            rc_b, sum_b, err_b = finish_process(b) if b else (None, {}, "")
        assert rc_a == 0, err_a[-3000:]
        assert rc_b == 0, err_b[-3000:]
        assert len(held) >= 4, f"A held requests on the wire during the spike: {held}"
        twice = served_twice(fake)
        twice_codes = {c for codes in twice.values() for c in codes}
        assert all(n == 2 for codes in twice.values() for n in codes.values()), twice
        if heartbeats:
            assert expired == set(), f"heartbeats kept every lease: {expired}"
            assert twice == {}, f"nothing fetched twice: {twice}"
            assert sum_a["lost"] == 0 and sum_b["lost"] == 0, (sum_a, sum_b)
        else:
            assert expired == held, "without heartbeats every item A held expired"
            assert twice_codes == expired, f"fetched twice {twice} != expired leases {sorted(expired)}"
            assert sum_a["lost"] == len(expired) and sum_b["lost"] == 0, (sum_a, sum_b, sorted(expired))
            with psycopg.connect(db_url, autocommit=True) as conn:
                takers = dict(
                    conn.execute(
                        "select a.ticker, w.claimed_by from pipeline.work_items w join market.assets a using (asset_id)"
                        " where w.execution_id = %s and a.ticker = any(%s)",
                        (execution_id, list(expired)),
                    ).fetchall()
                )
            assert set(takers.values()) == {"B"}, takers
        assert_ledger_matches_server(db_url, fake)  # every call made, by A or B, is one ledger row
    assert finish(db_url, execution_id, TODAY)["status"] == "success"
    assert {i["status"] for i in items(db_url, execution_id)} == {"done"}
    assert loaded(db_url) == set(SPIKE_CODES) and blamed(db_url) == []
    assert_next_run_has_nothing_to_do(db_url, "after-spike")


# -- (c) quota exhaustion at a random point, 8 fetcher processes ---------------------------------------
QUOTA_CODES = [f"R{n:03d}.US" for n in range(96)]
PROCESSES = 8
THREADS = 2


def test_quota_exhausted_at_a_random_point_of_an_eight_process_run(db_url, tmp_path):
    seed = int(os.environ.get("FAULTS_SEED") or random.SystemRandom().randrange(1_000_000))
    print(f"FAULTS_SEED={seed}")
    replay = f"(replay: FAULTS_SEED={seed})"
    rng = random.Random(seed)
    prepare_db(db_url, tmp_path / "tickers", QUOTA_CODES)
    execution_id, summary = plan(db_url, TODAY, "quota-random")
    planned = summary["planned_cost"]
    assert planned == 11 * len(QUOTA_CODES)
    limit = rng.randint(planned // 10, planned * 9 // 10)  # the point where the quota runs out
    latency = rng.choice([0.01, 0.02, 0.04])
    batches = [rng.randint(1, 4) for _ in range(PROCESSES)]
    pauses = [rng.uniform(0.0, 0.15) for _ in range(PROCESSES)]
    print(f"daily limit {limit} of {planned} planned, latency {latency}, batches {batches}")
    with FakeEodhd(today=TODAY, tickers_dir=tmp_path / "tickers", daily_limit=limit, latency=latency) as fake:
        procs = []
        for n in range(PROCESSES):
            procs.append(
                spawn_fetcher(
                    db_url,
                    fake.url,
                    execution_id,
                    "--worker-name",
                    f"q{n}",
                    "--threads",
                    str(THREADS),
                    "--batch",
                    str(batches[n]),
                    "--lease",
                    "30s",
                )
            )
            time.sleep(pauses[n])
        results = [finish_process(p) for p in procs]
        for rc, _, err in results:
            assert rc == 0, f"{replay} {err[-3000:]}"
        stops = [s.get("stop", "") for _, s, _ in results]
        assert any(s.startswith("quota") for s in stops), f"{replay} {stops}"
        assert sum(s.get("lost", 0) for _, s, _ in results) == 0, f"{replay} {[s for _, s, _ in results]}"
        status, stopped_at, reason = execution_row(db_url, execution_id)
        assert stopped_at is not None and reason.startswith("quota"), f"{replay} {reason}"

        counts = fake.counts()
        refused = fake.requests(status=402)
        assert 1 <= refused <= PROCESSES * THREADS, f"{replay} each thread stops at its first 402: {refused}"
        assert limit - COST["fundamentals"] < counts["charged_calls"] <= limit, f"{replay} {counts['charged_calls']}"
        assert served_twice(fake) == {}, f"{replay} nothing fetched twice"
        assert_ledger_matches_server(db_url, fake)  # the 402s are rows of cost 0, like the server's

        work = items(db_url, execution_id)
        by_status: dict[str, set[str]] = {}
        for i in work:
            by_status.setdefault(i["status"], set()).add(i["ticker"])
        assert set(by_status) <= {"done", "pending"}, f"{replay} nothing claimed, nothing failed: {by_status.keys()}"
        assert {i["error_class"] for i in work if i["status"] == "pending"} <= {"quota", None}, replay
        assert blamed(db_url) == [], f"{replay} no ticker blamed for the quota"
        done = by_status.get("done", set())
        assert done <= loaded(db_url), replay
        # items the 402 cut between their two requests: prices answered and stored, fundamentals not
        first_eod = {c for c, st in fake.counts()["by_code"].get("eod", {}).items() if st.get("200")}
        interrupted = first_eod - done
        assert len(interrupted) <= PROCESSES * THREADS, f"{replay} {sorted(interrupted)}"
        result = finish(db_url, execution_id, TODAY)
        assert result["status"] == "partial" and result["stop_reason"].startswith("quota"), f"{replay} {result}"

        # the next run (more quota): plans what is missing, nothing else, and completes it
        fake.daily_limit = 100_000
        nxt, next_summary = plan(db_url, TODAY, "quota-next")
        assert next_summary["planned_tickers"] == len(QUOTA_CODES) - len(done), f"{replay} {next_summary}"
        rc, run_summary, err = finish_process(spawn_fetcher(db_url, fake.url, nxt, "--threads", "4"))
        assert rc == 0, f"{replay} {err[-3000:]}"
        assert finish(db_url, nxt, TODAY)["status"] == "success", replay
        by_code = fake.counts()["by_code"]
        served = {c: s.get("200", 0) for c, s in by_code["fundamentals"].items()}
        assert served == {c: 1 for c in QUOTA_CODES}, f"{replay} fundamentals: each code served exactly once"
        # prices: once each, except the interrupted initial loads, planned again in full (the
        # known cost of test_an_initial_load_cut_by_the_quota_after_its_prices_...: one call each)
        served = {c: s.get("200", 0) for c, s in by_code["eod"].items()}
        assert served == {c: 2 if c in interrupted else 1 for c in QUOTA_CODES}, f"{replay} eod {served}"
        assert_ledger_matches_server(db_url, fake)
    assert loaded(db_url) == set(QUOTA_CODES) and blamed(db_url) == [], replay
    assert_next_run_has_nothing_to_do(db_url, "after-quota")


@pytest.mark.xfail(
    strict=True,
    reason=(
        "db: an initial load handed back as 'quota' (or 'transient') after its /eod was answered and"
        " stored keeps history_owed_from and last_success_at null, so the next plan is a full"
        " initial_load again and the answered /eod is bought a second time (one call per item cut"
        " between its requests); pipeline.record_failure pays the debt only for counted failures"
    ),
)
def test_an_initial_load_cut_by_the_quota_after_its_prices_does_not_buy_them_again(db_url, tmp_path):
    prepare_db(db_url, tmp_path / "tickers", ["CUT.US"])
    with FakeEodhd(today=TODAY, tickers_dir=tmp_path / "tickers") as fake:
        fake.inject(r"^/api/fundamentals/CUT\.US$", 402, TEXT_402)
        first, _ = plan(db_url, TODAY, "cut")
        rc, summary, err = finish_process(spawn_fetcher(db_url, fake.url, first, "--threads", "1"))
        assert rc == 0 and summary["stop"].startswith("quota"), (summary, err[-2000:])
        assert finish(db_url, first, TODAY)["status"] == "partial"
        assert fake.requests("eod", "CUT.US", 200) == 1
        second, plan_summary = plan(db_url, TODAY, "cut-next")
        rc, _, err = finish_process(spawn_fetcher(db_url, fake.url, second, "--threads", "1"))
        assert rc == 0, err[-2000:]
        assert finish(db_url, second, TODAY)["status"] == "success"
        assert loaded(db_url) == {"CUT.US"}
        assert_ledger_matches_server(db_url, fake)
        # the history answered by the first run is not bought again: only the fundamentals are
        assert fake.requests("eod", "CUT.US", 200) == 1, plan_summary

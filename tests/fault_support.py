"""Fault machinery of tests/test_faults_remaining.py: `python -m fetcher run` subprocesses, a
COMMIT barrier installed in a test database only, a private PostgreSQL cluster with a
synchronous standby that never comes, and a fetcher entry point whose lease heartbeats cannot
run.

The COMMIT barrier is a deferred constraint trigger on pipeline.api_calls: it fires inside
COMMIT (after every statement of the transaction, before the commit record) for the ledger row
of one chosen response, once (a sequence counts the shots: sequences are not transactional, so
the re-landing of the same response after the kill passes). It records the backend pid in a
second sequence, then either
  - 'before': waits on an advisory lock the test holds: the backend sits in COMMIT before the
    commit point (pg_stat_activity: query COMMIT, wait_event advisory); terminated there, the
    whole transaction (ledger row, payload, ingest, result) is rolled back; or
  - 'after': sets synchronous_commit = on for that transaction: in a cluster whose
    synchronous_standby_names names a standby that never connects, the backend writes and
    flushes its commit record and then waits for the standby (wait_event SyncRep); terminated
    there, the transaction is committed but the client never hears it (PostgreSQL: "The
    transaction has already committed locally"). This is the one case the fetcher cannot
    tell from the first: it lands the response again.

Run as `python -m tests.fault_support run --execution-id N ...`: the fetcher CLI with
Runner._beat (pipeline.heartbeat of the items held, every third of the lease) made a no-op:
the process keeps its session alive (touch_worker) but its leases are renewed only by the
claim and by the fence of a response, as when the heartbeat's statements cannot get through.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from tests.dbutil import migrate
from tests.fetch_support import ROOT, TOKEN, fetcher_env

FAST_RETRIES = {"EODHD_RETRY_ATTEMPTS": "2", "EODHD_RETRY_BACKOFF": "0.01"}
BARRIER_KEY = 7_014_005  # the advisory lock of the 'before' barrier (per database)
GHOST_STANDBY = "fault_test_ghost_standby"

INSTALL_COMMIT_FAULT = """
create schema if not exists fault_test;
create sequence if not exists fault_test.shots;
create sequence if not exists fault_test.victim minvalue 0 start 0;
create table if not exists fault_test.target (endpoint text not null, ticker text not null, mode text not null
    check (mode in ('before', 'after')));
create or replace function fault_test.at_commit() returns trigger
language plpgsql as $$
declare
    t fault_test.target;
begin
    select * into t from fault_test.target limit 1;
    if found and new.endpoint = t.endpoint and new.ticker = t.ticker and new.http_status = 200
       and nextval('fault_test.shots') = 1 then
        perform setval('fault_test.victim', pg_backend_pid());
        if t.mode = 'before' then
            perform pg_advisory_xact_lock(%(key)s);
        else
            perform set_config('synchronous_commit', 'on', true);
        end if;
    end if;
    return null;
end;
$$;
drop trigger if exists fault_at_commit on pipeline.api_calls;
create constraint trigger fault_at_commit after insert on pipeline.api_calls
    deferrable initially deferred for each row execute function fault_test.at_commit();
"""


def install_commit_fault(db_url: str, endpoint: str, ticker: str, mode: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(INSTALL_COMMIT_FAULT.replace("%(key)s", str(BARRIER_KEY)))
        conn.execute("delete from fault_test.target")
        conn.execute("insert into fault_test.target values (%s, %s, %s)", (endpoint, ticker, mode))


def commit_fault_shots(conn: psycopg.Connection) -> tuple[int, int]:
    """(times the barrier fired, pid of the backend it caught)."""
    shots, called = conn.execute("select last_value, is_called from fault_test.shots").fetchone()
    return (shots if called else 0), conn.execute("select last_value from fault_test.victim").fetchone()[0]


def wait_for_backend_in_commit(
    conn: psycopg.Connection, wait_event: str, timeout: float = 60.0, proc: subprocess.Popen | None = None
) -> dict:
    """The fetcher backend of this database executing COMMIT and waiting on `wait_event`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cur = conn.execute(
            "select pid, query, state, wait_event_type, wait_event, application_name"
            " from pg_stat_activity where datname = current_database() and application_name = 'screener-fetcher'"
            " and wait_event = %s",
            (wait_event,),
        )
        rows = cur.fetchall()
        if rows:
            names = [d.name for d in cur.description]
            return dict(zip(names, rows[0]))
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the fetcher ended (rc {proc.returncode}) without reaching the barrier")
        time.sleep(0.01)
    raise AssertionError(f"no fetcher backend waited on {wait_event} within {timeout} s")


def spawn_fetcher(
    db_url: str, server_url: str, execution_id: int, *args: str, lease_heartbeats: bool = True, env: dict | None = None
) -> subprocess.Popen:
    """`python -m fetcher run` (or, without lease heartbeats, this module's wrapper of it)."""
    environment = fetcher_env(db_url, server_url, TOKEN)
    environment.update(FAST_RETRIES, **(env or {}))
    module = "fetcher" if lease_heartbeats else "tests.fault_support"
    return subprocess.Popen(
        [sys.executable, "-m", module, "run", "--execution-id", str(execution_id), "--deadline", "3m", *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_process(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, dict, str]:
    """(exit code, the JSON summary of its last stdout line, stderr)."""
    out, err = proc.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.strip().startswith("{")]
    return proc.returncode, (json.loads(lines[-1]) if lines else {}), err


def wait_until(predicate, timeout: float, message: str, poll: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(poll)
    raise AssertionError(message)


def scalar(db_url: str, sql: str, *params):
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchone()[0]


def served_twice(fake) -> dict[str, dict[str, int]]:
    """endpoint -> {code: 200 answers} for every code the server served more than once."""
    out: dict[str, dict[str, int]] = {}
    for endpoint, codes in fake.counts()["by_code"].items():
        for code, statuses in codes.items():
            if statuses.get("200", 0) > 1:
                out.setdefault(endpoint, {})[code] = statuses["200"]
    return out


# -- a private cluster whose synchronous standby never comes --------------------------------------
def _with_db(url: str, dbname: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + dbname))


def _sync_rep_waits(url: str) -> bool:
    """A commit with synchronous_commit = on waits for the standby (then cancelled from another
    connection: statement_timeout is off by the time a statement's commit runs)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create table if not exists fault_probe (x int)")

    def probe() -> None:
        with psycopg.connect(url, autocommit=True, application_name="fault_probe") as conn:
            conn.execute("set synchronous_commit = on")
            conn.execute("insert into fault_probe values (1)")

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    waited = False
    with psycopg.connect(url, autocommit=True) as conn:
        deadline = time.monotonic() + 2.0
        while thread.is_alive() and time.monotonic() < deadline:
            pids = [
                r[0]
                for r in conn.execute(
                    "select pid from pg_stat_activity where application_name = 'fault_probe' and wait_event = 'SyncRep'"
                )
            ]
            if pids:
                waited = True
                conn.execute("select pg_cancel_backend(%s)", (pids[0],))
                break
            time.sleep(0.02)
        thread.join(10)
        if thread.is_alive():  # never leave a session waiting behind
            conn.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'fault_probe'"
            )
            thread.join(10)
    return waited


@contextmanager
def ghost_standby_cluster(directory: Path):
    """A private cluster (scripts/db.sh in its own directory) with synchronous_standby_names set to
    a standby that never connects (so nothing of the shared server changes), the schema migrated
    into a template database; yields a function returning the URL of a fresh copy."""
    script = str(ROOT / "scripts" / "db.sh")
    env = {**os.environ, "SCREENER_PG_DIR": str(directory), "SCREENER_DB_NAME": "faults_template"}
    started = subprocess.run([script, "start"], env=env, capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        template = subprocess.run([script, "url"], env=env, check=True, capture_output=True, text=True).stdout.strip()
        admin = _with_db(template, "postgres")
        migrate(template)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"alter system set synchronous_standby_names = '{GHOST_STANDBY}'")
            conn.execute("select pg_reload_conf()")
        deadline = time.monotonic() + 20
        while not _sync_rep_waits(admin):
            assert time.monotonic() < deadline, "synchronous_standby_names did not take effect"
            time.sleep(0.2)
        counter = iter(range(1, 1000))
        lock = threading.Lock()

        def fresh_database() -> str:
            with lock:
                name = f"faults_{next(counter)}"
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"drop database if exists {name}")
                conn.execute(f"create database {name} template faults_template")
            return _with_db(template, name)

        yield fresh_database
    finally:
        subprocess.run([script, "stop"], env=env, capture_output=True, timeout=120)


# -- a fetcher whose lease heartbeats cannot run ---------------------------------------------------
def _main() -> int:
    from fetcher.cli import main
    from fetcher.run import Runner

    Runner._beat = lambda self, items: None  # the leases of the items held are never extended
    return main()


if __name__ == "__main__":
    sys.exit(_main())

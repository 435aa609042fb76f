"""The provider's faults are not the ticker's, and the ledger never undercounts: `python -m
fetcher run` subprocesses against the local EODHD server and the real database.

- a 500 / 429 storm over three runs, an unreachable base URL and a typo in the base URL path
  open the run's provider circuit: the run ends failed with the reason, no ticker is blamed,
  and the next run (the provider healthy again) completes the work;
- a frozen server: every timed-out request is in the ledger (the provider served it);
- a PostgreSQL restart mid-run: the fetcher waits for the database and completes, the ledger
  equal to or above the server's count (a private cluster, so nothing else is disturbed);
- a SIGKILLed worker: its retry under the same worker name takes its items over at once.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import psycopg
import pytest

from eodhd_fake import FakeEodhd
from tests.fetch_support import (
    ROOT,
    TODAY,
    TOKEN,
    assert_ledger_matches_server,
    fetcher_env,
    finish,
    ledger,
    plan,
    prepare_db,
)

CODES = [f"V{n:02d}.US" for n in range(30)]
FAST_RETRIES = {"EODHD_RETRY_ATTEMPTS": "2", "EODHD_RETRY_BACKOFF": "0.01"}


def fetch(
    db_url: str, base_url: str, execution_id: int, *extra: str, env: dict | None = None, timeout: float = 180
) -> subprocess.CompletedProcess:
    environment = fetcher_env(db_url, base_url, TOKEN)
    environment.update(FAST_RETRIES, **(env or {}))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "fetcher",
            "run",
            "--execution-id",
            str(execution_id),
            "--threads",
            "4",
            "--lease",
            "60s",
            "--deadline",
            "3m",
            *extra,
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def spawn(db_url: str, base_url: str, execution_id: int, *extra: str, env: dict | None = None) -> subprocess.Popen:
    environment = fetcher_env(db_url, base_url, TOKEN)
    environment.update(FAST_RETRIES, **(env or {}))
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fetcher",
            "run",
            "--execution-id",
            str(execution_id),
            "--threads",
            "4",
            "--lease",
            "60s",
            "--deadline",
            "3m",
            *extra,
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def blamed(db_url: str) -> list[tuple]:
    """Assets whose failure counter moved or that are skipped."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute(
            "select a.ticker, s.consecutive_failures, s.status, s.last_error from pipeline.asset_processing_state s"
            " join market.assets a using (asset_id) where s.consecutive_failures > 0 or s.is_skipped"
        ).fetchall()


def execution(db_url: str, execution_id: int) -> tuple[str, str | None]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute(
            "select status, stop_reason from pipeline.process_executions where execution_id = %s", (execution_id,)
        ).fetchone()


def done_items(db_url: str, execution_id: int) -> int:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute(
            "select count(*) from pipeline.work_items where execution_id = %s and status = 'done'", (execution_id,)
        ).fetchone()[0]


def loaded(db_url: str) -> int:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute(
            "select count(*) from pipeline.asset_processing_state"
            " where history_owed_from is null and prices_last_date is not null"
        ).fetchone()[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("status, body", [(500, "Internal Server Error"), (429, "Too Many Requests")])
def test_a_storm_over_three_runs_blames_no_ticker_and_the_next_run_completes(db_url, tmp_path, status, body):
    prepare_db(db_url, tmp_path / "tickers", CODES)
    with FakeEodhd(today=TODAY, tickers_dir=tmp_path / "tickers") as fake:
        fake.inject(r"/eod/", status, body, count=10_000)
        for run in range(3):
            execution_id, _ = plan(db_url, TODAY, f"storm-{run}")
            result = fetch(db_url, fake.url, execution_id)
            assert result.returncode == 1, result.stderr[-2000:]
            assert "provider" in result.stderr
            finish(db_url, execution_id, TODAY)
            state, reason = execution(db_url, execution_id)
            assert state == "failed" and reason.startswith("provider: eod failed for everyone"), reason
            assert blamed(db_url) == [], f"run {run}: tickers blamed for the provider's {status}"
        assert_ledger_matches_server(db_url, fake)

        fake.reset()  # the storm is over
        execution_id, summary = plan(db_url, TODAY, "after-the-storm")
        assert summary["planned_items"] == len(CODES), "no ticker in backoff: everything is planned again"
        result = fetch(db_url, fake.url, execution_id)
        assert result.returncode == 0, result.stderr[-2000:]
        assert finish(db_url, execution_id, TODAY)["status"] == "success"
        assert loaded(db_url) == len(CODES) and blamed(db_url) == []


def test_an_unreachable_base_url_fails_the_run_without_blaming_or_charging(db_url, tmp_path):
    prepare_db(db_url, tmp_path / "tickers", CODES)
    execution_id, _ = plan(db_url, TODAY, "unreachable")
    result = fetch(db_url, f"http://127.0.0.1:{free_port()}/api", execution_id)
    assert result.returncode == 1 and "provider" in result.stderr, result.stderr[-2000:]
    finish(db_url, execution_id, TODAY)
    state, reason = execution(db_url, execution_id)
    assert state == "failed" and "(no_response)" in reason, reason
    assert blamed(db_url) == []
    spent = ledger(db_url)
    assert spent and all(v["cost"] == 0 for v in spent.values()), f"requests never sent cost nothing: {spent}"


def test_a_typo_in_the_base_url_path_fails_the_run_and_charges_what_the_server_charged(db_url, tmp_path):
    prepare_db(db_url, tmp_path / "tickers", CODES)
    with FakeEodhd(today=TODAY, tickers_dir=tmp_path / "tickers") as fake:
        execution_id, _ = plan(db_url, TODAY, "typo")
        result = fetch(db_url, fake.url + "i", execution_id)  # .../apii: 404 pages that are not EODHD's
        assert result.returncode == 1, result.stderr[-2000:]
        finish(db_url, execution_id, TODAY)
        state, reason = execution(db_url, execution_id)
        assert state == "failed" and "(foreign_404)" in reason, reason
        assert blamed(db_url) == []
        assert fake.counts()["charged_calls"] == 0
        assert sum(v["cost"] for v in ledger(db_url).values()) == 0


def test_a_frozen_server_every_timed_out_request_is_in_the_ledger(db_url, tmp_path):
    codes = CODES[:12]
    prepare_db(db_url, tmp_path / "tickers", codes)
    with FakeEodhd(today=TODAY, tickers_dir=tmp_path / "tickers", latency=1.5) as fake:
        execution_id, _ = plan(db_url, TODAY, "frozen")
        result = fetch(db_url, fake.url, execution_id, env={"EODHD_READ_TIMEOUT": "0.3"})
        assert result.returncode == 1, result.stderr[-2000:]
        time.sleep(2.0)  # the server answers (and charges) the last requests after the fetcher gave up
        server = fake.counts()
        mine = ledger(db_url)
        assert server["charged_calls"] > 0
        assert mine["eod"]["cost"] >= server["charged_calls"], (mine, server)
        assert mine["eod"]["requests"] == server["by_endpoint"]["eod"]["requests"], "every request is a ledger row"
    assert blamed(db_url) == []


def test_a_postgresql_restart_mid_run_is_survived_and_the_ledger_stays_on_the_safe_side(tmp_path):
    """A private cluster (scripts/db.sh with its own directory) is restarted while the fetcher runs."""
    pg_dir = tmp_path / "pg"
    env = {**os.environ, "SCREENER_PG_DIR": str(pg_dir), "SCREENER_DB_NAME": "screener_restart"}
    # a port known free now (db.sh otherwise derives one from the directory's hash)
    pg_dir.mkdir()
    (pg_dir / "port").write_text(f"{free_port()}\n")
    for _ in range(2):  # a second try when the first start loses a race for the port
        started = subprocess.run(
            [str(ROOT / "scripts" / "db.sh"), "start"], env=env, capture_output=True, text=True, timeout=120
        )
        if started.returncode == 0:
            break
        (pg_dir / "port").write_text(f"{free_port()}\n")
    log = (pg_dir / "server.log").read_text() if (pg_dir / "server.log").exists() else ""
    assert started.returncode == 0, started.stdout + started.stderr + log[-2000:]
    try:
        db_url = subprocess.run(
            [str(ROOT / "scripts" / "db.sh"), "url"], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        subprocess.run(
            [str(ROOT / "db" / "migrate.sh")],
            env={**env, "DATABASE_URL": db_url, "MIGRATE_QUIET": "1"},
            check=True,
            capture_output=True,
            timeout=300,
        )
        codes = [f"W{n:02d}.US" for n in range(60)]
        prepare_db(db_url, tmp_path / "tickers", codes)
        with FakeEodhd(today=TODAY, tickers_dir=tmp_path / "tickers", latency=0.15) as fake:
            execution_id, summary = plan(db_url, TODAY, "restart")
            proc = spawn(db_url, fake.url, execution_id)
            deadline = time.monotonic() + 60
            while done_items(db_url, execution_id) < 10 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert proc.poll() is None, "the fetcher finished before the restart"
            subprocess.run(
                [str(ROOT / "scripts" / "db.sh"), "restart"], env=env, check=True, capture_output=True, timeout=120
            )
            assert proc.poll() is None, "the fetcher must outlive the restart for the test to mean anything"
            out, err = proc.communicate(timeout=240)
            assert proc.returncode == 0, err[-3000:]
            assert "database connection lost" in err or "database not reachable" in err, err[-3000:]
            assert done_items(db_url, execution_id) == len(codes)
            server = fake.counts()
            mine = ledger(db_url)
            charged = sum(v["cost"] for v in mine.values())
            # each attempt whose landing transaction was cut at COMMIT may be landed twice
            assert server["charged_calls"] <= charged <= server["charged_calls"] + 11 * 4, (mine, server)
    finally:
        subprocess.run([str(ROOT / "scripts" / "db.sh"), "stop"], env=env, capture_output=True, timeout=120)


def test_a_killed_worker_is_taken_over_by_its_retry_at_once(db_url, tmp_path):
    """Airflow's retry of a mapped fetch task runs under the same worker name: the killed
    process's items come back at once instead of after their (here 60 s) lease."""
    prepare_db(db_url, tmp_path / "tickers", CODES)
    with FakeEodhd(today=TODAY, tickers_dir=tmp_path / "tickers", latency=0.05) as fake:
        execution_id, _ = plan(db_url, TODAY, "killed")
        first = spawn(db_url, fake.url, execution_id, "--worker-name", "collection-w0")
        deadline = time.monotonic() + 60
        while done_items(db_url, execution_id) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        first.kill()
        first.communicate(timeout=30)
        with psycopg.connect(db_url, autocommit=True) as conn:
            held = conn.execute(
                "select count(*) from pipeline.work_items where execution_id = %s and status = 'claimed'",
                (execution_id,),
            ).fetchone()[0]
        assert held > 0, "the killed worker held items"
        started = time.monotonic()
        retry = fetch(db_url, fake.url, execution_id, "--worker-name", "collection-w0")
        took = time.monotonic() - started
        assert retry.returncode == 0, retry.stderr[-2000:]
        assert done_items(db_url, execution_id) == len(CODES)
        assert took < 30, f"the retry waited {took:.0f} s: the killed worker's leases were waited out"
        assert finish(db_url, execution_id, TODAY)["status"] == "success"
        assert blamed(db_url) == []

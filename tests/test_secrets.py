"""The API token appears in no log line, no exception text and nowhere in the database.

A recognisable token is used for runs with every kind of failure (5xx, HTML pages, truncated
bodies, a 404 page echoing the request URL, connection errors, a rejected token); every log
is captured (subprocess stderr/stdout with debug logging, caplog in process) and a full
pg_dump of the test database is searched."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import subprocess
import uuid

from eodhd_fake import FakeEodhd
from tests.fetch_support import (
    TODAY,
    finish,
    make_runner,
    plan,
    prepare_db,
    spawn_run,
)


def pg_dump(db_url: str) -> str:
    result = subprocess.run(["pg_dump", "--no-owner", db_url], capture_output=True, text=True, check=True)
    assert "CREATE TABLE raw.eodhd_payloads" in result.stdout
    return result.stdout


def test_token_never_leaks_into_logs_or_database(db_url, tmp_path, caplog):
    token = f"LEAKCHECK{uuid.uuid4().hex}"
    wrong = f"WRONGTOKEN{uuid.uuid4().hex}"
    codes = ["AAPL.US", "MSFT.US", "KO.US", "DELISTED.US", "IBM.US", "PEP.US"]
    prepare_db(db_url, tmp_path / "tickers", codes)
    logs: list[str] = []

    with FakeEodhd(today=TODAY, tokens=[token], error_rate=0.2, html_rate=0.1, truncate_rate=0.1, seed=3) as fake:
        # 1. a rejected token: configuration error, exit 2 (the wrong token is a secret too)
        execution_1, _ = plan(db_url, TODAY, "leak-1")
        proc = spawn_run(db_url, fake.url, execution_1, "-v", token=wrong)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, err[-2000:]
        assert fake.requests(status=401) >= 1
        logs += [out, err]
        finish(db_url, execution_1, TODAY)

        # 2. a run with faults of every kind, debug logging on, in a subprocess
        fake.inject(
            r"^/api/eod/IBM\.US$",
            404,
            f"<html><body>Not found: /api/eod/IBM.US?api_token={token}&fmt=json</body></html>",
        )
        execution_2, _ = plan(db_url, TODAY, "leak-2")
        proc = spawn_run(db_url, fake.url, execution_2, "-v", token=token)
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-2000:]
        logs += [out, err]
        assert fake.requests(status=200) > 0 and fake.requests(code="IBM.US", status=404) == 1
        assert fake.requests(status=502) + fake.requests(status=500) + fake.requests(status=503) > 0

    # 3. connection errors (requests puts the full URL in its exceptions), in process
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{s.getsockname()[1]}/api"
    execution_3, _ = plan(db_url, TODAY + dt.timedelta(days=1), "leak-3")
    caplog.set_level(logging.DEBUG)
    runner = make_runner(db_url, dead_url, execution_3, token=token, max_attempts=2, unavailable_after=3, threads=1)
    assert runner.run() == 1, "the provider stayed unreachable"
    assert "ConnectionError" in caplog.text or "ConnectionError" in str(runner.summary)
    logs.append(caplog.text)
    logs.append(str(runner.summary))

    dump = pg_dump(db_url)
    assert "api_token=***" in dump or "ConnectionError" in dump, "the failed calls were recorded"
    for secret in (token, wrong):
        for i, text in enumerate(logs):
            assert secret not in text, f"log {i} leaks the token"
        assert secret not in dump, "the database holds the token"
    assert os.environ.get("EODHD_API_TOKEN", "") != token

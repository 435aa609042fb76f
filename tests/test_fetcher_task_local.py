"""The local-process side of the fetcher task factory: base URL from the eodhd_api connection
(JSON with a full URL, or a URI) and redaction of whatever the fetcher prints."""

from __future__ import annotations

import json

from tests import airflow_support  # noqa: F401  (sets AIRFLOW_HOME before airflow is imported)


def _conn(conn_id: str, value: str):
    from airflow.models.connection import Connection

    if value.lstrip().startswith("{"):
        return Connection.from_json(value, conn_id=conn_id)
    return Connection(conn_id=conn_id, uri=value)


def test_eodhd_base_url_from_either_connection_form():
    from screener_common.fetcher_task import eodhd_base_url

    as_json = _conn(
        "eodhd_api", json.dumps({"conn_type": "http", "host": "http://127.0.0.1:8123/api/", "password": "t0ken-abc"})
    )
    assert eodhd_base_url(as_json) == "http://127.0.0.1:8123/api"
    as_uri = _conn("eodhd_api", "https://:t0ken-abc@eodhd.com/api")
    assert eodhd_base_url(as_uri) == "https://eodhd.com/api"
    assert as_uri.password == "t0ken-abc"


def _run_with_output(monkeypatch, tmp_path, caplog, lines: list[str], secrets: list[str]) -> str:
    """run_fetcher_process with a stand-in interpreter that prints `lines`; returns the task log."""
    import logging
    import sys

    from screener_common import fetcher_task

    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\ncat <<'EOF'\n" + "\n".join(lines) + "\nEOF\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake))
    monkeypatch.setattr(fetcher_task, "fetcher_environment", lambda: ({"PATH": "/usr/bin:/bin"}, secrets))
    caplog.set_level(logging.INFO, logger=fetcher_task.log.name)
    fetcher_task.run_fetcher_process(["run"])
    return caplog.text


def test_the_task_log_hides_known_secrets_and_token_parameters(monkeypatch, tmp_path, caplog):
    text = _run_with_output(
        monkeypatch,
        tmp_path,
        caplog,
        ["GET /api/eod/AAPL.US?api_token=abc123&fmt=json with pw s3cret-pass and tok t0ken-xyz"],
        ["s3cret-pass", "t0ken-xyz", ""],
    )
    assert "abc123" not in text and "s3cret-pass" not in text and "t0ken-xyz" not in text
    assert "api_token=***" in text and "AAPL.US" in text


def test_the_task_log_redacts_what_the_fetcher_redacts(monkeypatch, tmp_path, caplog):
    """One rule: the DAG side uses fetcher.config.redact, so a database URL's password is hidden even
    when it is not one of the connection secrets (the old copy only knew those and api_token)."""
    from fetcher.config import redact

    line = "connection failed: postgresql://screener_fetcher_login:not-a-listed-pw@db:5432/screener"
    assert "not-a-listed-pw" not in redact(line)
    text = _run_with_output(monkeypatch, tmp_path, caplog, [line], ["t0ken-xyz"])
    assert "postgresql://screener_fetcher_login:***@db:5432/screener" in text
    assert "not-a-listed-pw" not in text

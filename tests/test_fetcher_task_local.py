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

    as_json = _conn("eodhd_api", json.dumps({"conn_type": "http", "host": "http://127.0.0.1:8123/api/",
                                              "password": "t0ken-abc"}))
    assert eodhd_base_url(as_json) == "http://127.0.0.1:8123/api"
    as_uri = _conn("eodhd_api", "https://:t0ken-abc@eodhd.com/api")
    assert eodhd_base_url(as_uri) == "https://eodhd.com/api"
    assert as_uri.password == "t0ken-abc"


def test_redact_removes_known_secrets_and_token_parameters():
    from screener_common.fetcher_task import redact

    line = "GET /api/eod/AAPL.US?api_token=abc123&fmt=json with pw s3cret-pass and tok t0ken-xyz"
    out = redact(line, ["s3cret-pass", "t0ken-xyz", ""])
    assert "abc123" not in out and "s3cret-pass" not in out and "t0ken-xyz" not in out
    assert "api_token=***" in out and "AAPL.US" in out

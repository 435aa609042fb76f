"""Alerts through Airflow notifiers, on real DAG runs (dag.test(), the local EODHD server, a
fresh database): a partial collection run with the quota above 90 %, too many assets owing
history and a skipped count that grew; a run that fails before the collection starts (the task's
on_failure_callback). A notifier subclass records what it was asked to send; the messages carry
the numbers and a psql line, never the API token. Connections choose SMTP and/or Slack."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from airflow.sdk import BaseNotifier  # noqa: E402

from tests import airflow_support  # noqa: F401  (Airflow home before airflow is imported)
from tests.test_e2e_dags import D1, TOKEN, bag, pipeline  # noqa: F401  (fixtures)

SENT: list[dict] = []


class RecordingNotifier(BaseNotifier):
    """Records what it was asked to send (subject, message, the run it was sent for)."""

    template_fields = ()

    def __init__(self, subject: str, message: str):
        super().__init__()
        self.subject, self.message = subject, message

    def notify(self, context) -> None:
        run = context.get("dag_run")
        SENT.append({"subject": self.subject, "message": self.message, "run_id": getattr(run, "run_id", None)})


@pytest.fixture
def recorded(monkeypatch):
    from screener_common import alerts

    SENT.clear()
    monkeypatch.setattr(alerts, "configured_notifiers", lambda subject, message: [RecordingNotifier(subject, message)])
    return SENT


def test_a_partial_run_over_quota_sends_its_numbers(pipeline, recorded):  # noqa: F811
    tickers = ["AAPL.US", "MSFT.US", "BP.LSE", "SAP.XETRA"]
    pipeline.query(
        "update pipeline.settings set daily_quota = 24, quota_buffer = 0, alert_attention_limit = 100 returning 1"
    )
    pipeline.query(
        "update pipeline.asset_processing_state set is_skipped = true, status = 'skipped',"
        " skip_reason = 'test' where asset_id = (select asset_id from market.assets where ticker = 'IBM.US')"
        " returning 1"
    )
    run = pipeline.run("data_collection_equities", D1, {"tickers": tickers})
    execution_id, status, summary = pipeline.latest_execution("data_collection_equities")
    assert status == "partial" and str(run.state) == "success"

    kinds = {a["subject"].split(": ", 1)[1]: a for a in recorded}
    assert set(kinds) == {"run_partial", "quota", "attention", "skipped_grew"}, recorded
    assert "0 of 2 planned items not done (0 failed), 2 deferred for quota" in kinds["run_partial"]["message"]
    assert f"where execution_id = {execution_id};" in kinds["run_partial"]["message"]
    assert "22 of 24 calls used today (91.7 %, above 90.0 %)" in kinds["quota"]["message"]
    assert "select * from monitor.quota_today;" in kinds["quota"]["message"]
    owed = pipeline.scalar(
        "select count(*) from monitor.asset_status where reason in"
        " ('initial load owed', 'history owed') and exchange_code <> 'GBOND' and is_active"
    )
    assert f"and {owed} owing history" in kinds["attention"]["message"]
    assert "Skipped tickers grew from 0 to 1" in kinds["skipped_grew"]["message"]
    assert all(a["run_id"] == run.run_id for a in recorded)
    assert not any(TOKEN in a["message"] or TOKEN in a["subject"] for a in recorded)


def test_a_failed_run_sends_its_failed_tasks(pipeline, recorded):  # noqa: F811
    run = pipeline.run("data_collection_equities", D1, {"tickers": ["NOSUCH.US"]})
    assert str(run.state) == "failed"
    assert len(recorded) == 1, recorded
    message = recorded[0]["message"]
    assert recorded[0]["subject"] == "screener: task_failed"
    assert f"data_collection_equities run {run.run_id}: task start_execution failed" in message
    assert "from monitor.execution_summary" in message
    assert TOKEN not in message


class _Hook(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):  # noqa: N802
        _Hook.received.append((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_connections_choose_the_notifiers(monkeypatch):
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier
    from screener_common import alerts

    for name in ("AIRFLOW_CONN_SCREENER_ALERTS_SMTP", "AIRFLOW_CONN_SCREENER_ALERTS_SLACK"):
        monkeypatch.delenv(name, raising=False)
    assert [type(n) for n in alerts.configured_notifiers("s", "m")] == [alerts.LogNotifier]

    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv(
        "AIRFLOW_CONN_SCREENER_ALERTS_SMTP",
        json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "extra": {"to": "ops@example.com"}}),
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_SCREENER_ALERTS_SLACK",
        json.dumps(
            {"conn_type": "http", "host": f"http://127.0.0.1:{server.server_port}/services", "password": "T0/B0/secret"}
        ),
    )
    try:
        notifiers = alerts.configured_notifiers("screener: quota", "22 of 24 calls used today")
        assert [type(n) for n in notifiers] == [alerts.LogNotifier, SmtpNotifier, alerts.SlackWebhookNotifier]
        notifiers[2].notify({})
    finally:
        server.shutdown()
    path, body = _Hook.received[-1]
    assert path == "/services/T0/B0/secret"
    assert json.loads(body) == {"text": "*screener: quota*\n22 of 24 calls used today"}

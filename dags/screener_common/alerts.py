"""Alerts through Airflow notifiers: what to say comes from the database (pipeline.check_alerts
after a collection run; the DAG run's own state when a run fails), where it goes from the
connections that exist:

- `screener_alerts_smtp` (an SMTP connection; recipients in its extra `{"to": "ops@example.com"}`
  or `SCREENER_ALERT_EMAIL_TO`): Airflow's SmtpNotifier;
- `screener_alerts_slack` (host: the webhook base, e.g. https://hooks.slack.com/services;
  password: the rest of the webhook URL): a Slack incoming-webhook post;
- neither: the alert is only logged (always logged in any case).

A task that fails for good sends its own alert (on_task_failure, in each DAG's default_args).

A message carries the numbers and the psql line to look further, never a secret: it is built
from database counts and run ids only. A notifier that fails is logged; it never fails the task.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from typing import Any

from airflow.sdk import BaseNotifier

from screener_common import settings

SMTP_CONN_ID = "screener_alerts_smtp"
SLACK_CONN_ID = "screener_alerts_slack"
log = logging.getLogger(__name__)


class LogNotifier(BaseNotifier):
    """Writes the alert to the task (or callback) log."""

    template_fields = ()

    def __init__(self, subject: str, message: str):
        super().__init__()
        self.subject, self.message = subject, message

    def notify(self, context) -> None:
        log.warning("ALERT %s: %s", self.subject, self.message)


class SlackWebhookNotifier(BaseNotifier):
    """Posts `{"text": ...}` to a Slack incoming webhook named by a connection."""

    template_fields = ()

    def __init__(self, conn_id: str, subject: str, message: str, timeout: float = 10.0):
        super().__init__()
        self.conn_id, self.subject, self.message, self.timeout = conn_id, subject, message, timeout

    def notify(self, context) -> None:
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(self.conn_id)
        url = (conn.host or "").rstrip("/") + ("/" + conn.password.lstrip("/") if conn.password else "")
        body = json.dumps({"text": f"*{self.subject}*\n{self.message}"}).encode()
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (operator's URL)
            response.read()


def _connection(conn_id: str):
    from airflow.sdk import BaseHook

    try:
        return BaseHook.get_connection(conn_id)
    except Exception:  # not defined (AirflowNotFoundException and its Task SDK variants)
        return None


def configured_notifiers(subject: str, message: str) -> list[BaseNotifier]:
    """The log, plus SMTP and/or Slack when their connection exists."""
    notifiers: list[BaseNotifier] = [LogNotifier(subject, message)]
    smtp = _connection(SMTP_CONN_ID)
    if smtp is not None:
        to = (smtp.extra_dejson or {}).get("to") or os.environ.get("SCREENER_ALERT_EMAIL_TO")
        if to:
            from airflow.providers.smtp.notifications.smtp import SmtpNotifier

            notifiers.append(
                SmtpNotifier(to=to, subject=subject, html_content=f"<pre>{message}</pre>", smtp_conn_id=SMTP_CONN_ID)
            )
        else:
            log.warning("connection %s has no recipients (extra 'to' or SCREENER_ALERT_EMAIL_TO)", SMTP_CONN_ID)
    if _connection(SLACK_CONN_ID) is not None:
        notifiers.append(SlackWebhookNotifier(SLACK_CONN_ID, subject, message))
    return notifiers


def send(alerts: list[dict[str, Any]], context) -> int:
    """Send each alert ({"alert": kind, "message": text, ...numbers}) through every notifier."""
    sent = 0
    for alert in alerts:
        subject = f"screener: {alert['alert']}"
        for notifier in configured_notifiers(subject, alert["message"]):
            try:
                # notify(), not __call__: the text is final (nothing to render, and a DAG callback's
                # context in Airflow 3.3 holds a SerializedDAG, which cannot render templates)
                notifier.notify(context)
                sent += 1
            except Exception:
                log.exception("alert %s could not be sent through %s", alert["alert"], type(notifier).__name__)
    return sent


def collection_alerts(execution_id: int, context) -> list[dict[str, Any]]:
    """pipeline.check_alerts for a finished collection run, sent; returns the alerts."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    row = PostgresHook(postgres_conn_id=settings.DB_CONN_ID).get_first(
        "select pipeline.check_alerts(%s)::text", parameters=(execution_id,)
    )
    alerts = json.loads(row[0]) if row and row[0] else []
    send(alerts, context)
    return alerts


def on_task_failure(context) -> None:
    """Task on_failure_callback (through the DAG's default_args; called once a task failed for
    good, not on a retry): the run will fail. check_execution sends its own alert, with the
    execution's numbers, before it fails; so does nothing here. The exception text is left out
    (it is in the task log): only ids and the psql line."""
    ti = context.get("ti")
    task_id = getattr(ti, "task_id", None) or "?"
    if task_id == "check_execution":
        return
    if getattr(ti, "map_index", -1) not in (-1, None):
        task_id = f"{task_id}[{ti.map_index}]"
    dag_run = context.get("dag_run")
    dag_id = getattr(dag_run, "dag_id", None) or getattr(ti, "dag_id", "?")
    run_id = getattr(dag_run, "run_id", None) or getattr(ti, "run_id", "?")
    message = (
        f"{dag_id} run {run_id}: task {task_id} failed (its log has the error). "
        "Look further: select execution_id, process_name, run_id, status, stop_reason"
        " from monitor.execution_summary order by execution_id desc limit 5;"
    )
    send([{"alert": "task_failed", "message": message}], context)


def default_args_with_alerts() -> dict:
    """settings.default_args() plus the failure alert of every task."""
    return {**settings.default_args(), "on_failure_callback": on_task_failure}

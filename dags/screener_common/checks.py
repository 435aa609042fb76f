"""The last task of a run: fail the DAG run when the execution failed, else emit its outlets."""

from __future__ import annotations

from airflow.sdk import task

from screener_common import settings


def check_execution(outlets: list | None = None, alerts: bool = False):
    """`alerts`: send what pipeline.check_alerts finds after the run (screener_common.alerts)."""

    @task(task_id="check_execution", outlets=outlets or [], retries=0)
    def _check(ti=None, **context) -> str:
        from airflow.providers.postgres.hooks.postgres import PostgresHook
        from airflow.sdk.exceptions import AirflowException

        execution_id = int(ti.xcom_pull(task_ids="start_execution")[0][0])
        row = PostgresHook(postgres_conn_id=settings.DB_CONN_ID).get_first(
            "select status, summary::text from pipeline.process_executions where execution_id = %s",
            parameters=(execution_id,),
        )
        if row is None:
            raise AirflowException(f"execution {execution_id} not found")
        status, summary = row
        print(f"execution {execution_id}: {status} {summary}")
        if alerts:
            from screener_common.alerts import collection_alerts

            try:
                collection_alerts(execution_id, {**context, "ti": ti})
            except Exception as exc:  # an alert that cannot be worked out never hides the run's status
                print(f"alerts for execution {execution_id} failed: {exc}")
        if status not in ("success", "partial"):
            raise AirflowException(f"execution {execution_id} ended {status}: {summary}")
        return status

    return _check()

"""SQL tasks: one SQLExecuteQueryOperator calling one database function with bound parameters."""

from __future__ import annotations

from typing import Any

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

from screener_common import settings


def sql_task(task_id: str, sql: str, parameters: dict[str, Any] | None = None, **kwargs: Any):
    """`sql` names the function and its %(placeholders)s; values come only through parameters."""
    return SQLExecuteQueryOperator(
        task_id=task_id,
        conn_id=settings.DB_CONN_ID,
        sql=sql,
        parameters=parameters or {},
        **kwargs,
    )


# The run's own parameters as JSON, the same for every kind of trigger (schedule, Trigger form,
# `airflow dags trigger -c`, REST API): each DAG Param that was given a value (a Param left
# null, empty or false is "not given", so the DAG's defaults stay), then every other
# dag_run.conf key as it came, so the database names unknown keys too. `workers` is Airflow's.
RUN_PARAMETERS = (
    "{% set given = {} %}"
    "{% for key, value in (dag_run.conf or {}).items() if key not in dag.params and key != 'workers' %}"
    "{% do given.update({key: value}) %}{% endfor %}"
    "{% for key, value in params.items() if key in dag.params and key != 'workers' and value %}"
    "{% do given.update({key: value}) %}{% endfor %}"
    "{{ given | tojson }}"
)


def start_execution(process_name: str, defaults: dict[str, Any] | None = None):
    """pipeline.start_execution for this run: the parameters given, and the DAG's defaults,
    which they override (the database stores both; only what was given counts as a selection).

    Bad parameters (unknown key, ticker or exchange, malformed date) raise in the database
    with a message naming the problem, so the run fails here, before any API call, and at
    once: the task is not retried (a validation error stays one; re-trigger the run after a
    database outage).
    """
    import json

    return sql_task(
        "start_execution",
        "select pipeline.start_execution(%(process_name)s, %(run_id)s, %(as_of)s::timestamptz,"
        " %(parameters)s::jsonb, %(defaults)s::jsonb)",
        {
            "process_name": process_name,
            "run_id": "{{ run_id }}",
            "as_of": settings.AS_OF,
            "defaults": json.dumps(defaults or {}, sort_keys=True),
            "parameters": RUN_PARAMETERS,
        },
        retries=0,
    )


def finish_execution():
    """pipeline.finish_execution: always runs (all_done) so no execution stays 'running'.

    When start_execution itself failed (bad conf) there is no execution: nothing is called.
    """
    return sql_task(
        "finish_execution",
        "select pipeline.finish_execution(x.execution_id)"
        " from (select nullif(%(execution_id)s, '')::bigint as execution_id) as x"
        " where x.execution_id is not null",
        {"execution_id": settings.EXECUTION_ID_OR_EMPTY},
        trigger_rule="all_done",
    )

"""The data collection DAG, built from configuration (data_collection_equities, _bonds).

start_execution -> sync_universe -> discover_delta -> plan_workers -> fetch (mapped, pool
eodhd_api) -> finish_execution (all_done) -> check_execution (fails the run when the
execution failed or a step before the fetch failed; on success or partial emits the prices
Asset that schedules indicators).
"""
from __future__ import annotations

from airflow.sdk import Asset, Param, dag, task

from screener_common import settings
from screener_common.checks import check_execution
from screener_common.fetcher_task import fetcher_task
from screener_common.sql import finish_execution, sql_task, start_execution

# Updated by every collection run that ended success or partial; schedules calculate_indicators.
PRICES_ASSET = Asset(name="screener_prices", uri="postgres://screener-db:5432/screener/market/stock_prices")


def build_collection_dag(dag_id: str, *, universes: list[str], exchanges: list[str],
                         schedule: str, description: str, tags: list[str]):
    @dag(
        dag_id=dag_id,
        description=description,
        schedule=schedule,
        start_date=settings.START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=settings.default_args(),
        tags=["screener", *tags],
        params={
            "workers": Param(settings.default_workers(), type="integer", minimum=1, maximum=32,
                             description="parallel fetcher workers"),
        },
        doc_md=__doc__,
    )
    def collection():
        start = start_execution(dag_id, {"exchanges": exchanges})

        universe_args = ["sync-universe", "--as-of", settings.AS_OF_DATE, "--dir", settings.tickers_dir()]
        for name in universes:
            universe_args += ["--universe", name]
        sync = fetcher_task("sync_universe", universe_args)

        discover = sql_task(
            "discover_delta",
            "select pipeline.discover_delta(%(execution_id)s::bigint)",
            {"execution_id": settings.EXECUTION_ID},
        )

        @task(retries=0)
        def plan_workers(params=None, ti=None) -> list[list[str]]:
            """One fetcher argument list per worker (ids only: the plan lives in the database)."""
            execution_id = str(int(ti.xcom_pull(task_ids="start_execution")[0][0]))
            return [["run", "--execution-id", execution_id, "--worker-name", f"{dag_id}-w{i}",
                     "--rate-share", str(settings.EODHD_POOL_SLOTS)]
                    for i in range(int(params["workers"]))]

        workers = plan_workers()
        fetch = fetcher_task("fetch", expand_args=workers, pool=settings.EODHD_POOL)
        finish = finish_execution()
        check = check_execution(outlets=[PRICES_ASSET])

        start >> sync >> discover >> workers >> fetch >> finish >> check
        # A failed fetch worker leaves a partial execution (the check decides); a failure
        # before the fetch fails the run even though finishing ran.
        [start, sync, discover, workers] >> check

    return collection()

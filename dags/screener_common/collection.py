"""The data collection DAG factory: data_collection_equities and data_collection_bonds are built
here from configuration; each DAG file passes its own description and doc_md.

start_execution -> sync_universe -> discover_delta -> plan_workers -> fetch (mapped, pool
eodhd_api) -> finish_execution (all_done) -> check_execution (fails the run when the
execution failed or a step before the fetch failed; on success or partial emits the prices
Asset that schedules indicators).
"""

from __future__ import annotations

import json

from airflow.sdk import Asset, Param, dag, task

from screener_common import settings
from screener_common.alerts import default_args_with_alerts
from screener_common.checks import check_execution
from screener_common.fetcher_task import fetcher_task
from screener_common.sql import finish_execution, sql_task, start_execution

# Updated by every collection run that ended success or partial; schedules calculate_indicators.
PRICES_ASSET = Asset(name="screener_prices", uri="postgres://screener-db:5432/screener/market/stock_prices")
COMPONENTS = ["prices", "fundamentals", "corporate_actions"]


def collection_params(exchanges: list[str]) -> dict[str, Param]:
    """The Trigger form of a collection DAG (also `airflow dags trigger -c '{...}'`).

    A field left empty (null, no item, "") or a switch left off means "not given": the DAG's
    defaults apply, so a scheduled run is the same as before. Airflow checks only the shapes;
    pipeline.start_execution checks the values (unknown ticker, exchange or component, a
    malformed date) and fails the first task with a message naming them.
    """
    return {
        "workers": Param(
            settings.default_workers(),
            type="integer",
            minimum=1,
            maximum=32,
            title="Workers",
            description="parallel fetcher workers",
        ),
        "tickers": Param(
            None,
            type=["null", "array"],
            items={"type": "string"},
            title="Tickers",
            description="only these EODHD codes, one per line (e.g. AAPL.US); empty: all",
        ),
        "exchanges": Param(
            None,
            type=["null", "array"],
            items={"type": "string"},
            examples=exchanges,
            title="Exchanges",
            description=f"only these exchanges; empty: the DAG's own ({', '.join(exchanges)})",
        ),
        "force": Param(
            False, type="boolean", title="Force", description="reprocess the selection even when it is up to date"
        ),
        "all": Param(
            False,
            type="boolean",
            title="All",
            description="with force and no tickers or exchanges: yes, the whole universe",
        ),
        "from_date": Param(
            None,
            type=["null", "string"],
            title="From date",
            description="YYYY-MM-DD: load price history from this date (backfill)",
        ),
        "components": Param(
            None,
            type=["null", "array"],
            items={"type": "string"},
            examples=COMPONENTS,
            title="Components",
            description="what to fetch; empty: prices and fundamentals",
        ),
    }


def params_doc(params: dict[str, Param]) -> str:
    """The Trigger parameters as a Markdown table for a DAG's doc_md (one source: the Params)."""

    def default(value) -> str:
        return "empty" if value is None else f"`{json.dumps(value)}`"

    return "\n".join(
        [
            "#### Trigger parameters",
            "In the Trigger form, or as `airflow dags trigger <dag_id> -c '{\"force\": true, ...}'` (any of these keys).",
            "Empty means not given; `pipeline.start_execution` validates the values before any API call.",
            "",
            "| key | meaning | default |",
            "|---|---|---|",
            *(f"| `{name}` | {p.description} | {default(p.value)} |" for name, p in params.items()),
        ]
    )


def build_collection_dag(
    dag_id: str,
    *,
    universes: list[str],
    exchanges: list[str],
    schedule: str,
    description: str,
    tags: list[str],
    doc_md: str,
):
    params = collection_params(exchanges)

    @dag(
        dag_id=dag_id,
        description=description,
        schedule=schedule,
        start_date=settings.START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args_with_alerts(),
        tags=["screener", *tags],
        params=params,
        doc_md=f"{doc_md.strip()}\n\n{params_doc(params)}\n",
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
            return [
                [
                    "run",
                    "--execution-id",
                    execution_id,
                    "--worker-name",
                    f"{dag_id}-w{i}",
                    "--rate-share",
                    str(settings.EODHD_POOL_SLOTS),
                ]
                for i in range(int(params["workers"]))
            ]

        workers = plan_workers()
        fetch = fetcher_task("fetch", expand_args=workers, pool=settings.EODHD_POOL)
        finish = finish_execution()
        check = check_execution(outlets=[PRICES_ASSET], alerts=True)

        start >> sync >> discover >> workers >> fetch >> finish >> check
        # A failed fetch worker leaves a partial execution (the check decides); a failure
        # before the fetch fails the run even though finishing ran.
        [start, sync, discover, workers] >> check

    return collection()

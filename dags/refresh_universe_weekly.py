"""refresh_universe_weekly: refresh the symbol lists from EODHD (exchange-symbol-list, one call
per exchange, charged to this run's execution), then sync them into the universe.

New listings get a state row and are planned (initial load) by the next collection run;
fundamentals are refreshed per asset on the schedule in pipeline.settings. In Kubernetes mode
the two pods share the files through SCREENER_K8S_TICKERS_PVC. Both read and write
SCREENER_TICKERS_DIR (default: the project's config/tickers).
"""

from airflow.sdk import dag
from screener_common import settings
from screener_common.checks import check_execution
from screener_common.fetcher_task import fetcher_task
from screener_common.sql import finish_execution, start_execution


@dag(
    schedule="0 6 * * 6",
    start_date=settings.START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=settings.default_args(),
    tags=["screener", "universe"],
    doc_md=__doc__,
)
def refresh_universe_weekly():
    start = start_execution("refresh_universe_weekly")
    tickers = settings.tickers_dir()
    refresh = fetcher_task(
        "refresh_universe",
        ["refresh-universe", "--execution-id", settings.EXECUTION_ID, "--dir", tickers],
        pool=settings.EODHD_POOL,
    )
    sync = fetcher_task("sync_universe", ["sync-universe", "--as-of", settings.AS_OF_DATE, "--dir", tickers])
    finish = finish_execution()
    check = check_execution()

    start >> refresh >> sync >> finish >> check
    [start, refresh, sync] >> check  # the run fails when a step failed, though finishing ran


refresh_universe_weekly()

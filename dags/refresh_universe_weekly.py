"""refresh_universe_weekly: refresh the symbol lists from EODHD, then sync them into the universe.

New listings get a state row and are planned (initial load) by the next collection run;
fundamentals are refreshed per asset on the schedule in pipeline.settings.
"""
from airflow.sdk import dag

from screener_common import settings
from screener_common.fetcher_task import fetcher_task


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
    refresh = fetcher_task("refresh_universe", ["refresh-universe"], pool=settings.EODHD_POOL)
    sync = fetcher_task("sync_universe", ["sync-universe", "--as-of", settings.AS_OF_DATE])

    refresh >> sync


refresh_universe_weekly()

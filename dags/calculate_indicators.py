"""calculate_indicators: after each collection run that landed prices, advance the indicators
and refresh the screener. Scheduled on the prices Asset; runnable by hand."""

from airflow.sdk import dag
from screener_common import settings
from screener_common.alerts import default_args_with_alerts
from screener_common.checks import check_execution
from screener_common.collection import PRICES_ASSET
from screener_common.sql import finish_execution, sql_task, start_execution


@dag(
    schedule=[PRICES_ASSET],
    start_date=settings.START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args_with_alerts(),
    tags=["screener", "indicators"],
    doc_md=__doc__,
)
def calculate_indicators():
    start = start_execution("calculate_indicators")
    refresh = sql_task(
        "refresh_indicators",
        "select market.refresh_indicators(%(as_of)s::date)",
        {"as_of": settings.AS_OF_DATE},
    )
    screener = sql_task("refresh_screener", "select market.refresh_screener()")
    finish = finish_execution()
    check = check_execution()

    start >> refresh >> screener >> finish >> check
    [start, refresh, screener] >> check  # the run fails when a step failed, though finishing ran


calculate_indicators()

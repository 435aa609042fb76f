"""maintenance_daily: reap expired leases and stale executions, prune old logs and raw payloads
(retention in pipeline.settings; in batches, one short transaction each), then analyze the hot tables."""

from airflow.sdk import dag
from screener_common import settings
from screener_common.alerts import default_args_with_alerts
from screener_common.sql import sql_task

# A collection run's fetchers stop after 50 minutes; an execution running this long is dead.
STALE_AFTER = "6 hours"


@dag(
    schedule="0 4 * * *",
    start_date=settings.START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args_with_alerts(),
    tags=["screener", "maintenance"],
    doc_md=__doc__,
)
def maintenance_daily():
    leases = sql_task(
        "reap_expired_leases", "select pipeline.reap_expired_leases(%(now)s::timestamptz)", {"now": settings.AS_OF}
    )
    stale = sql_task(
        "reap_stale_executions",
        "select pipeline.reap_stale_executions(%(older_than)s::interval, %(now)s::timestamptz)",
        {"older_than": STALE_AFTER, "now": settings.AS_OF},
    )

    # one short transaction per batch (the procedure commits): needs autocommit
    prune = sql_task(
        "prune_logs",
        "call pipeline.prune_logs_in_batches(%(now)s::timestamptz)",
        {"now": settings.AS_OF},
        autocommit=True,
    )
    analyze = sql_task(
        "analyze_hot_tables",
        "analyze pipeline.asset_processing_state, pipeline.work_items, pipeline.api_calls,"
        " market.stock_prices, raw.eodhd_payloads",
    )

    leases >> stale >> prune >> analyze


maintenance_daily()

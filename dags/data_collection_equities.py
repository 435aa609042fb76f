"""data_collection_equities (airflow DAG): every weekday after the US close, bring equity prices up to date.

Manual runs take dag_run.conf: {"tickers": [...], "exchanges": [...], "force": true,
"from_date": "YYYY-MM-DD"} (validated by pipeline.start_execution before any API call).
"""
from screener_common.collection import build_collection_dag

build_collection_dag(
    "data_collection_equities",
    universes=["nyse", "nasdaq", "lse", "frankfurt", "xetra", "euronext", "bme", "six"],
    exchanges=["US", "LSE", "F", "XETRA", "PA", "AS", "BR", "LS", "MC", "SW"],
    schedule="30 21 * * 1-5",
    description="EOD prices, fundamentals and corporate actions for the equity universe",
    tags=["collection", "equities"],
)

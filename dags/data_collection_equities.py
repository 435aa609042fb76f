"""### data_collection_equities (Airflow DAG)
Every weekday after the US close (21:30 UTC), bring the equity universe up to date: prices,
fundamentals and corporate actions for the tickers of `config/tickers` (nyse, nasdaq, lse,
frankfurt, xetra, euronext, bme, six) on exchanges US, LSE, F, XETRA, PA, AS, BR, LS, MC, SW.

`start_execution` → `sync_universe` → `discover_delta` (what is behind, within the API quota)
→ `plan_workers` → `fetch` (mapped fetcher workers, pool `eodhd_api`) → `finish_execution` →
`check_execution`. A run that ends success or partial updates the `screener_prices` Asset,
which triggers `calculate_indicators`. Each run is one row of `monitor.execution_summary`.
"""

# (The words "airflow" and "dag" in this file make the DAG processor parse it: safe mode.)
from screener_common.collection import build_collection_dag

build_collection_dag(
    "data_collection_equities",
    universes=["nyse", "nasdaq", "lse", "frankfurt", "xetra", "euronext", "bme", "six"],
    exchanges=["US", "LSE", "F", "XETRA", "PA", "AS", "BR", "LS", "MC", "SW"],
    schedule="30 21 * * 1-5",
    description="EOD prices, fundamentals and corporate actions for the equity universe",
    tags=["collection", "equities"],
    doc_md=__doc__,
)

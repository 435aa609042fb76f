"""### data_collection_bonds (Airflow DAG)
Every weekday evening (21:45 UTC), bring the government bond yields of
`config/tickers/bonds.txt` (exchange GBOND) up to date: end-of-day yields only, no
fundamentals.

The same steps as `data_collection_equities`: `start_execution` → `sync_universe` →
`discover_delta` → `plan_workers` → `fetch` (pool `eodhd_api`, shared with the equities) →
`finish_execution` → `check_execution`, which updates the `screener_prices` Asset on success
or partial.
"""

# (The words "airflow" and "dag" in this file make the DAG processor parse it: safe mode.)
from screener_common.collection import build_collection_dag

build_collection_dag(
    "data_collection_bonds",
    universes=["bonds"],
    exchanges=["GBOND"],
    schedule="45 21 * * 1-5",
    description="EOD government bond yields (config/tickers/bonds.txt)",
    tags=["collection", "bonds"],
    doc_md=__doc__,
)

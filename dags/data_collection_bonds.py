"""data_collection_bonds (airflow DAG): every weekday evening, bring government bond yields up to date."""
from screener_common.collection import build_collection_dag

build_collection_dag(
    "data_collection_bonds",
    universes=["bonds"],
    exchanges=["GBOND"],
    schedule="45 21 * * 1-5",
    description="EOD government bond yields (config/tickers/bonds.txt)",
    tags=["collection", "bonds"],
)

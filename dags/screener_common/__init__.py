"""Shared building blocks of the screener DAGs: settings, SQL tasks, the fetcher task factory.

Nothing here touches the database, the network or Airflow Variables at import time.
"""

"""Database connections for the fetcher."""

from __future__ import annotations

import psycopg

APPLICATION_NAME = "screener-fetcher"


def connect(database_url: str, *, autocommit: bool = True) -> psycopg.Connection:
    """Open a connection; workers keep transactions short (claim, then record)."""
    return psycopg.connect(
        database_url,
        autocommit=autocommit,
        application_name=APPLICATION_NAME,
        options="-c idle_in_transaction_session_timeout=60000",
    )

"""Configuration from the environment, in one place, and the database connection.

DATABASE_URL   PostgreSQL connection URL of the screener database (required)
NO_COLOR       set (to anything): `status` prints no colours even on a terminal
"""

from __future__ import annotations

import os

import psycopg


class ScreenerError(Exception):
    """A problem the person running the command can act on (exit 2, the message on stderr)."""


def database_url(env: dict[str, str] | None = None) -> str:
    url = (os.environ if env is None else env).get("DATABASE_URL", "")
    if not url:
        raise ScreenerError("DATABASE_URL is not set: point it at the screener database (make targets set it)")
    return url


def connect(url: str | None = None) -> psycopg.Connection:
    """A read-only, autocommit connection (these tools never change anything)."""
    try:
        conn = psycopg.connect(
            url or database_url(), autocommit=True, application_name="screener-cli", connect_timeout=10
        )
    except psycopg.OperationalError as exc:
        raise ScreenerError(f"cannot connect to the database: {str(exc).strip()}") from exc
    conn.execute("set default_transaction_read_only = on")
    return conn

"""The benchmarks' shared set-up: a fresh scratch database built by db/migrate.sh, weekday
trading calendars, the real universe's sizes and the indicator catalog.

Benchmarks import it as `bench.common` (each puts the project root on sys.path first).
"""

from __future__ import annotations

import argparse
import os

import psycopg

from tests.dbutil import migrate, url_for

# The real universe (21,817 codes) by listing venue: (EODHD exchange, count). NYSE and NASDAQ
# are both EODHD exchange US; Euronext counted on PA.
SIZES = {
    "NYSE": ("US", 2339),
    "NASDAQ": ("US", 4086),
    "LSE": ("LSE", 3145),
    "FRA": ("F", 10209),
    "XETRA": ("XETRA", 691),
    "EURONEXT": ("PA", 890),
    "BME": ("MC", 239),
    "SIX": ("SW", 218),
}


def add_scale_arguments(parser: argparse.ArgumentParser, dbname: str) -> None:
    """--assets, --bars and --dbname of the benchmarks on synthetic bars (bench_indicators.load)."""
    parser.add_argument("--assets", type=int, default=21817)
    parser.add_argument("--bars", type=int, default=504)
    parser.add_argument("--dbname", default=dbname)


def fresh_database(dbname: str, server: str | None = None) -> str:
    """Drop and re-create `dbname` on the server (default DATABASE_URL), migrate it; returns its URL."""
    server = server or os.environ["DATABASE_URL"]
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{dbname}" with (force)')
        admin.execute(f'create database "{dbname}"')
    url = url_for(dbname, server)
    migrate(url)
    return url


def add_weekday_sessions(conn: psycopg.Connection, first: str, last: str) -> None:
    """A session every weekday from first to last (SQL date expressions) on every exchange."""
    conn.execute(f"""
        insert into market.trading_sessions (exchange_code, session_date, open_at, close_at)
        select e.exchange_code, d::date, (d::date + time '09:00') at time zone e.timezone,
               (d::date + e.session_close) at time zone e.timezone
        from market.exchanges e cross join generate_series({first}, {last}, '1 day') d
        where extract(isodow from d) < 6
        on conflict do nothing""")


def add_universe(conn: psycopg.Connection, sizes: dict[str, tuple[str, int]] = SIZES) -> None:
    """Assets <VEN><n>.<EXCHANGE> per venue of sizes, each with its processing state."""
    for venue, (exchange, n) in sizes.items():
        conn.execute(
            """
            with ins as (
                insert into market.assets (ticker, symbol, exchange_code, listing_venue)
                select %(v)s || g || '.' || %(e)s, %(v)s || g, %(e)s, %(v)s
                from generate_series(1, %(n)s) g returning asset_id)
            insert into pipeline.asset_processing_state (asset_id) select asset_id from ins
            on conflict do nothing""",
            {"v": venue[:3], "e": exchange, "n": n},
        )


def catalog_columns(conn: psycopg.Connection) -> tuple[list[dict], list[str]]:
    """market.indicator_catalog as dicts, and the value columns of market.technical_indicators."""
    cur = conn.execute("select * from market.indicator_catalog")
    names = [d.name for d in cur.description]
    catalog = [dict(zip(names, r)) for r in cur.fetchall()]
    columns = [
        r[0]
        for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'market' "
            "and table_name = 'technical_indicators' and column_name not in ('asset_id', 'trade_date') "
            "order by ordinal_position"
        )
    ]
    return catalog, columns

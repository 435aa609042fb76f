"""Fill market.trading_sessions from the exchange-calendars package.

Every exchange of market.exchanges with a calendar code gets its sessions from a few years
back to one year ahead, with open and close instants (UTC) and half-days flagged.
Idempotent: sessions are upserted, sessions the calendar no longer has are removed.
"""

from __future__ import annotations

import datetime as dt
import logging

import exchange_calendars as xcals
import pandas as pd
import psycopg

log = logging.getLogger(__name__)


def session_rows(calendar_code: str, start: dt.date, end: dt.date) -> list[tuple]:
    """(session_date, open_at, close_at, is_half_day) for one calendar."""
    cal = xcals.get_calendar(calendar_code, start=pd.Timestamp(start), end=pd.Timestamp(end))
    sessions = cal.sessions  # already bounded by start and end
    opens = cal.schedule.loc[sessions, "open"]
    closes = cal.schedule.loc[sessions, "close"]
    early = set(cal.early_closes) if hasattr(cal, "early_closes") else set()
    rows = []
    for session, open_at, close_at in zip(sessions, opens, closes):
        rows.append(
            (
                session.date(),
                open_at.to_pydatetime(),
                close_at.to_pydatetime(),
                session in early,
            )
        )
    return rows


def load_calendars(
    conn: psycopg.Connection,
    *,
    start: dt.date,
    end: dt.date,
    exchanges: list[str] | None = None,
) -> dict[str, int]:
    """Load sessions for every exchange (or the ones named); returns sessions per exchange."""
    with conn.cursor() as cur:
        cur.execute(
            "select exchange_code, calendar_code from market.exchanges"
            " where calendar_code is not null order by exchange_code"
        )
        targets = [(e, c) for e, c in cur.fetchall() if exchanges is None or e in exchanges]
    if exchanges:
        unknown = sorted(set(exchanges) - {e for e, _ in targets})
        if unknown:
            raise ValueError(f"load-calendars: unknown exchange code(s): {', '.join(unknown)}")
    cache: dict[str, list[tuple]] = {}
    counts: dict[str, int] = {}
    for exchange_code, calendar_code in targets:
        if calendar_code not in cache:
            cache[calendar_code] = session_rows(calendar_code, start, end)
        rows = cache[calendar_code]
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(
                "delete from market.trading_sessions where exchange_code = %s"
                " and session_date between %s and %s and not (session_date = any(%s))",
                (exchange_code, start, end, [r[0] for r in rows]),
            )
            cur.executemany(
                "insert into market.trading_sessions"
                " (exchange_code, session_date, open_at, close_at, is_half_day)"
                " values (%s, %s, %s, %s, %s)"
                " on conflict (exchange_code, session_date) do update set"
                " open_at = excluded.open_at, close_at = excluded.close_at,"
                " is_half_day = excluded.is_half_day"
                " where (market.trading_sessions.open_at, market.trading_sessions.close_at,"
                " market.trading_sessions.is_half_day)"
                " is distinct from (excluded.open_at, excluded.close_at, excluded.is_half_day)",
                [(exchange_code, *r) for r in rows],
            )
        counts[exchange_code] = len(rows)
        log.info("calendar %s (%s): %d sessions %s..%s", exchange_code, calendar_code, len(rows), start, end)
    return counts

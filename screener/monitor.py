"""Reads of the monitor views shared by `status` and `report`: one row per exchange with its
active assets split into exclusive states, the quota today, the last runs, the top failures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg

# Each active asset is in exactly one state, the first that applies (monitor.asset_status.reason,
# plus consecutive_failures for a failing asset that is also behind):
STATES = ("current", "behind", "owed", "failing", "skipped")
STATE_HELP = {
    "current": "has the expected session's bar, no failure",
    "behind": "older than the expected session, or a gap (reason behind, gap)",
    "owed": "history still owed (reason initial load owed, history owed)",
    "failing": "failures since its last success, backing off (consecutive_failures > 0)",
    "skipped": "at the failure limit: not planned until pipeline.request_reprocess",
}

EXCHANGES_SQL = """
with classified as (
    select s.exchange_code, s.prices_last_date, s.expected_session,
           case
               when s.reason = 'skipped' then 'skipped'
               when s.reason in ('initial load owed', 'history owed') then 'owed'
               when s.consecutive_failures > 0 then 'failing'
               when s.reason is not null then 'behind'
               else 'current'
           end as state
    from monitor.asset_status as s
    where s.is_active
)
select exchange_code,
       count(*) as active,
       count(prices_last_date) as loaded,
       count(*) filter (where state = 'current') as current,
       count(*) filter (where state = 'behind') as behind,
       count(*) filter (where state = 'owed') as owed,
       count(*) filter (where state = 'failing') as failing,
       count(*) filter (where state = 'skipped') as skipped,
       max(prices_last_date) as latest_bar,
       max(expected_session) as expected_session
from classified
group by exchange_code
order by count(*) desc, exchange_code
"""

QUOTA_SQL = "select utc_day, daily_quota, quota_buffer, used, reserved, remaining from monitor.quota_today"

RUNS_SQL = """
select execution_id, process_name, as_of, status, items, items_done, items_failed, items_cancelled,
       items_pending + items_claimed as items_open, api_calls, api_cost,
       extract(epoch from duration)::float8 as seconds, stop_reason, started_at
from monitor.execution_summary
order by started_at desc, execution_id desc
limit %s
"""

# the reason and the last error's first line, most frequent first, with one example ticker
FAILURES_SQL = """
select coalesce(s.reason, 'failing') as reason,
       coalesce(nullif(split_part(s.last_error, E'\\n', 1), ''), s.skip_reason, '(no error recorded)') as error,
       count(*) as assets,
       min(s.ticker) as example,
       max(s.consecutive_failures) as max_failures
from monitor.asset_status as s
where s.is_active and (s.consecutive_failures > 0 or s.is_skipped)
group by 1, 2
order by count(*) desc, 1, 2
limit %s
"""

REASONS_SQL = """
select s.reason, count(*) from monitor.asset_status as s
where s.is_active and s.reason is not null group by 1 order by 2 desc, 1
"""


@dataclass
class ExchangeRow:
    exchange_code: str
    active: int
    loaded: int
    current: int
    behind: int
    owed: int
    failing: int
    skipped: int
    latest_bar: dt.date | None
    expected_session: dt.date | None

    def count(self, state: str) -> int:
        return getattr(self, state)


def _dicts(cur: psycopg.Cursor) -> list[dict]:
    names = [d.name for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def exchanges(conn: psycopg.Connection) -> list[ExchangeRow]:
    return [ExchangeRow(**r) for r in _dicts(conn.execute(EXCHANGES_SQL))]


def quota(conn: psycopg.Connection) -> dict:
    rows = _dicts(conn.execute(QUOTA_SQL))
    return rows[0]


def runs(conn: psycopg.Connection, limit: int = 8) -> list[dict]:
    return _dicts(conn.execute(RUNS_SQL, (limit,)))


def failures(conn: psycopg.Connection, limit: int = 8) -> list[dict]:
    return _dicts(conn.execute(FAILURES_SQL, (limit,)))


def reasons(conn: psycopg.Connection) -> list[tuple[str, int]]:
    return [(r, int(n)) for r, n in conn.execute(REASONS_SQL).fetchall()]

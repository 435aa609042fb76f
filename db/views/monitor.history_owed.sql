-- monitor.history_owed: the assets that still owe price history (an initial load or a requested
-- backfill not yet answered by the vendor), with why, the failures so far and the next attempt.
-- pipeline.request_reprocess(ticker, 'prices') brings a skipped one back. Read-only, for people.
create or replace view monitor.history_owed as
select
    s.asset_id,
    s.ticker,
    s.exchange_code,
    s.history_owed_from,
    s.reason,
    s.status,
    s.prices_first_date,
    s.prices_last_date,
    s.consecutive_failures,
    s.last_failure_at,
    s.last_error,
    s.next_attempt_at,
    s.is_skipped,
    s.skip_reason
from monitor.asset_status as s
where s.is_active and s.history_owed_from is not null;

comment on view monitor.history_owed is
'Active assets still owed price history: from when, why (initial load owed, history owed, skipped), failures, '
'last error and next attempt.';
comment on column monitor.history_owed.history_owed_from is 'History owed from this date.';
comment on column monitor.history_owed.next_attempt_at is 'Backoff: not planned before this time (null: next run).';

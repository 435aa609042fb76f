-- monitor.asset_status: per asset, its state machine row and how far behind it is now
-- (trading calendar + publication delay), what it is owed and why it needs attention. Read-only,
-- for people.
create or replace view monitor.asset_status as
with expected as (
    select
        e.exchange_code,
        pipeline.get_expected_session(e.exchange_code, now()) as expected_session
    from market.exchanges as e
)

select
    a.asset_id,
    a.ticker,
    a.exchange_code,
    a.is_active,
    s.status,
    s.prices_first_date,
    s.prices_last_date,
    x.expected_session,
    coalesce(s.prices_last_date < x.expected_session, x.expected_session is not null) as is_behind,
    s.prices_gap_from,
    s.fundamentals_fetched_at,
    s.consecutive_failures,
    s.next_attempt_at,
    s.is_skipped,
    s.skip_reason,
    s.reprocess_prices or s.reprocess_fundamentals or s.reprocess_indicators as has_reprocess_request,
    s.last_success_at,
    s.last_failure_at,
    s.last_error,
    s.gaps_checked_through,
    s.corporate_actions_due,
    s.history_from,
    s.history_owed_from,
    pipeline.get_attention_reason(s, a.is_active, x.expected_session) as reason
from market.assets as a
inner join pipeline.asset_processing_state as s on a.asset_id = s.asset_id
left join expected as x on a.exchange_code = x.exchange_code;

comment on view monitor.asset_status is
'Per asset: state, watermarks, expected session now and whether it is behind, failures, backoff, skip and reprocess.';
comment on column monitor.asset_status.expected_session is 'Latest session whose data should be published now.';
comment on column monitor.asset_status.is_behind is 'True when the watermark is older than the expected session.';
comment on column monitor.asset_status.has_reprocess_request is 'A reprocess flag is set.';
comment on column monitor.asset_status.gaps_checked_through is
'Missing sessions up to this date were already asked for (the vendor has none): not planned as gaps.';
comment on column monitor.asset_status.corporate_actions_due is 'Signs of a new split or dividend: a corporate_actions item is due.';
comment on column monitor.asset_status.history_from is 'First date the price history is owed from.';
comment on column monitor.asset_status.history_owed_from is
'History still owed from this date (initial load or requested backfill not yet answered); null: paid.';
comment on column monitor.asset_status.reason is
'Why it needs attention: skipped, initial load owed, history owed, gap, behind, failing; null when nothing is wrong.';

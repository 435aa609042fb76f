-- pipeline.asset_staleness: per active asset, the session expected to be published now
-- (trading calendar + publication delay), its watermark and how many sessions it is behind.
-- Read-only; reads the clock (now()) because it answers "as of now": functions take p_as_of.
create or replace view pipeline.asset_staleness as
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
    s.status,
    s.prices_last_date,
    x.expected_session,
    coalesce(s.prices_last_date < x.expected_session, x.expected_session is not null) as is_behind,
    (
        select count(*) from market.trading_sessions as t
        where
            t.exchange_code = a.exchange_code
            and t.session_date > coalesce(s.prices_last_date, '-infinity'::date)
            and t.session_date <= x.expected_session
    )::integer as sessions_behind
from market.assets as a
inner join pipeline.asset_processing_state as s on a.asset_id = s.asset_id
inner join expected as x on a.exchange_code = x.exchange_code
where a.is_active;

comment on view pipeline.asset_staleness is
'Per active asset: expected (published) session now, watermark, whether and by how many sessions it is behind.';
comment on column pipeline.asset_staleness.expected_session is
'Latest session whose data should be published now (pipeline.get_expected_session).';
comment on column pipeline.asset_staleness.is_behind is 'True when the watermark is older than the expected session.';
comment on column pipeline.asset_staleness.sessions_behind is 'Sessions after the watermark up to the expected session.';

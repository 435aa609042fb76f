-- pipeline.check_history_completeness: the invariant of the price history, checked against the
-- stored bars (not the watermarks). For every active asset: the sessions of its exchange from
-- its history_from to the session expected as of p_as_of that have no bar and lie outside the
-- window the vendor answered (gaps_checked_from .. gaps_checked_through: sessions it does not
-- have), and the reason its state gives (pipeline.get_attention_reason). An asset with missing
-- sessions and no reason is a silent loss: is_unexplained. Read-only; scans the prices of the
-- assets (for people, tests and the maintenance check, not hot paths).
create or replace function pipeline.check_history_completeness(p_as_of timestamptz default null)
returns table (
    asset_id bigint,
    ticker text,
    exchange_code text,
    history_from date,
    expected_session date,
    missing_sessions integer,
    first_missing date,
    last_missing date,
    reason text,
    is_unexplained boolean
)
language sql
stable
security definer
set search_path = ''
as $$
    with expected as (
        select e.exchange_code,
               pipeline.get_expected_session(e.exchange_code, coalesce(p_as_of, now())) as expected_session
        from market.exchanges as e
    ),
    owed as (
        select a.asset_id, a.ticker, a.exchange_code, a.is_active, s, s.history_from, x.expected_session
        from market.assets as a
        inner join pipeline.asset_processing_state as s on a.asset_id = s.asset_id
        inner join expected as x on a.exchange_code = x.exchange_code
        where a.is_active and s.status <> 'inactive'
    ),
    missing as (
        select o.asset_id, count(*)::integer as missing_sessions,
               min(t.session_date) as first_missing, max(t.session_date) as last_missing
        from owed as o
        inner join market.trading_sessions as t
            on t.exchange_code = o.exchange_code
           and t.session_date >= o.history_from
           and t.session_date <= o.expected_session
        where not (t.session_date >= coalesce((o.s).gaps_checked_from, 'infinity')
                   and t.session_date <= coalesce((o.s).gaps_checked_through, '-infinity'))
          and not exists (
              select 1 from market.stock_prices as p
              where p.asset_id = o.asset_id and p.trade_date = t.session_date
          )
        group by o.asset_id
    )
    select o.asset_id, o.ticker, o.exchange_code, o.history_from, o.expected_session,
           coalesce(m.missing_sessions, 0), m.first_missing, m.last_missing,
           pipeline.get_attention_reason(o.s, o.is_active, o.expected_session),
           coalesce(m.missing_sessions, 0) > 0
               and pipeline.get_attention_reason(o.s, o.is_active, o.expected_session) is null
    from owed as o
    left join missing as m on o.asset_id = m.asset_id
$$;

comment on function pipeline.check_history_completeness(timestamptz) is
'Per active asset: sessions missing from its owed history up to the expected session (outside the answered window), '
'the reason its state gives, and whether the loss is unexplained.';

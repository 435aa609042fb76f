-- pipeline.get_expected_session: the latest session of an exchange whose end-of-day data
-- should be published as of a given time (close_at + the exchange's publication delay).
-- Called by discover_delta and the staleness views. Read-only; null when no session is known.
create or replace function pipeline.get_expected_session(p_exchange_code text, p_as_of timestamptz)
returns date
language sql
stable
parallel safe
set search_path = ''
as $$
    select t.session_date
    from market.trading_sessions as t
    where
        t.exchange_code = p_exchange_code
        and t.close_at <= p_as_of - (
            select e.publication_delay from market.exchanges as e
            where e.exchange_code = p_exchange_code
        )
    order by t.session_date desc
    limit 1
$$;

comment on function pipeline.get_expected_session(text, timestamptz) is
'Latest session of the exchange published by p_as_of (close_at + publication_delay <= p_as_of); half-days close early.';

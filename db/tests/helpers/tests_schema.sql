-- Fixture helpers for the pgTAP suite (loaded into the test database only, never production).
create schema if not exists tests;

-- An asset with its state row; the exchange is taken from the code.
create or replace function tests.create_asset(p_ticker text, p_universe text default null)
returns bigint
language plpgsql
as $$
declare
    v_asset_id bigint;
begin
    insert into market.assets (ticker, symbol, exchange_code, universe, listing_venue)
    values (p_ticker, split_part(p_ticker, '.', 1), split_part(p_ticker, '.', 2), p_universe,
            split_part(p_ticker, '.', 2))
    returning asset_id into v_asset_id;
    insert into pipeline.asset_processing_state (asset_id) values (v_asset_id);
    return v_asset_id;
end;
$$;

-- Weekday sessions between two dates, minus the given holidays, at the exchange's regular close.
create or replace function tests.add_sessions(
    p_exchange text, p_from date, p_to date, p_holidays date[] default '{}'
)
returns integer
language plpgsql
as $$
declare
    v_count integer;
begin
    insert into market.trading_sessions (exchange_code, session_date, open_at, close_at)
    select e.exchange_code, d::date,
           (d::date + time '09:00') at time zone e.timezone,
           (d::date + e.session_close) at time zone e.timezone
    from market.exchanges e
    cross join generate_series(p_from, p_to, interval '1 day') as d
    where e.exchange_code = p_exchange
      and extract(isodow from d) < 6
      and not d::date = any(p_holidays)
    on conflict do nothing;
    get diagnostics v_count = row_count;
    return v_count;
end;
$$;

-- Daily bars for an asset: one per session of its exchange in the window, a gentle walk.
create or replace function tests.add_bars(p_asset_id bigint, p_from date, p_to date, p_start double precision default 100)
returns integer
language plpgsql
as $$
declare
    v_count integer;
begin
    insert into market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close, volume)
    select p_asset_id, s.session_date,
           p_start + n, p_start + n + 1, p_start + n - 1, p_start + n + 0.5, p_start + n + 0.5, 1000 + n
    from (
        select t.session_date, row_number() over (order by t.session_date) as n
        from market.trading_sessions t
        join market.assets a on a.exchange_code = t.exchange_code
        where a.asset_id = p_asset_id and t.session_date between p_from and p_to
    ) s
    on conflict do nothing;
    get diagnostics v_count = row_count;
    return v_count;
end;
$$;

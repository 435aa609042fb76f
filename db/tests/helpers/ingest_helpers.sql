-- Fixture helpers for the landing and ingest tests (test database only).
create schema if not exists tests;

-- Land a 200 response through raw.land_response; returns its payload_id.
create or replace function tests.land(
    p_endpoint text, p_ticker text, p_body text, p_exchange text default null,
    p_params jsonb default '{}', p_received_at timestamptz default '2026-03-02 22:00+00'
)
returns bigint
language sql
as $$
    select raw.land_response(null, p_endpoint, p_ticker, p_exchange, p_params, 200, p_body, p_received_at,
                             case p_endpoint when 'eod-bulk-last-day' then 100 when 'fundamentals' then 10 else 1 end,
                             50, 'test')
$$;

-- An /eod bar as EODHD prints it.
create or replace function tests.eod_bar(
    p_date date, p_open double precision, p_high double precision, p_low double precision,
    p_close double precision, p_adjusted_close double precision default null, p_volume double precision default 1000
)
returns jsonb
language sql
as $$
    select jsonb_build_object('date', p_date, 'open', p_open, 'high', p_high, 'low', p_low, 'close', p_close,
                              'adjusted_close', coalesce(p_adjusted_close, p_close), 'volume', p_volume)
$$;

-- md5 of an asset's stored bars, in date order: "business tables unchanged" checks.
create or replace function tests.prices_digest(p_asset_id bigint)
returns text
language sql
as $$
    select md5(coalesce(string_agg(sp::text, '|' order by sp.trade_date), ''))
    from market.stock_prices as sp where sp.asset_id = p_asset_id
$$;

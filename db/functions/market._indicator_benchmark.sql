-- The benchmark's adjusted closes (dates and values, ascending) up to a date, for beta_252.
-- Called by market._rebuild_indicators and market._advance_indicators. Read-only.
create or replace function market._indicator_benchmark(
    p_until date,
    out dates date[],
    out closes double precision[]
)
language sql
stable
parallel safe
set search_path = ''
as $$
    select
        coalesce(array_agg(p.trade_date order by p.trade_date), '{}'),
        coalesce(array_agg(p.close * market.adjustment_factor(p.close, p.adjusted_close) order by p.trade_date), '{}')
    from market.stock_prices as p
    where
        p.asset_id = (
            select a.asset_id
            from pipeline.settings as s
            inner join market.assets as a on s.benchmark_ticker = a.ticker
        )
        and p.trade_date <= coalesce(p_until, 'infinity')
$$;

comment on function market._indicator_benchmark(date) is
'Adjusted closes of the benchmark asset (pipeline.settings.benchmark_ticker) up to p_until (all when null).';

-- Daily step: continues each given asset from its stored state over its bars after
-- last_trade_date up to p_as_of. Earlier bars come from the state's recent windows, never from
-- market.stock_prices. Called by market.refresh_indicators. Not idempotent by itself (the state
-- moves on); refresh_indicators is. Rows after a state's last bar never exist (a rebuild deletes
-- the asset's rows first); one would fail the primary key.
create or replace function market._advance_indicators(
    p_asset_ids bigint[], p_as_of date, p_context_from date default null
)
returns bigint
language plpgsql
volatile
set search_path = ''
set jit = off
set work_mem = '256MB'
as $$
declare
    v_bench record;
    v_rows bigint;
    v_from date;
    v_skip integer;
begin
    select * into v_bench from market._indicator_benchmark(p_as_of);
    -- Only the benchmark bars from the last one on or before the earliest context bar are ever
    -- read: pass just those (every kernel call copies its arguments; the history can be decades).
    -- The caller may know that date already (p_context_from, from a pass over the states).
    v_from := p_context_from;
    if v_from is null then
        select min(st.recent_dates[1]) into v_from
        from market.indicator_state as st
        where st.asset_id = any(p_asset_ids);
    end if;
    select count(*) into v_skip from unnest(v_bench.dates) as bd (d) where bd.d <= v_from;
    if v_skip > 1 then
        v_bench.dates := v_bench.dates[v_skip:];
        v_bench.closes := v_bench.closes[v_skip:];
    end if;
    with fresh as (
        -- the new bars, adjusted, as arrays per asset (a primary-key range per asset, read in key
        -- order, so the aggregates need no sort of their own)
        select st.asset_id, f.d, f.h, f.l, f.c, f.v
        from market.indicator_state as st
        inner join unnest(p_asset_ids) as ids (asset_id) on st.asset_id = ids.asset_id
        cross join lateral (
            select
                array_agg(p.trade_date) as d,
                array_agg(p.high * market.adjustment_factor(p.close, p.adjusted_close)) as h,
                array_agg(p.low * market.adjustment_factor(p.close, p.adjusted_close)) as l,
                array_agg(p.close * market.adjustment_factor(p.close, p.adjusted_close)) as c,
                array_agg(p.volume) as v
            from (
                select sp.trade_date, sp.high, sp.low, sp.close, sp.adjusted_close, sp.volume
                from market.stock_prices as sp
                where sp.asset_id = st.asset_id and sp.trade_date > st.last_trade_date and sp.trade_date <= p_as_of
                order by sp.trade_date
            ) as p
        ) as f
        where f.d is not null
    ),
    bars as (
        -- context = the stored windows (NaN where a window is shorter than 252) + the new bars
        select
            st.asset_id,
            st.bar_count,
            st.state,
            cardinality(st.recent_dates) as n_ctx,
            st.recent_dates || f.d as d,
            st.recent_close || f.c as c,
            array_fill('NaN'::float8, array[cardinality(st.recent_dates) - cardinality(st.recent_high)])
            || st.recent_high || f.h as h,
            array_fill('NaN'::float8, array[cardinality(st.recent_dates) - cardinality(st.recent_low)])
            || st.recent_low || f.l as l,
            array_fill('NaN'::float8, array[cardinality(st.recent_dates) - cardinality(st.recent_volume)])
            || st.recent_volume || f.v as v
        from market.indicator_state as st
        inner join fresh as f on st.asset_id = f.asset_id
    ),
    computed as (
        -- the new state's windows ride on the row that carries the state (the asset's last row)
        select
            b.asset_id, b.bar_count - b.n_ctx + cardinality(b.d) as bar_count, r.*,
            case when r.state is not null then b.d[greatest(1, cardinality(b.d) - 251):] end as new_dates,
            case when r.state is not null then b.c[greatest(1, cardinality(b.c) - 251):] end as new_close,
            case when r.state is not null then b.h[greatest(1, cardinality(b.h) - 29):] end as new_high,
            case when r.state is not null then b.l[greatest(1, cardinality(b.l) - 29):] end as new_low,
            case when r.state is not null then b.v[greatest(1, cardinality(b.v) - 89):] end as new_volume
        from bars as b
        cross join lateral market._compute_indicators(
            b.d, b.c, b.h, b.l, b.c, b.v, v_bench.dates, v_bench.closes,
            b.n_ctx + 1, b.bar_count - b.n_ctx, b.state
        ) as r
    ),
    written as (
        insert into market.technical_indicators
        select
            asset_id, trade_date, (indicators).*
        from computed
        returning 1
    ),
    saved as (
        update market.indicator_state as st
        set
            last_trade_date = cm.trade_date,
            bar_count = cm.bar_count,
            state = cm.state,
            recent_dates = cm.new_dates,
            recent_close = cm.new_close,
            recent_high = cm.new_high,
            recent_low = cm.new_low,
            recent_volume = cm.new_volume,
            computed_at = now()
        from computed as cm
        where cm.state is not null and st.asset_id = cm.asset_id
        returning 1
    )
    select count(*) into v_rows from written;
    return v_rows;
end;
$$;

comment on function market._advance_indicators(bigint[], date, date) is
'Advances the stored indicator state of the given assets over their new bars up to p_as_of (earlier bars from the '
'state''s recent windows) and writes those rows; returns the number of rows written. p_context_from: the earliest '
'first date of their recent windows, when the caller knows it (read from the states otherwise).';

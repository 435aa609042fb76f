-- One asset's full indicator history from its first bar (up to p_until, all when null): reads its
-- adjusted bars and runs market._compute_indicators over them. The asset's last row also carries
-- what market.indicator_state keeps (the state and the recent windows); other rows carry nulls there.
-- Called by market._rebuild_indicators once per asset, in parallel workers. Read-only.
create or replace function market._compute_asset_indicators(
    p_asset_id bigint,
    p_until date,
    p_bench_dates date[],
    p_bench_closes double precision[]
)
returns table (
    asset_id bigint, trade_date date, indicators market.indicator_values,
    first_trade_date date, bar_count integer, state double precision[],
    recent_dates date[], recent_close double precision[], recent_high double precision[],
    recent_low double precision[], recent_volume double precision[]
)
language plpgsql
stable
parallel safe
cost 1000000
rows 500
set search_path = ''
as $$
declare
    v_d date[];
    v_h double precision[];
    v_l double precision[];
    v_c double precision[];
    v_v double precision[];
    v_n integer;
begin
    select
        array_agg(p.trade_date order by p.trade_date),
        array_agg(p.high * market.adjustment_factor(p.close, p.adjusted_close) order by p.trade_date),
        array_agg(p.low * market.adjustment_factor(p.close, p.adjusted_close) order by p.trade_date),
        array_agg(p.close * market.adjustment_factor(p.close, p.adjusted_close) order by p.trade_date),
        array_agg(p.volume order by p.trade_date)
    into v_d, v_h, v_l, v_c, v_v
    from market.stock_prices as p
    where p.asset_id = p_asset_id and (p_until is null or p.trade_date <= p_until);
    v_n := coalesce(cardinality(v_d), 0);
    if v_n = 0 then
        return;
    end if;
    return query
    select
        p_asset_id, r.trade_date, r.indicators,
        v_d[1], v_n, r.state,
        case when r.state is not null then v_d[greatest(1, v_n - 251):] end,
        case when r.state is not null then v_c[greatest(1, v_n - 251):] end,
        case when r.state is not null then v_h[greatest(1, v_n - 29):] end,
        case when r.state is not null then v_l[greatest(1, v_n - 29):] end,
        case when r.state is not null then v_v[greatest(1, v_n - 89):] end
    from market._compute_indicators(
        v_d, v_c, v_h, v_l, v_c, v_v, p_bench_dates, p_bench_closes, 1, 0, null
    ) as r;
end;
$$;

comment on function market._compute_asset_indicators(bigint, date, date[], double precision[]) is
'One asset''s indicator rows from its first bar (up to p_until); the last row also carries the state and recent '
'windows for market.indicator_state. Parallel safe: market._rebuild_indicators runs it in parallel workers.';

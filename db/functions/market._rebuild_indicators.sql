-- Rebuilds indicators and state of the given assets from their first bar (up to p_until, all when null).
-- Called by market.recompute_indicators and market.refresh_indicators. Idempotent.
create or replace function market._rebuild_indicators(p_asset_ids bigint[], p_until date default null)
returns bigint
language plpgsql
volatile
set search_path = ''
set jit = off
set work_mem = '256MB'
as $$
declare
    v_bench record;
    v_rows bigint := 0;
    v_batch bigint[];
    v_count bigint;
begin
    select * into v_bench from market._indicator_benchmark(p_until);
    -- Batches of 500 assets keep the intermediate result small.
    for v_batch in
        select array_agg(u.asset_id order by u.asset_id)
        from (
            select x.asset_id, (row_number() over (order by x.asset_id) - 1) / 500 as batch
            from unnest(p_asset_ids) as x (asset_id)
        ) as u
        group by u.batch
    loop
        delete from market.technical_indicators as ti where ti.asset_id = any(v_batch);
        delete from market.indicator_state as st where st.asset_id = any(v_batch);
        with bars as (
            select
                sp.asset_id,
                array_agg(sp.trade_date) as d,
                array_agg(sp.open * (sp.adjusted_close / sp.close)) as o,
                array_agg(sp.high * (sp.adjusted_close / sp.close)) as h,
                array_agg(sp.low * (sp.adjusted_close / sp.close)) as l,
                array_agg(sp.close * (sp.adjusted_close / sp.close)) as c,
                array_agg(sp.volume) as v
            from (
                select p.*
                from market.stock_prices as p
                where p.asset_id = any(v_batch) and (p_until is null or p.trade_date <= p_until)
                order by p.asset_id, p.trade_date
            ) as sp
            group by sp.asset_id
        ),
        computed as (
            select b.asset_id, b.d[1] as first_date, cardinality(b.d) as bar_count, r.*
            from bars as b
            cross join lateral market._compute_indicators(
                b.d, b.o, b.h, b.l, b.c, b.v, v_bench.dates, v_bench.closes, 1, 0, null
            ) as r
        ),
        written as (
            insert into market.technical_indicators
            select
                asset_id, trade_date, sma_5, sma_10, sma_20, sma_50, sma_100, sma_200, ema_12, ema_26, ema_50,
                ema_200, wma_20, rsi_14, macd_line, macd_signal, macd_hist, bb_upper_20, bb_middle_20,
                bb_lower_20, bb_bandwidth_20, bb_percent_b_20, atr_14, stoch_k, stoch_d, stoch_rsi_14,
                willr_14, cci_20, roc_10, mom_10, obv, adx_14, plus_di_14, minus_di_14, mfi_14, sar,
                stddev_20, linreg_slope_20, volatility_30, avg_volume_30, avg_volume_90, high_52w, low_52w,
                beta_252
            from computed
            returning 1
        )
        insert into market.indicator_state (
            asset_id, first_trade_date, last_trade_date, bar_count, state,
            recent_dates, recent_close, recent_high, recent_low, recent_volume
        )
        select
            cm.asset_id, cm.first_date, cm.trade_date, cm.bar_count, cm.state,
            b.d[greatest(1, cm.bar_count - 251):], b.c[greatest(1, cm.bar_count - 251):],
            b.h[greatest(1, cm.bar_count - 29):], b.l[greatest(1, cm.bar_count - 29):],
            b.v[greatest(1, cm.bar_count - 89):]
        from computed as cm
        inner join bars as b on cm.asset_id = b.asset_id
        where cm.state is not null;
        select count(*) into v_count from market.technical_indicators as ti where ti.asset_id = any(v_batch);
        v_rows := v_rows + v_count;
    end loop;
    return v_rows;
end;
$$;

comment on function market._rebuild_indicators(bigint[], date) is
'Deletes and recomputes market.technical_indicators and market.indicator_state of the given assets from their first bar.';

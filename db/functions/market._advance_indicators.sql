-- Daily step: continues each given asset from its stored state over its bars after
-- last_trade_date up to p_as_of (context: the 260 bars before). Called by market.refresh_indicators.
-- Idempotent: rows after the state's last bar are replaced.
create or replace function market._advance_indicators(p_asset_ids bigint[], p_as_of date)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_bench record;
    v_rows bigint;
begin
    select * into v_bench from market._indicator_benchmark(p_as_of);
    delete from market.technical_indicators as ti
    using market.indicator_state as st
    where st.asset_id = any(p_asset_ids) and ti.asset_id = st.asset_id and ti.trade_date > st.last_trade_date;
    with bars as (
        select
            st.asset_id, st.bar_count, st.state, ctx.n_ctx, ctx.d, ctx.o, ctx.h, ctx.l, ctx.c, ctx.v
        from market.indicator_state as st
        cross join lateral (
            select
                count(*) filter (where u.trade_date <= st.last_trade_date)::integer as n_ctx,
                array_agg(u.trade_date order by u.trade_date) as d,
                array_agg(u.open * (u.adjusted_close / u.close) order by u.trade_date) as o,
                array_agg(u.high * (u.adjusted_close / u.close) order by u.trade_date) as h,
                array_agg(u.low * (u.adjusted_close / u.close) order by u.trade_date) as l,
                array_agg(u.close * (u.adjusted_close / u.close) order by u.trade_date) as c,
                array_agg(u.volume order by u.trade_date) as v
            from (
                (
                    select p.trade_date, p.open, p.high, p.low, p.close, p.adjusted_close, p.volume
                    from market.stock_prices as p
                    where p.asset_id = st.asset_id and p.trade_date <= st.last_trade_date
                    order by p.trade_date desc
                    limit 260
                )
                union all
                select p.trade_date, p.open, p.high, p.low, p.close, p.adjusted_close, p.volume
                from market.stock_prices as p
                where p.asset_id = st.asset_id and p.trade_date > st.last_trade_date and p.trade_date <= p_as_of
            ) as u
        ) as ctx
        where st.asset_id = any(p_asset_ids) and cardinality(ctx.d) > ctx.n_ctx
    ),
    computed as (
        select b.asset_id, b.bar_count - b.n_ctx + cardinality(b.d) as bar_count, r.*
        from bars as b
        cross join lateral market._compute_indicators(
            b.d, b.o, b.h, b.l, b.c, b.v, v_bench.dates, v_bench.closes,
            b.n_ctx + 1, b.bar_count - b.n_ctx, b.state
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
    ),
    saved as (
        update market.indicator_state as st
        set last_trade_date = cm.trade_date, bar_count = cm.bar_count, state = cm.state, computed_at = now()
        from computed as cm
        where cm.state is not null and st.asset_id = cm.asset_id
        returning 1
    )
    select count(*) into v_rows from written;
    return v_rows;
end;
$$;

comment on function market._advance_indicators(bigint[], date) is
'Advances the stored indicator state of the given assets over their new bars up to p_as_of and writes those rows; '
'returns the number of rows written.';

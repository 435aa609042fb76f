-- Daily step: continues each given asset from its stored state over its bars after
-- last_trade_date up to p_as_of, reading only the earlier bars the kernel needs (the 30 latest and
-- those 49 ... 252 bars back). Called by market.refresh_indicators.
-- Not idempotent by itself (the state moves on); market.refresh_indicators is. Rows after a state's
-- last bar never exist (a rebuild deletes the asset's rows first); one would fail the primary key.
create or replace function market._advance_indicators(p_asset_ids bigint[], p_as_of date)
returns bigint
language plpgsql
volatile
set search_path = ''
set jit = off
set enable_bitmapscan = off
as $$
declare
    v_bench record;
    v_rows bigint;
begin
    select * into v_bench from market._indicator_benchmark(p_as_of);
    with bars as (
        select
            st.asset_id, st.bar_count, st.state, ctx.n_ctx, ctx.d, ctx.o, ctx.h, ctx.l, ctx.c, ctx.v
        from market.indicator_state as st
        cross join lateral (
            select count(*)::integer as k
            from market.stock_prices as p
            where p.asset_id = st.asset_id and p.trade_date > st.last_trade_date and p.trade_date <= p_as_of
        ) as nb
        cross join lateral (
            select
                count(*) filter (where y.lag is not null)::integer as n_ctx,
                array_agg(y.trade_date) as d,
                array_agg(y.o) as o,
                array_agg(y.h) as h,
                array_agg(y.l) as l,
                array_agg(y.c) as c,
                array_agg(y.v) as v
            from (
                select
                    x.trade_date,
                    x.lag,
                    coalesce(r.open * (r.adjusted_close / r.close), 'NaN') as o,
                    coalesce(r.high * (r.adjusted_close / r.close), 'NaN') as h,
                    coalesce(r.low * (r.adjusted_close / r.close), 'NaN') as l,
                    coalesce(r.close * (r.adjusted_close / r.close), 'NaN') as c,
                    coalesce(r.volume, 'NaN') as v
                from (
                    -- the dates of the last 252 stored bars (primary key only), numbered back from the last
                    select
                        w.trade_date,
                        w.lag,
                        w.lag <= 30
                        or w.lag between 50 - nb.k and 49
                        or w.lag between 90 - nb.k and 89
                        or w.lag between 100 - nb.k and 99
                        or w.lag between 200 - nb.k and 199
                        or w.lag between 252 - nb.k and 252 as is_read
                    from (
                        select z.trade_date, row_number() over (order by z.trade_date desc) as lag
                        from (
                            select p.trade_date
                            from market.stock_prices as p
                            where p.asset_id = st.asset_id and p.trade_date <= st.last_trade_date
                            order by p.trade_date desc
                            limit 252
                        ) as z
                    ) as w
                    union all
                    select p.trade_date, null, true
                    from market.stock_prices as p
                    where
                        p.asset_id = st.asset_id and p.trade_date > st.last_trade_date and p.trade_date <= p_as_of
                ) as x
                -- only the bars the kernel reads are fetched (the others are NaN placeholders)
                left join lateral (
                    select p.open, p.high, p.low, p.close, p.adjusted_close, p.volume
                    from market.stock_prices as p
                    where x.is_read and p.asset_id = st.asset_id and p.trade_date = x.trade_date
                    offset 0
                ) as r on true
                order by x.trade_date
            ) as y
        ) as ctx
        where st.asset_id = any(p_asset_ids) and nb.k > 0
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

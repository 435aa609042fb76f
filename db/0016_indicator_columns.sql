-- 0016_indicator_columns: the 42 indicator columns get one definition that code can use,
-- the composite type market.indicator_values: the kernel (market._compute_indicators) returns
-- one per bar and every writer expands it, `insert ... select asset_id, trade_date, (x).*`.
-- market.technical_indicators keeps its real columns; its indicator columns (after asset_id and
-- trade_date) equal the type's attributes in name, order and type, which
-- db/tests/market.indicator_values.sql checks. Adding an indicator: a migration that adds the
-- column to the table and the attribute to the type (`alter type ... add attribute`), both at
-- the end, and the kernel's code for it. Also drops pipeline.asset_staleness (no caller;
-- monitor.asset_status shows the same). Forward-only; safe to run twice.

do $$
begin
    if to_regtype('market.indicator_values') is null then
        create type market.indicator_values as (
            sma_5 double precision,
            sma_10 double precision,
            sma_20 double precision,
            sma_50 double precision,
            sma_100 double precision,
            sma_200 double precision,
            ema_12 double precision,
            ema_26 double precision,
            ema_50 double precision,
            ema_200 double precision,
            wma_20 double precision,
            rsi_14 double precision,
            macd_line double precision,
            macd_signal double precision,
            macd_hist double precision,
            bb_upper_20 double precision,
            bb_middle_20 double precision,
            bb_lower_20 double precision,
            bb_bandwidth_20 double precision,
            bb_percent_b_20 double precision,
            atr_14 double precision,
            stoch_k double precision,
            stoch_d double precision,
            stoch_rsi_14 double precision,
            willr_14 double precision,
            cci_20 double precision,
            roc_10 double precision,
            mom_10 double precision,
            obv double precision,
            adx_14 double precision,
            plus_di_14 double precision,
            minus_di_14 double precision,
            mfi_14 double precision,
            sar double precision,
            stddev_20 double precision,
            linreg_slope_20 double precision,
            volatility_30 double precision,
            avg_volume_30 double precision,
            avg_volume_90 double precision,
            high_52w double precision,
            low_52w double precision,
            beta_252 double precision
        );
    end if;
end;
$$;

comment on type market.indicator_values is
'The indicator values of one bar, in the order of the indicator columns of market.technical_indicators '
'(definitions: the column comments there and market.indicator_catalog). Returned by market._compute_indicators.';

drop view if exists pipeline.asset_staleness;

-- the kernel and its per-asset wrapper now return the type: their files re-create them
drop function if exists market._compute_asset_indicators(bigint, date, date[], double precision[]);
drop function if exists market._compute_indicators(
    date[], double precision[], double precision[], double precision[], double precision[],
    double precision[], date[], double precision[], integer, integer, double precision[]
);

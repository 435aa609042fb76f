-- The screener: the latest indicator row of every active asset with its price, the day's change,
-- yesterday's values of the crossing indicators and key fundamentals. Refreshed by market.refresh_screener().
-- A materialized view: this file DROPS AND RE-CREATES it on every migrate (then it is populated again).
drop materialized view if exists market.screener_latest;

create materialized view market.screener_latest as
select
    a.ticker,
    a.name,
    a.exchange_code,
    a.asset_type,
    a.currency,
    coalesce(f.sector, a.sector) as sector,
    coalesce(f.industry, a.industry) as industry,
    p.close,
    p.adjusted_close,
    p.high * market.adjustment_factor(p.close, p.adjusted_close) as adjusted_high,
    p.volume,
    p.previous_adjusted_close,
    case
        when p.previous_adjusted_close <> 0 then 100 * (p.adjusted_close / p.previous_adjusted_close - 1)
    end as change_pct,
    ti.*,
    f.market_cap,
    f.pe_ratio,
    f.eps,
    f.dividend_yield,
    f.beta as fundamentals_beta
from market.assets as a
-- the asset's latest indicator row and the one before it: one backward primary-key scan of two rows
-- (the latest row is the state's last bar: rows after it never exist)
inner join lateral (
    select
        t.*,
        lead(t.rsi_14) over w as rsi_14_prev,
        lead(t.macd_line) over w as macd_line_prev,
        lead(t.macd_signal) over w as macd_signal_prev,
        lead(t.macd_hist) over w as macd_hist_prev,
        lead(t.sma_50) over w as sma_50_prev,
        lead(t.sma_200) over w as sma_200_prev,
        lead(t.high_52w) over w as high_52w_prev,
        lead(t.low_52w) over w as low_52w_prev
    from market.technical_indicators as t
    where t.asset_id = a.asset_id
    window w as (order by t.trade_date desc)
    order by t.trade_date desc
    limit 1
) as ti on true
-- that day's bar and the previous bar's adjusted close, the same way
inner join lateral (
    select
        sp.trade_date,
        sp.close,
        sp.adjusted_close,
        sp.high,
        sp.volume,
        lead(sp.adjusted_close) over (order by sp.trade_date desc) as previous_adjusted_close
    from market.stock_prices as sp
    where sp.asset_id = a.asset_id and sp.trade_date <= ti.trade_date
    order by sp.trade_date desc
    limit 1
) as p on true
left join market.fundamentals as f on a.asset_id = f.asset_id
where a.is_active and p.trade_date = ti.trade_date
with data;

create unique index screener_latest_asset_idx on market.screener_latest (asset_id);

comment on materialized view market.screener_latest is
'Latest indicator row per active asset with price, change_pct (adjusted close vs the previous bar), '
'the previous bar''s crossing values (*_prev) and key fundamentals. Refresh: select market.refresh_screener().';

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
    p.high * (p.adjusted_close / p.close) as adjusted_high,
    p.volume,
    pp.adjusted_close as previous_adjusted_close,
    100 * (p.adjusted_close / pp.adjusted_close - 1) as change_pct,
    ti.*,
    prev.rsi_14 as rsi_14_prev,
    prev.macd_line as macd_line_prev,
    prev.macd_signal as macd_signal_prev,
    prev.macd_hist as macd_hist_prev,
    prev.sma_50 as sma_50_prev,
    prev.sma_200 as sma_200_prev,
    prev.high_52w as high_52w_prev,
    prev.low_52w as low_52w_prev,
    f.market_cap,
    f.pe_ratio,
    f.eps,
    f.dividend_yield,
    f.beta as fundamentals_beta
from market.indicator_state as s
inner join market.assets as a on s.asset_id = a.asset_id
inner join market.technical_indicators as ti
    on s.asset_id = ti.asset_id and s.last_trade_date = ti.trade_date
inner join market.stock_prices as p
    on s.asset_id = p.asset_id and s.last_trade_date = p.trade_date
left join lateral (
    select sp.adjusted_close
    from market.stock_prices as sp
    where sp.asset_id = s.asset_id and sp.trade_date < s.last_trade_date
    order by sp.trade_date desc
    limit 1
) as pp on true
left join lateral (
    select
        t2.rsi_14,
        t2.macd_line,
        t2.macd_signal,
        t2.macd_hist,
        t2.sma_50,
        t2.sma_200,
        t2.high_52w,
        t2.low_52w
    from market.technical_indicators as t2
    where t2.asset_id = s.asset_id and t2.trade_date < s.last_trade_date
    order by t2.trade_date desc
    limit 1
) as prev on true
left join market.fundamentals as f on s.asset_id = f.asset_id
where a.is_active
with data;

create unique index screener_latest_asset_idx on market.screener_latest (asset_id);

comment on materialized view market.screener_latest is
'Latest indicator row per active asset with price, change_pct (adjusted close vs the previous bar), '
'the previous bar''s crossing values (*_prev) and key fundamentals. Refresh: select market.refresh_screener().';

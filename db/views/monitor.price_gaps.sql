-- monitor.price_gaps: sessions of an asset's exchange missing between its first and last
-- stored bar, one row per asset with a gap. Read-only (scans the prices: for people, not hot paths).
create or replace view monitor.price_gaps as
with bounds as (
    select
        p.asset_id,
        min(p.trade_date) as first_date,
        max(p.trade_date) as last_date
    from market.stock_prices as p
    group by p.asset_id
)

select
    a.asset_id,
    a.ticker,
    a.exchange_code,
    count(*)::integer as missing_sessions,
    min(t.session_date) as first_missing,
    max(t.session_date) as last_missing
from market.assets as a
inner join bounds as b on a.asset_id = b.asset_id
inner join market.trading_sessions as t
    on
        a.exchange_code = t.exchange_code
        and b.first_date < t.session_date
        and b.last_date > t.session_date
where
    not exists (
        select 1 from market.stock_prices as p
        where p.asset_id = a.asset_id and p.trade_date = t.session_date
    )
group by a.asset_id, a.ticker, a.exchange_code;

comment on view monitor.price_gaps is
'Assets with sessions missing between their first and last bar: how many, first and last missing session.';
comment on column monitor.price_gaps.missing_sessions is 'Sessions of the exchange with no bar inside the stored history.';
comment on column monitor.price_gaps.first_missing is 'First missing session.';
comment on column monitor.price_gaps.last_missing is 'Last missing session.';

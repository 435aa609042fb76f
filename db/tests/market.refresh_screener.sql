-- market.refresh_screener and market.screener_latest: latest row per active asset, previous values, change.
begin;
select plan(9);

-- setup: two active assets and an inactive one with indicators up to 2024-02-02
select tests.add_sessions('US', '2024-01-01', '2024-02-29');
select tests.create_asset('AAA.US') as aaa \gset
select tests.create_asset('BBB.US') as bbb \gset
select tests.create_asset('OLD.US') as old \gset
select tests.add_bars(:aaa, '2024-01-01', '2024-02-29');
select tests.add_bars(:bbb, '2024-01-01', '2024-02-29', 40);
select tests.add_bars(:old, '2024-01-01', '2024-02-29', 10);
update market.assets set is_active = false, delisted_on = '2024-02-01' where asset_id = :old;
insert into market.fundamentals (asset_id, payload, market_cap, pe_ratio, fetched_at)
values (:aaa, '{}', 1e9, 12.5, '2024-02-01');
select market.refresh_indicators('2024-02-02');

-- test: the refresh fills the view, concurrently once populated
select is(market.refresh_screener() ->> 'rows', '2', 'one row per active asset');
select is(market.refresh_screener() ->> 'concurrently', 'true', 'refreshed concurrently when populated');
select has_index('market', 'screener_latest', 'screener_latest_asset_idx', 'unique index for concurrent refresh');

-- test: contents
select is(
    (select trade_date from market.screener_latest where ticker = 'AAA.US'), date '2024-02-02', 'latest bar'
);
select is(
    (select macd_hist_prev from market.screener_latest where ticker = 'AAA.US'),
    (select macd_hist from market.technical_indicators where asset_id = :aaa and trade_date = '2024-02-01'),
    'previous macd_hist is yesterday''s'
);
select is(
    (select round(change_pct::numeric, 9) from market.screener_latest where ticker = 'AAA.US'),
    (select round((100 * (b.adjusted_close / a.adjusted_close - 1))::numeric, 9)
     from market.stock_prices as a, market.stock_prices as b
     where a.asset_id = :aaa and b.asset_id = :aaa and a.trade_date = '2024-02-01' and b.trade_date = '2024-02-02'),
    'change_pct against the previous bar'
);
select is((select pe_ratio from market.screener_latest where ticker = 'AAA.US'), 12.5::float8, 'fundamentals joined');
select is((select market_cap from market.screener_latest where ticker = 'BBB.US'), null, 'no fundamentals: null');

-- test: a plain refresh when the view was never populated
refresh materialized view market.screener_latest with no data;
select is(market.refresh_screener() ->> 'concurrently', 'false', 'plain refresh when not populated');

select * from finish();
rollback;

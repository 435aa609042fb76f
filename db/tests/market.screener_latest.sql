-- market.screener_latest: one row per active asset with indicators, the columns screens use.
begin;
select plan(5);

-- setup: an active and an inactive asset with indicators, and an active one without bars
select tests.add_sessions('US', '2024-01-01', '2024-02-29');
select tests.create_asset('AAA.US') as aaa \gset
select tests.create_asset('OLD.US') as old \gset
select tests.create_asset('NEW.US') as new \gset
select tests.add_bars(:aaa, '2024-01-01', '2024-02-29');
select tests.add_bars(:old, '2024-01-01', '2024-02-29');
update market.assets set is_active = false, delisted_on = '2024-02-01' where asset_id = :old;
select market.refresh_indicators('2024-02-29');
refresh materialized view market.screener_latest;

-- test: shape
select has_materialized_view('market', 'screener_latest', 'the screener is a materialized view');
select index_is_unique('market', 'screener_latest', 'screener_latest_asset_idx', 'keyed by asset for concurrent refresh');
select ok(
    (select array['ticker', 'change_pct', 'rsi_14', 'sma_200', 'macd_hist_prev', 'high_52w_prev', 'avg_volume_30',
                  'adjusted_high', 'pe_ratio']::name[]
            <@ array_agg(a.attname) from pg_attribute as a
     where a.attrelid = 'market.screener_latest'::regclass and a.attnum > 0),
    'the columns the README screens use exist'
);

-- test: rows
select is((select array_agg(ticker) from market.screener_latest), array['AAA.US'], 'active assets with indicators only');
select is(
    (select trade_date from market.screener_latest), date '2024-02-29', 'the latest bar'
);

select * from finish();
rollback;

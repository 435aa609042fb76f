-- market.recompute_indicators and market._rebuild_indicators: rows, state, flags, idempotence.
begin;
select plan(7);

-- setup: two assets with 60 weekday bars each, one flagged for recompute
select tests.add_sessions('US', '2024-01-01', '2024-03-31');
select tests.create_asset('AAA.US') as aaa \gset
select tests.create_asset('BBB.US') as bbb \gset
select tests.add_bars(:aaa, '2024-01-01', '2024-03-31');
select tests.add_bars(:bbb, '2024-01-01', '2024-03-31', 50);
update pipeline.asset_processing_state set needs_indicator_recompute = true where asset_id = :aaa;

-- test: one row per bar for the named asset only, and its state
select is(
    market.recompute_indicators(array['AAA.US']) ->> 'assets_recomputed', '1', 'one asset recomputed'
);
select is(
    (select count(*) from market.technical_indicators where asset_id = :aaa),
    (select count(*) from market.stock_prices where asset_id = :aaa),
    'one indicator row per bar'
);
select is((select count(*)::integer from market.technical_indicators where asset_id = :bbb), 0, 'other assets untouched');
select is(
    (select last_trade_date from market.indicator_state where asset_id = :aaa),
    (select max(trade_date) from market.stock_prices where asset_id = :aaa),
    'state is at the last bar'
);
select is(
    (select needs_indicator_recompute from pipeline.asset_processing_state where asset_id = :aaa), false,
    'the recompute flag is cleared'
);

-- test: idempotent, and null means every asset
select is(
    (market.recompute_indicators() ->> 'rows_written')::bigint,
    (select count(*) from market.stock_prices),
    'a second full run rewrites every row once'
);
select is(
    (select count(*) from market._rebuild_indicators(array[:aaa]::bigint[], '2024-01-31')), 1::bigint,
    '_rebuild_indicators returns one count'
);

select * from finish();
rollback;

-- market.refresh_indicators: new assets built in full, daily bars appended, flags honoured and cleared.
begin;
select plan(9);

-- setup: two assets with weekday bars in January and February 2024
select tests.add_sessions('US', '2024-01-01', '2024-02-29');
select tests.create_asset('AAA.US') as aaa \gset
select tests.create_asset('BBB.US') as bbb \gset
select tests.add_bars(:aaa, '2024-01-01', '2024-02-29');
select tests.add_bars(:bbb, '2024-01-01', '2024-02-29', 40);

-- test: assets without state are built in full up to p_as_of
select is(
    market.refresh_indicators('2024-01-31'),
    jsonb_build_object(
        'assets_incremental', 0, 'assets_recomputed', 2,
        'rows_written', (select count(*) from market.stock_prices where trade_date <= '2024-01-31')
    ),
    'first run: everything recomputed, up to p_as_of'
);
select is(
    (select max(trade_date) from market.technical_indicators), date '2024-01-31', 'nothing after p_as_of'
);

-- test: the next day is one new row per asset
select is(
    market.refresh_indicators('2024-02-01'),
    '{"assets_incremental": 2, "assets_recomputed": 0, "rows_written": 2}'::jsonb,
    'next day: two incremental rows'
);
select is(
    (select last_trade_date from market.indicator_state where asset_id = :aaa), date '2024-02-01', 'state advanced'
);

-- test: running again changes nothing
select is(
    market.refresh_indicators('2024-02-01'),
    '{"assets_incremental": 0, "assets_recomputed": 0, "rows_written": 0}'::jsonb,
    'a second run on the same day writes nothing'
);

-- test: a flagged asset is rebuilt and its flag cleared
update pipeline.asset_processing_state set reprocess_indicators = true where asset_id = :bbb;
select is(
    market.refresh_indicators('2024-02-02') - 'rows_written',
    '{"assets_incremental": 1, "assets_recomputed": 1}'::jsonb,
    'flagged asset rebuilt, the other advanced'
);
select is(
    (select reprocess_indicators from pipeline.asset_processing_state where asset_id = :bbb), false, 'flag cleared'
);
select is(
    (select count(*) from market.technical_indicators where asset_id = :bbb),
    (select count(*) from market.stock_prices where asset_id = :bbb and trade_date <= '2024-02-02'),
    'rebuilt asset has every row up to p_as_of'
);

-- test: the incremental rows equal a full rebuild of the same asset
create temporary table incremental as
select * from market.technical_indicators where asset_id = :aaa;
select market._rebuild_indicators(array[:aaa]::bigint[], '2024-02-02');
select is(
    (select count(*)::integer from (
        select * from incremental except select * from market.technical_indicators where asset_id = :aaa
    ) as d),
    0,
    'incremental rows are identical to a full rebuild'
);

select * from finish();
rollback;

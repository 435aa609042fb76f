-- market._rebuild_indicators: replaces an asset's rows and state from its first bar, up to p_until.
begin;
select plan(8);

-- setup: one asset with weekday bars in the first quarter of 2024, a stale row in the future
select tests.add_sessions('US', '2024-01-01', '2024-03-31');
select tests.create_asset('AAA.US') as aaa \gset
select tests.create_asset('BBB.US') as bbb \gset
select tests.add_bars(:aaa, '2024-01-01', '2024-03-31');
select tests.add_bars(:bbb, '2024-01-01', '2024-03-31');
insert into market.technical_indicators (asset_id, trade_date, sma_5) values (:aaa, '2024-12-31', 1);

-- test: rows up to p_until only, stale rows gone, the count returned
select is(
    market._rebuild_indicators(array[:aaa]::bigint[], '2024-02-29'),
    (select count(*) from market.stock_prices where asset_id = :aaa and trade_date <= '2024-02-29'),
    'returns the rows written'
);
select is(
    (select max(trade_date) from market.technical_indicators where asset_id = :aaa), date '2024-02-29',
    'nothing after p_until, the stale row is gone'
);
select is((select count(*)::integer from market.technical_indicators where asset_id = :bbb), 0, 'other assets untouched');

-- test: the state describes what was computed
select is(
    (select (first_trade_date, last_trade_date, bar_count) from market.indicator_state where asset_id = :aaa),
    (select (min(trade_date), max(trade_date), count(*)::integer) from market.stock_prices
     where asset_id = :aaa and trade_date <= '2024-02-29'),
    'state: first and last bar and the bar count'
);
select is(
    (select recent_close[cardinality(recent_close)] from market.indicator_state where asset_id = :aaa),
    (select adjusted_close from market.stock_prices where asset_id = :aaa and trade_date = '2024-02-29'),
    'the close window ends with the last adjusted close'
);

-- test: without any free parallel worker the session computes the batch itself, with the same rows
create temporary table parallel_rows as select * from market.technical_indicators where asset_id = :aaa;
set local max_parallel_workers = 0;
select is(
    market._rebuild_indicators(array[:aaa]::bigint[], '2024-02-29'),
    (select count(*) from parallel_rows), 'no worker free: the same number of rows'
);
select is(
    (select count(*)::integer from (
        select * from parallel_rows except select * from market.technical_indicators where asset_id = :aaa
    ) as x),
    0, 'and the same values'
);
reset max_parallel_workers;

-- test: an asset without bars gets no state
select is(
    market._rebuild_indicators(array[:bbb]::bigint[], '2023-12-31'), 0::bigint, 'no bars: nothing written'
);

select * from finish();
rollback;

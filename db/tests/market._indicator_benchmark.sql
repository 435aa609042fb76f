-- market._indicator_benchmark: the benchmark's adjusted closes in date order, cut at p_until.
begin;
select plan(4);

-- setup: the configured benchmark with three bars, one split-adjusted
select tests.create_asset('SPY.US') as spy \gset
insert into market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close, volume) values
(:spy, '2024-01-03', 10, 11, 9, 10, 10, 1),
(:spy, '2024-01-02', 20, 22, 18, 20, 10, 1),
(:spy, '2024-01-04', 12, 12, 12, 12, 12, 1);

-- test: dates ascending, closes adjusted
select is((select dates from market._indicator_benchmark(null)), '{2024-01-02,2024-01-03,2024-01-04}'::date[], 'dates ascend');
select is((select closes from market._indicator_benchmark(null)), '{10,10,12}'::float8[], 'closes are adjusted');
select is((select cardinality(dates) from market._indicator_benchmark('2024-01-03')), 2, 'p_until cuts the series');

-- test: another benchmark ticker that has no bars gives empty arrays
update pipeline.settings set benchmark_ticker = 'QQQ.US';
select is((select cardinality(dates) from market._indicator_benchmark(null)), 0, 'no benchmark bars: empty arrays');

select * from finish();
rollback;

-- pipeline.find_first_gap: first session missing inside the stored history.
begin;
select plan(4);

-- setup: LSE sessions, one asset with complete bars, one with two holes
select tests.add_sessions('LSE', '2026-01-01', '2026-01-31');
select tests.add_assets('LSE', 3, 'G');
select tests.add_bars((select asset_id from market.assets where ticker = 'G1.LSE'), '2026-01-02', '2026-01-16');
select tests.add_bars((select asset_id from market.assets where ticker = 'G2.LSE'), '2026-01-02', '2026-01-16');
delete from market.stock_prices where asset_id = (select asset_id from market.assets where ticker = 'G2.LSE')
   and trade_date in ('2026-01-08', '2026-01-13');

-- test: no gap, gaps, no bars
select is(pipeline.find_first_gap((select asset_id from market.assets where ticker = 'G1.LSE')), null::date,
          'complete history: no gap');
select is(pipeline.find_first_gap((select asset_id from market.assets where ticker = 'G2.LSE')), '2026-01-08'::date,
          'the first missing session is found');
select is(pipeline.find_first_gap((select asset_id from market.assets where ticker = 'G3.LSE')), null::date,
          'no bars: no gap');

-- test: the monitor view lists the same gap
select row_eq($$select ticker, missing_sessions, first_missing, last_missing from monitor.price_gaps$$,
              row('G2.LSE'::text, 2, '2026-01-08'::date, '2026-01-13'::date), 'monitor.price_gaps shows it');

select * from finish();
rollback;

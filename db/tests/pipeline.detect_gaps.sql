-- pipeline.detect_gaps: sets and clears prices_gap_from.
begin;
select plan(4);

-- setup: an LSE asset with a hole
select tests.add_sessions('LSE', '2026-01-01', '2026-01-31');
select tests.add_assets('LSE', 2, 'D');
select tests.add_bars((select asset_id from market.assets where ticker = 'D1.LSE'), '2026-01-02', '2026-01-16');
delete from market.stock_prices where trade_date = '2026-01-12';

-- test: all active assets are checked when no list is given
select is(pipeline.detect_gaps(), 1, 'one asset has a gap');
select is((select prices_gap_from from pipeline.asset_processing_state s join market.assets a using (asset_id)
           where a.ticker = 'D1.LSE'), '2026-01-12'::date, 'its first missing session is recorded');

-- test: a filled gap is cleared
select tests.add_bars((select asset_id from market.assets where ticker = 'D1.LSE'), '2026-01-02', '2026-01-16');
select is(pipeline.detect_gaps(array[(select asset_id from market.assets where ticker = 'D1.LSE')]), 0, 'no gap left');
select is((select prices_gap_from from pipeline.asset_processing_state s join market.assets a using (asset_id)
           where a.ticker = 'D1.LSE'), null::date, 'the gap mark is cleared');

select * from finish();
rollback;

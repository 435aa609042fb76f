-- The reader's group role (set role): the monitor views, market tables, the screener and saved
-- screens work; raw payloads, pipeline state and every write are refused.
begin;
select plan(21);

-- setup (as the owner): one asset with bars, the screener refreshed
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.create_asset('R1.US') as asset \gset
select tests.add_bars(:asset, '2026-01-02', '2026-01-30');
select market.refresh_screener();
select tests.become('reader');

-- test: every monitor view (they call pipeline functions granted to the reader)
select lives_ok('select * from monitor.asset_status', 'the reader reads monitor.asset_status');
select lives_ok('select * from monitor.execution_summary', 'the reader reads monitor.execution_summary');
select lives_ok('select * from monitor.history_completeness', 'the reader reads monitor.history_completeness');
select lives_ok('select * from monitor.history_owed', 'the reader reads monitor.history_owed');
select lives_ok('select * from monitor.price_gaps', 'the reader reads monitor.price_gaps');
select lives_ok('select * from monitor.quota_today', 'the reader reads monitor.quota_today');
select lives_ok('select * from monitor.universe_overview', 'the reader reads monitor.universe_overview');

-- test: business data, the screener, saved screens
select is((select count(*)::integer from market.stock_prices where asset_id = :asset), 21, 'the reader reads prices');
select lives_ok('select * from market.screener_latest', 'the reader reads the screener');
select lives_ok($$select * from market.run_screen('oversold_uptrend')$$, 'the reader runs a saved screen');
select lives_ok($$select market.adjustment_factor(1.0, 0.5)$$, 'the reader adjusts a price by hand');

-- test: refused
select throws_ok('select body from raw.eodhd_payloads', '42501', null, 'it reads no landed payload');
select throws_ok('select * from pipeline.work_items', '42501', null, 'it reads no work items');
select throws_ok('select * from pipeline.api_calls', '42501', null, 'it reads no ledger');
select throws_ok('select * from pipeline.settings', '42501', null, 'it reads no settings');
select throws_ok('select * from pipeline.asset_processing_state', '42501', null, 'it reads no pipeline state');
select throws_ok('select pipeline.get_remaining_quota()', '42501', null,
                 'it calls no pipeline function by name (the monitor views do)');
select throws_ok('select market.refresh_screener()', '42501', null, 'it cannot refresh the screener');
select throws_ok(format('delete from market.stock_prices where asset_id = %s', :asset), '42501', null,
                 'it writes no market table');
select throws_ok($$insert into market.screens (screen_name, predicate) values ('mine', 'true')$$, '42501', null,
                 'it saves no screen (a screen is SQL others run)');
select throws_ok('create table public.x (x integer)', '42501', null, 'it creates nothing, not even in public');

select * from finish();
rollback;

-- monitor.price_gaps: sessions missing inside an asset's stored history.
begin;
select plan(3);

-- setup: two weeks of LSE sessions; one asset with two holes, one complete, one with a single bar
select tests.add_sessions('LSE', '2026-01-05', '2026-01-16');
select tests.create_asset('HOLE.LSE') as hole \gset
select tests.create_asset('FULL.LSE') as full \gset
select tests.create_asset('ONE.LSE') as one \gset
select tests.add_bars(:hole, '2026-01-06', '2026-01-15');
select tests.add_bars(:full, '2026-01-05', '2026-01-16');
select tests.add_bars(:one, '2026-01-09', '2026-01-09');
delete from market.stock_prices where asset_id = :hole and trade_date in ('2026-01-08', '2026-01-13');

-- test: the holes inside the history, not the sessions before its first or after its last bar
select results_eq(
    $$select ticker, missing_sessions, first_missing, last_missing from monitor.price_gaps order by ticker$$,
    $$values ('HOLE.LSE'::text, 2, '2026-01-08'::date, '2026-01-13'::date)$$,
    'only the asset with holes, two sessions'
);
select is((select count(*)::integer from monitor.price_gaps where asset_id = :full), 0, 'a complete history has no row');
select is((select count(*)::integer from monitor.price_gaps where asset_id = :one), 0, 'a single bar has no gap');

select * from finish();
rollback;

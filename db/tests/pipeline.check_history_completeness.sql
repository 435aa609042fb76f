-- pipeline.check_history_completeness: every active asset has its owed history or a reason.
begin;
select plan(7);

-- setup: US sessions 2026-01-05 .. 2026-01-16, history owed from 2026-01-05 (settings);
-- complete: answered from the start; missing_vendor: the vendor has no 2026-01-08 (answered);
-- bulk_only: never answered, one bulk bar; behind: answered to 2026-01-14
update pipeline.settings set history_start = '2026-01-05';
select tests.add_sessions('US', '2026-01-05', '2026-01-16');
select tests.create_asset('COMPLETE.US') as complete \gset
select tests.create_asset('HOLE.US') as hole \gset
select tests.create_asset('BULKONLY.US') as bulk_only \gset
select tests.create_asset('BEHIND.US') as behind \gset
select tests.add_bars(:complete, '2026-01-05', '2026-01-16');
select tests.add_bars(:hole, '2026-01-05', '2026-01-16');
delete from market.stock_prices where asset_id = :hole and trade_date = '2026-01-08';
select tests.add_bars(:behind, '2026-01-05', '2026-01-14');
select pipeline._advance_price_watermark(a, '2026-01-05', '2026-01-16') from unnest(array[:complete, :hole]) as a;
select pipeline._advance_price_watermark(:behind, '2026-01-05', '2026-01-14');
update pipeline.asset_processing_state set last_success_at = '2026-01-16 22:00+00'
where asset_id in (:complete, :hole, :behind);
select tests.add_bars(:bulk_only, '2026-01-16', '2026-01-16');
select pipeline._advance_bulk_watermarks('US', '2026-01-16', '2026-01-16 22:05+00');

-- test: the missing sessions counted against the stored bars, with the state's reason
select results_eq(
    $$select ticker, missing_sessions, first_missing, last_missing, reason, is_unexplained
      from pipeline.check_history_completeness('2026-01-17 12:00+00') order by ticker$$,
    $$values ('BEHIND.US'::text, 2, '2026-01-15'::date, '2026-01-16'::date, 'behind'::text, false),
             ('BULKONLY.US', 9, '2026-01-05', '2026-01-15', 'initial load owed', false),
             ('COMPLETE.US', 0, null, null, null, false),
             ('HOLE.US', 0, null, null, null, false)$$,
    'complete, a session the vendor does not have, a bulk bar that is no history, behind'
);
select is(
    (select count(*)::integer from pipeline.check_history_completeness('2026-01-17 12:00+00') where is_unexplained),
    0, 'no unexplained loss'
);

-- test: a state that forgets the debt (as a bulk bar used to) is an unexplained loss
update pipeline.asset_processing_state set history_owed_from = null, last_success_at = '2026-01-16 22:05+00',
       status = 'active'
where asset_id = :bulk_only;
select row_eq(
    $$select missing_sessions, reason, is_unexplained from pipeline.check_history_completeness('2026-01-17 12:00+00')
      where ticker = 'BULKONLY.US'$$,
    row(9, null::text, true), 'missing sessions and no reason: caught'
);

-- test: a hole inside the answered window is the vendor's; one after it is a loss unless the state says gap
delete from market.stock_prices where asset_id = :complete and trade_date = '2026-01-13';
select is(
    (select is_unexplained from pipeline.check_history_completeness('2026-01-17 12:00+00') where ticker = 'COMPLETE.US'),
    false, 'inside the answered window: the vendor does not have it'
);
update pipeline.asset_processing_state set gaps_checked_through = '2026-01-12' where asset_id = :complete;
select is(
    (select is_unexplained from pipeline.check_history_completeness('2026-01-17 12:00+00') where ticker = 'COMPLETE.US'),
    true, 'after the answered window, with no gap in the state: a loss'
);
select pipeline.detect_gaps(array[:complete]::bigint[]);
select row_eq(
    $$select reason, is_unexplained from pipeline.check_history_completeness('2026-01-17 12:00+00')
      where ticker = 'COMPLETE.US'$$,
    row('gap'::text, false), 'the gap detector explains it'
);

-- test: inactive assets are not owed anything
update market.assets set is_active = false, delisted_on = '2026-01-16' where asset_id = :behind;
select is(
    (select count(*)::integer from pipeline.check_history_completeness('2026-01-17 12:00+00') where ticker = 'BEHIND.US'),
    0, 'a delisted asset has no row'
);

select * from finish();
rollback;

-- pipeline._advance_price_watermark: watermarks from the stored bars, back-fill flag, checked window.
begin;
select plan(9);

-- setup: US sessions, an asset with bars 2026-01-05..2026-01-16 but 2026-01-09 missing
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.create_asset('WM.US') as asset_id \gset
select tests.add_bars(:asset_id, '2026-01-05', '2026-01-16');
delete from market.stock_prices where asset_id = :asset_id and trade_date = '2026-01-09';

-- test: watermarks follow the table; the gap inside a window not asked for stays planned
select pipeline._advance_price_watermark(:asset_id, null, null);
select row_eq(
    format('select prices_first_date, prices_last_date, prices_gap_from, gaps_checked_through
            from pipeline.asset_processing_state where asset_id = %s', :asset_id),
    row('2026-01-05'::date, '2026-01-16'::date, '2026-01-09'::date, null::date),
    'watermarks from the stored bars, the missing session is a gap'
);
select ok(
    (select needs_indicator_recompute from pipeline.asset_processing_state where asset_id = :asset_id),
    'a first bar that moved flags a full indicator recompute'
);

-- test: a window asked for that covers the gap remembers it as checked
update pipeline.asset_processing_state set needs_indicator_recompute = false where asset_id = :asset_id;
select pipeline._advance_price_watermark(:asset_id, '2026-01-05', '2026-01-16');
select row_eq(
    format('select prices_gap_from, gaps_checked_through from pipeline.asset_processing_state where asset_id = %s',
           :asset_id),
    row(null::date, '2026-01-16'::date),
    'the vendor-missing session is checked, no gap left to plan'
);
select ok(
    not (select needs_indicator_recompute from pipeline.asset_processing_state where asset_id = :asset_id),
    'an unchanged first bar flags nothing'
);

-- test: a window that starts after the gap does not hide it
select tests.create_asset('WN.US') as other_id \gset
select tests.add_bars(:other_id, '2026-01-05', '2026-01-20');
delete from market.stock_prices where asset_id = :other_id and trade_date = '2026-01-09';
select pipeline._advance_price_watermark(:other_id, '2026-01-16', '2026-01-20');
select is(
    (select prices_gap_from from pipeline.asset_processing_state where asset_id = :other_id),
    '2026-01-09'::date, 'a gap before the window asked for stays planned'
);

-- test: the debt is paid only by an answer from the owed date or earlier
select row_eq(
    format('select history_owed_from, gaps_checked_from from pipeline.asset_processing_state where asset_id = %s',
           :asset_id),
    row('2000-01-01'::date, '2026-01-05'::date), 'answered from 2026-01-05 only: still owed from history_start'
);
select pipeline._advance_price_watermark(:asset_id, null, null);
select is((select history_owed_from from pipeline.asset_processing_state where asset_id = :asset_id),
          '2000-01-01'::date, 'not answered: still owed');
select pipeline._advance_price_watermark(:asset_id, '2000-01-01', '2026-01-16');
select row_eq(
    format('select history_owed_from, gaps_checked_from from pipeline.asset_processing_state where asset_id = %s',
           :asset_id),
    row(null::date, '2000-01-01'::date), 'answered from history_start: paid, the window starts there'
);

-- test: idempotent
select pipeline._advance_price_watermark(:other_id, '2026-01-16', '2026-01-20');
select row_eq(
    format('select prices_last_date, prices_gap_from, gaps_checked_through
            from pipeline.asset_processing_state where asset_id = %s', :other_id),
    row('2026-01-20'::date, '2026-01-09'::date, null::date),
    'a second call changes nothing'
);

select * from finish();
rollback;

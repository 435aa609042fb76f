-- pipeline._advance_bulk_watermarks: watermarks of the assets that have the bulk day's bar.
begin;
select plan(6);

-- setup: three XETRA assets loaded to 2026-01-08; two get the bar of 2026-01-09, one of them was two behind
select tests.add_sessions('XETRA', '2026-01-01', '2026-01-31');
select tests.add_assets('XETRA', 3, 'B');
select tests.add_bars(asset_id, '2026-01-02', '2026-01-08') from market.assets where ticker in ('B1.XETRA', 'B2.XETRA');
select tests.add_bars(asset_id, '2026-01-02', '2026-01-07') from market.assets where ticker = 'B3.XETRA';
select tests.mark_loaded('B%.XETRA', '2026-01-08', '2026-01-08 23:00+00');
update pipeline.asset_processing_state s set prices_last_date = '2026-01-07'
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'B3.XETRA';
select tests.add_bars(asset_id, '2026-01-09', '2026-01-09') from market.assets where ticker = 'B1.XETRA';
insert into market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close, volume)
select asset_id, '2026-01-09', 200, 210, 190, 205, 205, 10 from market.assets where ticker = 'B3.XETRA';

-- test: only assets with the day's bar move; a skipped session is noted as a gap
select is(pipeline._advance_bulk_watermarks('XETRA', '2026-01-09', '2026-01-09 22:05+00'), 2, 'two assets moved');
select results_eq(
    $$select a.ticker, s.prices_last_date, s.prices_gap_from from pipeline.asset_processing_state s
      join market.assets a using (asset_id) order by a.ticker$$,
    $$values ('B1.XETRA', '2026-01-09'::date, null::date), ('B2.XETRA', '2026-01-08'::date, null::date),
             ('B3.XETRA', '2026-01-09'::date, '2026-01-08'::date)$$,
    'watermarks from the table; the asset that was two behind has a gap'
);
select is((select array_agg(a.ticker) from pipeline.asset_processing_state s join market.assets a using (asset_id)
           where s.corporate_actions_due), array['B3.XETRA'], 'a close that doubled flags corporate actions due');
select is(pipeline._advance_bulk_watermarks('XETRA', '2026-01-09', '2026-01-09 22:06+00'), 0, 'idempotent');

-- test: a bulk bar does not stand in for the history owed: an asset whose initial load failed
-- keeps its debt, its failure count, its backoff and its status
select tests.add_assets('XETRA', 1, 'O');
update pipeline.asset_processing_state s
   set consecutive_failures = 1, status = 'failing', next_attempt_at = '2026-01-10 22:00+00',
       last_error = 'eod O1.XETRA: response is not JSON'
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'O1.XETRA';
insert into market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close, volume)
select asset_id, '2026-01-12', 50, 51, 49, 50, 50, 10 from market.assets where ticker = 'O1.XETRA';
select is(pipeline._advance_bulk_watermarks('XETRA', '2026-01-12', '2026-01-12 22:05+00'), 1, 'its watermark moves');
select row_eq(
    $$select s.prices_first_date, s.prices_last_date, s.history_owed_from, s.consecutive_failures, s.status,
             s.next_attempt_at, s.last_success_at, s.prices_gap_from
      from pipeline.asset_processing_state s join market.assets a using (asset_id) where a.ticker = 'O1.XETRA'$$,
    row('2026-01-12'::date, '2026-01-12'::date, '2000-01-01'::date, 1, 'failing'::text,
        '2026-01-10 22:00+00'::timestamptz, null::timestamptz, null::date),
    'still owed from history_start, still failing, no success recorded'
);

select * from finish();
rollback;

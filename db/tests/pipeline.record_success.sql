-- pipeline.record_success: token fencing, watermarks from stored data, resets, reprocess flag,
-- initial load, bulk, one detail row per result.
begin;
select plan(21);

-- setup: LSE calendar; S1 one session behind with bars to 2026-01-08 and two earlier failures
select tests.add_sessions('LSE', '2026-01-01', '2026-01-31');
select tests.add_assets('LSE', 1, 'S');
select tests.add_bars((select asset_id from market.assets where ticker = 'S1.LSE'), '2026-01-02', '2026-01-08');
select tests.mark_loaded('S1.LSE', '2026-01-08', '2026-01-08 23:00+00');
update pipeline.asset_processing_state set consecutive_failures = 2, status = 'failing',
       next_attempt_at = '2026-01-09 20:00+00', last_error = 'HTTP 404';
select pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{}', 's'), '2026-01-09 22:00+00');
create temp table c as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 's'), 'w1', 1, '5 minutes', '2026-01-09 22:01+00');

-- test: a stale token changes nothing
select is(pipeline.record_success((select work_item_id from c), gen_random_uuid(), '{"rows_stored": 1}',
                                  '2026-01-09 22:02+00'), false, 'a wrong token is rejected');
select is((select status from pipeline.work_items), 'claimed', 'the item stays claimed');
select is((select count(*)::integer from pipeline.asset_processing_details), 0, 'no detail row is written');

-- test: the watermark comes from what is stored, never from the payload
select is(pipeline.record_success((select work_item_id from c), (select lease_token from c),
                                  '{"rows_stored": 0, "last_date": "2026-01-09"}', '2026-01-09 22:02+00'),
          true, 'the result with the token is accepted');
select row_eq(
    $$select prices_last_date, consecutive_failures, next_attempt_at, status, last_success_at
      from pipeline.asset_processing_state$$,
    row('2026-01-08'::date, 0, null::timestamptz, 'active'::text, '2026-01-09 22:02+00'::timestamptz),
    'nothing stored: the watermark stays, while the success resets failures and backoff'
);
select row_eq(
    $$select status, finished_at, result ->> 'last_date' from pipeline.work_items$$,
    row('done'::text, '2026-01-09 22:02+00'::timestamptz, '2026-01-09'::text), 'the item is done with its result'
);
select is(pipeline.record_success((select work_item_id from c), (select lease_token from c), '{}', '2026-01-09 22:03+00'),
          false, 'a second result for the same claim is rejected');
select results_eq(
    $$select component, outcome, rows_stored, api_calls, attempt from pipeline.asset_processing_details$$,
    $$values ('prices'::text, 'success'::text, 0, 1, 1)$$, 'exactly one detail row for the result'
);

-- setup: the next day the bar arrives
select tests.add_bars((select asset_id from market.assets where ticker = 'S1.LSE'), '2026-01-09', '2026-01-12');
select pipeline.finish_execution((select execution_id from pipeline.process_executions where run_id = 's'));
select pipeline.discover_delta(tests.new_execution('2026-01-12 22:00+00', '{}', 's2'), '2026-01-12 22:00+00');
create temp table c2 as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 's2'), 'w1', 1, '5 minutes', '2026-01-12 22:01+00');
select pipeline.record_success((select work_item_id from c2), (select lease_token from c2),
                               '{"rows_stored": 2, "last_date": "2026-01-31"}', '2026-01-12 22:02+00');

-- test: the watermark moves to the last stored bar
select row_eq($$select prices_first_date, prices_last_date, prices_gap_from from pipeline.asset_processing_state$$,
              row('2026-01-02'::date, '2026-01-12'::date, null::date), 'watermark = max(trade_date) stored');

-- setup: a new listing with bars and fundamentals stored by the ingest
select tests.add_assets('LSE', 1, 'NEW');
select tests.add_bars((select asset_id from market.assets where ticker = 'NEW1.LSE'), '2026-01-05', '2026-01-12');
insert into market.fundamentals (asset_id, payload, fetched_at)
select asset_id, '{"General": {}}', '2026-01-12 22:05+00' from market.assets where ticker = 'NEW1.LSE';
select pipeline.discover_delta(tests.new_execution('2026-01-12 23:00+00', '{"tickers": ["NEW1.LSE"]}', 'n'),
                               '2026-01-12 23:00+00');
create temp table c3 as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'n'), 'w1', 1, '5 minutes', '2026-01-12 23:01+00');

-- test: an initial load moves new -> active
select is((select kind from c3), 'initial_load', 'a new listing is planned as an initial load');
select is((select status from pipeline.asset_processing_state s join market.assets a using (asset_id)
           where a.ticker = 'NEW1.LSE'), 'new', 'status new before the result');
select pipeline.record_success((select work_item_id from c3), (select lease_token from c3), '{"rows_stored": 6}',
                               '2026-01-12 23:02+00');
select row_eq(
    $$select s.status, s.prices_first_date, s.prices_last_date, s.fundamentals_fetched_at, s.needs_indicator_recompute
      from pipeline.asset_processing_state s join market.assets a using (asset_id) where a.ticker = 'NEW1.LSE'$$,
    row('active'::text, '2026-01-05'::date, '2026-01-12'::date, '2026-01-12 23:02+00'::timestamptz, true),
    'initial load: active, watermarks from the tables, fundamentals confirmed at the result, indicators to rebuild'
);

-- test: a reprocess success clears the flag it served, and only that one
select pipeline.request_reprocess('S1.LSE', 'all', '2026-01-05', '2026-01-13 08:00+00');
select pipeline.discover_delta(tests.new_execution('2026-01-13 09:00+00', '{"tickers": ["S1.LSE"]}', 'r'),
                               '2026-01-13 09:00+00');
create temp table c4 as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'r'), 'w1', 10, '5 minutes', '2026-01-13 09:01+00');
select is((select array_agg(kind || ':' || from_date::text order by kind) from c4 where kind = 'backfill'),
          array['backfill:2026-01-05'], 'the prices reprocess is a backfill from the requested date');
select pipeline.record_success(work_item_id, lease_token, '{"rows_stored": 5}', '2026-01-13 09:02+00')
from c4 where kind = 'backfill';
select row_eq(
    $$select reprocess_prices, reprocess_prices_from, reprocess_fundamentals, needs_indicator_recompute
      from pipeline.asset_processing_state s join market.assets a using (asset_id) where a.ticker = 'S1.LSE'$$,
    row(false, null::date, true, true), 'the prices flag is cleared; fundamentals still wait for their item'
);
select pipeline.record_success(work_item_id, lease_token, '{}', '2026-01-13 09:03+00') from c4 where kind = 'fundamentals';
select is((select reprocess_fundamentals from pipeline.asset_processing_state s join market.assets a using (asset_id)
           where a.ticker = 'S1.LSE'), false, 'the fundamentals item clears its flag');

-- setup: 102 PA assets one session behind, bulk planned; the bulk day lands for 101 of them
select tests.add_sessions('PA', '2026-01-01', '2026-01-31');
select tests.add_assets('PA', 102, 'B');
select tests.mark_loaded('B%.PA', '2026-01-08', '2026-01-08 23:00+00');
update pipeline.asset_processing_state s set consecutive_failures = 1, status = 'failing'
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'B1.PA';
select pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"exchanges": ["PA"]}', 'b'),
                               '2026-01-09 22:00+00');
create temp table c5 as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'b'), 'w1', 10, '5 minutes', '2026-01-09 22:01+00');
insert into market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close, volume)
select asset_id, '2026-01-09', 10, 11, 9, 10, 10, 100 from market.assets where ticker like 'B%.PA' and ticker <> 'B102.PA';

-- test: a bulk result advances every asset of the exchange that has the bar
select is((select kind || ':' || exchange_code from c5), 'bulk_prices:PA', 'one bulk item for PA');
select is(pipeline.record_success((select work_item_id from c5), (select lease_token from c5), '{"rows_stored": 101}',
                                  '2026-01-09 22:02+00'), true, 'the bulk result is accepted');
select is((select count(*)::integer from pipeline.asset_processing_state s join market.assets a using (asset_id)
           where a.ticker like 'B%.PA' and s.prices_last_date = '2026-01-09'), 101, '101 watermarks advance');
select is((select prices_last_date from pipeline.asset_processing_state s join market.assets a using (asset_id)
           where a.ticker = 'B102.PA'), '2026-01-08'::date, 'the asset missing from the bulk day keeps its watermark');
select row_eq($$select s.consecutive_failures, s.status from pipeline.asset_processing_state s
                join market.assets a using (asset_id) where a.ticker = 'B1.PA'$$,
              row(0, 'active'::text), 'a failing asset served by the bulk day is active again');
select results_eq(
    $$select asset_id, component, rows_stored, api_calls from pipeline.asset_processing_details d
      where d.work_item_id = (select work_item_id from c5)$$,
    $$values (null::bigint, 'bulk_prices'::text, 101, 100)$$, 'one detail row for the bulk result'
);

select * from finish();
rollback;

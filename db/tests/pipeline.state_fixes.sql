-- pipeline state machine fixes: hash overflow, bulk data errors, vendor-missing sessions,
-- corporate actions, fundamentals confirmation time, quota per item, initial load flags.
begin;
select plan(27);

-- setup: January 2026 calendars
select tests.add_sessions('US', '2026-01-01', '2026-01-31', '{2026-01-19}');
select tests.add_sessions('LSE', '2026-01-01', '2026-01-31');
select tests.add_sessions('XETRA', '2026-01-01', '2026-01-31');
select tests.add_sessions('MC', '2026-01-01', '2026-01-31');
select tests.add_sessions('SW', '2026-01-01', '2026-01-31');

-- setup: UHL.US (hashtext close to 2^31) with fundamentals 20 days old (the spread slot is computed)
with a as (
    insert into market.assets (ticker, symbol, exchange_code, listing_venue)
    values ('UHL.US', 'UHL', 'US', 'US') returning asset_id
)
insert into pipeline.asset_processing_state (asset_id) select asset_id from a;
select tests.mark_loaded('UHL.US', '2026-01-08', '2025-12-20 12:00+00');

-- test: no integer overflow in the fundamentals slot of a ticker hashing near 2^31
select lives_ok(
    $$select pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"tickers": ["UHL.US"]}', 'uhl'),
                                     '2026-01-09 22:00+00')$$,
    'a ticker whose hashtext is near 2^31 does not crash the plan'
);
select is((select count(*)::integer from pipeline.work_items w join market.assets a using (asset_id)
           where a.ticker = 'UHL.US' and w.kind = 'prices'), 1, 'and it is planned');
select ok(pipeline.compute_backoff('UHL.US', 3, '1 hour', '1 day') between interval '4 hours' and interval '5 hours',
          'the backoff jitter of the same ticker is in range');
delete from pipeline.work_items;

-- setup: three XETRA assets one session behind; a bulk item whose payload has one bad bar
select tests.add_assets('XETRA', 3, 'X');
select tests.add_bars(asset_id, '2026-01-02', '2026-01-08') from market.assets where ticker like 'X_.XETRA';
select tests.mark_loaded('X_.XETRA', '2026-01-08', '2026-01-08 23:00+00');
update pipeline.asset_processing_state set prices_first_date = '2026-01-02'
 where asset_id in (select asset_id from market.assets where ticker like 'X_.XETRA');
select tests.new_execution('2026-01-09 22:00+00', '{"exchanges": ["XETRA"]}', 'bulk') as bulk_exec \gset
update pipeline.process_executions set planned_at = '2026-01-09 22:00+00' where run_id = 'bulk';
insert into pipeline.work_items (execution_id, kind, reason, exchange_code, from_date, to_date, planned_cost, priority,
                                 claim_order)
values (:bulk_exec, 'bulk_prices', 'fresh', 'XETRA', '2026-01-09', '2026-01-09', 100, 0, 1);
create temp table cb as select * from pipeline.claim_work(:bulk_exec, 'w1', 1, '5 minutes', '2026-01-09 22:01+00');
select raw.land_response(:bulk_exec, 'eod-bulk-last-day', null, 'XETRA', '{"date": "2026-01-09"}', 200, $$[
  {"code": "X1", "exchange_short_name": "XETRA", "date": "2026-01-09", "open": 105, "high": 107, "low": 104, "close": 106, "adjusted_close": 106, "volume": 5},
  {"code": "X2", "exchange_short_name": "XETRA", "date": "2026-01-09", "open": 105, "high": 107, "low": 104, "close": 106, "adjusted_close": 106, "volume": 5},
  {"code": "X3", "exchange_short_name": "XETRA", "date": "2026-01-09", "open": 10, "high": 8, "low": 9, "close": 10.5, "adjusted_close": 10.5, "volume": 5}
]$$, '2026-01-09 22:02+00', 100, 50, 'w1') as bulk_payload \gset
select is(market.ingest_bulk_day(:bulk_payload, 'XETRA', '2026-01-09') ->> 'status', 'data_error',
          'one quarantined bar makes the bulk ingest report a data error');

-- test: a data error of a bulk item still moves the watermarks of the assets whose bar was stored
select is(pipeline.record_failure((select work_item_id from cb), (select lease_token from cb), 'data',
                                  '1 bar(s) quarantined', null, '2026-01-09 22:03+00'), true, 'the failure is recorded');
select results_eq(
    $$select a.ticker, s.prices_last_date, s.consecutive_failures, s.last_error is not null
      from pipeline.asset_processing_state s join market.assets a using (asset_id)
      where a.ticker like 'X_.XETRA' order by a.ticker$$,
    $$values ('X1.XETRA', '2026-01-09'::date, 0, false), ('X2.XETRA', '2026-01-09'::date, 0, false),
             ('X3.XETRA', '2026-01-08'::date, 0, true)$$,
    'stored bars move the watermarks; the quarantined asset carries the message, not a counted failure'
);
select row_eq($$select status, error_class, last_error from pipeline.work_items where kind = 'bulk_prices'$$,
              row('failed'::text, 'data'::text, '1 bar(s) quarantined'::text), 'the bulk item is settled as failed');
delete from pipeline.work_items;

-- setup: an LSE asset whose vendor never has 2026-01-07 (a suspension), gap noted
select tests.add_assets('LSE', 1, 'G');
select tests.add_bars((select asset_id from market.assets where ticker = 'G1.LSE'), '2026-01-02', '2026-01-16');
delete from market.stock_prices where trade_date = '2026-01-07'
   and asset_id = (select asset_id from market.assets where ticker = 'G1.LSE');
select tests.mark_loaded('G1.LSE', '2026-01-16', '2026-01-16 23:00+00');
select pipeline.detect_gaps(array[(select asset_id from market.assets where ticker = 'G1.LSE')]);
select pipeline.discover_delta(tests.new_execution('2026-01-16 22:00+00', '{"tickers": ["G1.LSE"]}', 'gap1'),
                               '2026-01-16 22:00+00');
create temp table cg as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'gap1'), 'w1', 1, '5 minutes',
    '2026-01-16 22:01+00');

-- test: the gap is fetched once; the session still missing is remembered, not planned again
select row_eq($$select w.kind, w.reason, w.from_date from cg join pipeline.work_items w using (work_item_id)$$,
              row('backfill'::text, 'gap'::text, '2026-01-07'::date),
              'the gap is planned as a backfill');
select pipeline.record_success((select work_item_id from cg), (select lease_token from cg), '{"rows_stored": 8}',
                               '2026-01-16 22:02+00');
select row_eq(
    $$select prices_gap_from, gaps_checked_through from pipeline.asset_processing_state s
      join market.assets a using (asset_id) where a.ticker = 'G1.LSE'$$,
    row(null::date, '2026-01-16'::date), 'the vendor-missing session is checked, no gap left'
);
select is(pipeline.discover_delta(tests.new_execution('2026-01-17 12:00+00', '{"tickers": ["G1.LSE"]}', 'gap-sat'),
                                  '2026-01-17 12:00+00') ->> 'planned_items', '0',
          'a Saturday run with the vendor-missing session plans nothing');
select is(pipeline.detect_gaps(array[(select asset_id from market.assets where ticker = 'G1.LSE')]), 0,
          'detect_gaps does not find it again');
select is(pipeline.discover_delta(tests.new_execution('2026-01-19 22:00+00', '{"tickers": ["G1.LSE"]}', 'gap-mon'),
                                  '2026-01-19 22:00+00') -> 'by_kind', '{"prices": {"items": 1, "cost": 1}}'::jsonb,
          'Monday: only the new session');
delete from pipeline.work_items;

-- setup: corporate actions; C1..C3 on SW one session behind with bars
select tests.add_assets('SW', 3, 'C');
select tests.add_bars(asset_id, '2026-01-02', '2026-01-08') from market.assets where ticker like 'C_.SW';
select tests.mark_loaded('C_.SW', '2026-01-08', '2026-01-08 23:00+00');
select pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"exchanges": ["SW"]}', 'ca1'),
                               '2026-01-09 22:00+00');
create temp table cc as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'ca1'), 'w1', 10, '5 minutes',
    '2026-01-09 22:01+00');

-- test: per-ticker prices overlap one bar
select is((select array_agg(distinct from_date) from cc), array['2026-01-08'::date],
          'prices items start at the watermark (one overlapping bar, still one call)');

-- test: a rewritten overlap bar or a split-like jump flags the asset for corporate actions
select tests.add_bars(asset_id, '2026-01-09', '2026-01-09', 101) from market.assets where ticker in ('C1.SW', 'C3.SW');
insert into market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close, volume)
select asset_id, '2026-01-09', 26, 27, 25, 26.5, 26.5, 4000 from market.assets where ticker = 'C2.SW';
select pipeline.record_success(work_item_id, lease_token,
    case ticker when 'C1.SW' then '{"rows_stored": 2, "parts": [{"endpoint": "eod", "rows_changed": 1}]}'::jsonb
                else '{"rows_stored": 2, "parts": [{"endpoint": "eod", "rows_changed": 0}]}'::jsonb end,
    '2026-01-09 22:02+00') from cc;
select results_eq(
    $$select a.ticker, s.corporate_actions_due from pipeline.asset_processing_state s join market.assets a using (asset_id)
      where a.ticker like 'C_.SW' order by a.ticker$$,
    $$values ('C1.SW', true), ('C2.SW', true), ('C3.SW', false)$$,
    'overlap bar rewritten (C1) or close divided by four (C2): flagged; an ordinary day (C3): not'
);

-- test: flagged assets get a cheap corporate_actions item at the reprocess priority
select tests.land('splits', 'C2.SW', '[]') as ca_payload \gset
insert into market.corporate_actions (asset_id, action_date, action_type, split_numerator, split_denominator, payload_id)
select asset_id, '2026-01-05', 'split', 2, 1, :ca_payload from market.assets where ticker = 'C2.SW';
select is(pipeline.discover_delta(tests.new_execution('2026-01-12 22:00+00', '{"exchanges": ["SW"]}', 'ca2'),
                                  '2026-01-12 22:00+00') -> 'by_kind',
          '{"prices": {"items": 3, "cost": 3}, "corporate_actions": {"items": 2, "cost": 4}}'::jsonb,
          'the two flagged assets get a corporate_actions item besides their prices');
select results_eq(
    $$select a.ticker, w.reason, w.from_date, w.to_date, w.priority::integer from pipeline.work_items w
      join market.assets a using (asset_id) where w.kind = 'corporate_actions' order by a.ticker$$,
    $$values ('C1.SW', 'corporate_action', '2026-01-02'::date, '2026-01-12'::date, 2),
             ('C2.SW', 'corporate_action', '2026-01-05'::date, '2026-01-12'::date, 2)$$,
    'from the last stored action, else the first bar'
);
create temp table cca as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'ca2'), 'w1', 10, '5 minutes',
    '2026-01-12 22:01+00');
select pipeline.record_success(work_item_id, lease_token, '{"rows_stored": 0}', '2026-01-12 22:02+00')
from cca where kind = 'corporate_actions';
select is((select count(*)::integer from pipeline.asset_processing_state where corporate_actions_due), 0,
          'the flag is cleared by the corporate_actions success');
delete from pipeline.work_items;

-- setup: fundamentals naming a split newer than any stored action, content unchanged since November
select tests.add_assets('SW', 3, 'D');
select tests.add_bars(asset_id, '2026-01-02', '2026-01-09') from market.assets where ticker = 'D3.SW';
update market.stock_prices set adjusted_as_of = '2026-01-08'
 where asset_id = (select asset_id from market.assets where ticker = 'D3.SW');
select tests.mark_loaded('D_.SW', '2026-01-09', '2026-01-09 23:00+00');
insert into market.fundamentals (asset_id, payload, fetched_at)
select asset_id, case ticker
    when 'D1.SW' then '{"SplitsDividends": {"LastSplitDate": "2026-01-06", "ExDividendDate": "0000-00-00"}}'::jsonb
    when 'D3.SW' then '{"SplitsDividends": {"LastSplitDate": "2026-01-06"}}'::jsonb
    else '{"SplitsDividends": {"LastSplitDate": "0000-00-00", "ExDividendDate": "2026-03-01"}}'::jsonb end,
    '2025-11-01 12:00+00'
from market.assets where ticker like 'D_.SW';
select pipeline.request_reprocess('D_.SW', 'fundamentals', null, '2026-01-12 21:00+00');
select pipeline.discover_delta(tests.new_execution('2026-01-12 22:00+00', '{"tickers": ["D1.SW", "D2.SW", "D3.SW"]}', 'fu'),
                               '2026-01-12 22:00+00');
select pipeline.record_success(c.work_item_id, c.lease_token, '{"rows_stored": 1}', '2026-01-12 22:05+00')
from pipeline.claim_work((select execution_id from pipeline.process_executions where run_id = 'fu'), 'w1', 10,
                         '5 minutes', '2026-01-12 22:01+00') as c;

-- test: a split date in the fundamentals newer than the stored actions flags the asset
select results_eq(
    $$select a.ticker, s.corporate_actions_due from pipeline.asset_processing_state s join market.assets a using (asset_id)
      where a.ticker like 'D_.SW' order by a.ticker$$,
    $$values ('D1.SW', true), ('D2.SW', false), ('D3.SW', false)$$,
    'LastSplitDate after the last stored action: flagged; only a future ex-dividend date, or a split '
    'the stored adjusted history already reflects: not'
);

-- test: fundamentals are confirmed at the result, not at the time the content first arrived
select is((select array_agg(distinct s.fundamentals_fetched_at) from pipeline.asset_processing_state s
           join market.assets a using (asset_id) where a.ticker in ('D1.SW', 'D2.SW')),
          array['2026-01-12 22:05+00'::timestamptz], 'fundamentals_fetched_at is the time of the result');
select is(pipeline.discover_delta(tests.new_execution('2026-01-13 22:00+00',
                                  '{"tickers": ["D1.SW", "D2.SW"], "components": ["fundamentals"]}', 'fu2'),
                                  '2026-01-13 22:00+00') ->> 'planned_items', '0',
          'so unchanged fundamentals are not due again the next day');
delete from pipeline.work_items;

-- setup: 150 MC assets one session behind, 60 calls left (100 spent on the bulk call above)
select tests.add_assets('MC', 150, 'M');
select tests.mark_loaded('M%.MC', '2026-01-08', '2026-01-08 23:00+00');
update pipeline.settings set daily_quota = 1100, quota_buffer = 940;

-- test: the bulk call does not fit: per-ticker calls as far as the quota goes
select is(pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"exchanges": ["MC"]}', 'q60'),
                                  '2026-01-09 22:00+00') - 'execution_id' - 'as_of' - 'expected_sessions',
          '{"remaining_quota": 60, "planned_items": 60, "planned_cost": 60, "planned_tickers": 60,
            "deferred_items": 90, "deferred_cost": 90, "by_kind": {"prices": {"items": 60, "cost": 60}},
            "by_exchange": {"MC": {"items": 60, "cost": 60}}}'::jsonb,
          '150 assets one behind and 60 calls: 60 per-ticker items, never over the quota');
delete from pipeline.work_items;
update pipeline.settings set daily_quota = 1100, quota_buffer = 840;
select is(pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"exchanges": ["MC"]}', 'q160'),
                                  '2026-01-09 22:00+00') -> 'by_kind',
          '{"bulk_prices": {"items": 1, "cost": 100}}'::jsonb, 'with 160 calls the bulk call fits and is chosen');
delete from pipeline.work_items;
update pipeline.asset_processing_state s set corporate_actions_due = true
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'M3.MC';
select is(pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"exchanges": ["MC"]}', 'q160ca'),
                                  '2026-01-09 22:00+00') -> 'by_kind',
          '{"bulk_prices": {"items": 1, "cost": 100}, "corporate_actions": {"items": 1, "cost": 2}}'::jsonb,
          'an asset served by the bulk call still gets its corporate actions when flagged');
update pipeline.asset_processing_state set corporate_actions_due = false;
delete from pipeline.work_items;

-- setup: 5 calls left; an older fundamentals request (10 calls) before a prices request (1 call)
update pipeline.settings set daily_quota = 1100, quota_buffer = 995;
select pipeline.request_reprocess('M1.MC', 'fundamentals', null, '2026-01-09 10:00+00');
select pipeline.request_reprocess('M2.MC', 'prices', '2025-06-01', '2026-01-09 11:00+00');

-- test: an item that does not fit is deferred, the cheaper one after it is still planned
select is(pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"tickers": ["M1.MC", "M2.MC"]}', 'q5'),
                                  '2026-01-09 22:00+00') - 'execution_id' - 'as_of' - 'expected_sessions' - 'by_exchange',
          '{"remaining_quota": 5, "planned_items": 2, "planned_cost": 2, "planned_tickers": 2,
            "deferred_items": 1, "deferred_cost": 10,
            "by_kind": {"prices": {"items": 1, "cost": 1}, "backfill": {"items": 1, "cost": 1}}}'::jsonb,
          'the 10-call fundamentals item is deferred; the prices of M1 and the backfill of M2 behind it are planned');
delete from pipeline.work_items;
update pipeline.settings set daily_quota = 100000, quota_buffer = 2000;

-- setup: a new listing with a pending reprocess request
select tests.add_assets('LSE', 1, 'N');
select pipeline.request_reprocess('N1.LSE', 'all', '2025-01-01', '2026-01-12 08:00+00');
select pipeline.discover_delta(tests.new_execution('2026-01-12 22:00+00', '{"tickers": ["N1.LSE"]}', 'nl'),
                               '2026-01-12 22:00+00');
create temp table cn as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'nl'), 'w1', 1, '5 minutes',
    '2026-01-12 22:01+00');
select tests.add_bars((select asset_id from market.assets where ticker = 'N1.LSE'), '2026-01-05', '2026-01-12');
insert into market.fundamentals (asset_id, payload, fetched_at)
select asset_id, '{"General": {}}', '2026-01-12 22:01+00' from market.assets where ticker = 'N1.LSE';

-- test: the initial load serves the reprocess request
select is((select kind from cn), 'initial_load', 'the new listing is an initial load');
select pipeline.record_success((select work_item_id from cn), (select lease_token from cn), '{"rows_stored": 6}',
                               '2026-01-12 22:02+00');
select row_eq(
    $$select s.status, s.reprocess_prices, s.reprocess_prices_from, s.reprocess_fundamentals
      from pipeline.asset_processing_state s join market.assets a using (asset_id) where a.ticker = 'N1.LSE'$$,
    row('active'::text, false, null::date, false), 'its reprocess flags are cleared'
);
select is(pipeline.discover_delta(tests.new_execution('2026-01-12 23:00+00', '{"tickers": ["N1.LSE"]}', 'nl2'),
                                  '2026-01-12 23:00+00') ->> 'planned_items', '0', 'and nothing is planned again');

select * from finish();
rollback;

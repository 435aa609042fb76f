-- pipeline.record_failure: error classes, counting, backoff, skip at the limit, token fencing.
begin;
select plan(39);

-- setup: US calendar, three loaded assets one session behind, one execution planned
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.add_assets('US', 3, 'F');
select tests.mark_loaded('F%.US', '2026-01-08', '2026-01-08 23:00+00');
select pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{}', 'f'), '2026-01-09 22:00+00');
create temp table exec as select execution_id from pipeline.process_executions where run_id = 'f';
create temp table c1 as select * from pipeline.claim_work((select execution_id from exec), 'w1', 1, '5 minutes',
                                                          '2026-01-09 22:01+00');

-- test: arguments and fencing
select throws_ok(
    format($$select pipeline.record_failure(%s, '%s', 'bogus', 'x')$$,
           (select work_item_id from c1), (select lease_token from c1)),
    '22023', null, 'an unknown error class is rejected'
);
select is(pipeline.record_failure((select work_item_id from c1), gen_random_uuid(), 'permanent', 'Ticker Not Found.', 404,
                                  '2026-01-09 22:02+00'), false, 'a stale token is rejected');
select is((select consecutive_failures from pipeline.asset_processing_state s join c1 using (asset_id)), 0,
          'and counts nothing');

-- test: transient -> back to pending, not counted
select is(pipeline.record_failure((select work_item_id from c1), (select lease_token from c1), 'transient', 'timeout',
                                  null, '2026-01-09 22:02+00'), true, 'a transient failure is recorded');
select row_eq($$select w.status, w.lease_token, w.error_class from pipeline.work_items w join c1 using (work_item_id)$$,
              row('pending'::text, null::uuid, 'transient'::text), 'the item is pending again, without a lease');
select row_eq($$select s.consecutive_failures, s.status, s.next_attempt_at from pipeline.asset_processing_state s
                join c1 using (asset_id)$$,
              row(0, 'active'::text, null::timestamptz), 'the ticker is not blamed');

-- test: permanent -> counted, failing, backoff from p_now
create temp table c2 as select * from pipeline.claim_work((select execution_id from exec), 'w1', 1, '5 minutes',
                                                          '2026-01-09 22:03+00');
select is((select work_item_id from c2), (select work_item_id from c1), 'the same item comes back first');
select is(pipeline.record_failure((select work_item_id from c2), (select lease_token from c2), 'permanent',
                                  'Ticker Not Found.', 404, '2026-01-09 22:04+00'), true, 'a 404 is recorded');
select row_eq(
    $$select s.consecutive_failures, s.status, s.is_skipped, s.next_attempt_at, s.last_error
      from pipeline.asset_processing_state s join c2 using (asset_id)$$,
    row(1, 'failing'::text, false,
        '2026-01-09 22:04+00'::timestamptz + pipeline.compute_backoff((select ticker from c2), 1, '1 hour', '7 days'),
        'Ticker Not Found. (HTTP 404)'::text),
    'counted once, failing, next attempt after the backoff'
);
select is((select status from pipeline.work_items w join c2 using (work_item_id)), 'failed', 'the item failed');
select is(pipeline.record_failure((select work_item_id from c2), (select lease_token from c2), 'permanent', 'again',
                                  404, '2026-01-09 22:05+00'), false, 'a second result for the same claim is rejected');
select is((select count(*)::integer from pipeline.asset_processing_details d join c1 using (work_item_id)), 2,
          'one detail row per recorded result (transient, then permanent)');

-- test: data errors count like permanent ones; at the limit the ticker is skipped
update pipeline.settings set failure_limit = 3;
update pipeline.asset_processing_state s set consecutive_failures = 1
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'F2.US';
create temp table c3 as select * from pipeline.claim_work((select execution_id from exec), 'w1', 2, '5 minutes',
                                                          '2026-01-09 22:06+00');
select pipeline.record_failure(work_item_id, lease_token, 'data', 'not JSON', 200, '2026-01-09 22:07+00')
from c3 where ticker = 'F2.US';
select row_eq(
    $$select s.consecutive_failures, s.status, s.next_attempt_at is not null from pipeline.asset_processing_state s
      join market.assets a using (asset_id) where a.ticker = 'F2.US'$$,
    row(2, 'failing'::text, true), 'a data error is counted'
);
update pipeline.asset_processing_state s set next_attempt_at = null
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'F2.US';
select pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"tickers": ["F2.US"]}', 'f2'),
                               '2026-01-09 22:10+00');
create temp table c4 as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'f2'), 'w1', 1, '5 minutes', '2026-01-09 22:11+00');
select pipeline.record_failure(work_item_id, lease_token, 'permanent', 'Ticker Not Found.', 404, '2026-01-09 22:12+00')
from c4;
select row_eq(
    $$select s.consecutive_failures, s.status, s.is_skipped, s.next_attempt_at, s.skip_reason like '3 consecutive failures%'
      from pipeline.asset_processing_state s join market.assets a using (asset_id) where a.ticker = 'F2.US'$$,
    row(3, 'skipped'::text, true, null::timestamptz, true), 'at the limit the ticker is skipped with a reason'
);
select is(
    pipeline.discover_delta(tests.new_execution('2026-01-12 22:00+00', '{"tickers": ["F2.US"]}', 'f3'),
                            '2026-01-12 22:00+00') -> 'planned_items',
    '0'::jsonb, 'a skipped ticker is not planned'
);

-- test: a reprocess request takes it out of the skip, only a success resets the counter
select is(pipeline.request_reprocess('F2.US', 'prices', null, '2026-01-13 08:00+00'), 1, 'reprocess requested');
select row_eq(
    $$select s.consecutive_failures, s.status, s.is_skipped from pipeline.asset_processing_state s
      join market.assets a using (asset_id) where a.ticker = 'F2.US'$$,
    row(0, 'active'::text, false), 'the reprocess clears the counter and the skip'
);
select is(
    pipeline.discover_delta(tests.new_execution('2026-01-13 09:00+00', '{"tickers": ["F2.US"]}', 'f4'),
                            '2026-01-13 09:00+00') -> 'planned_items',
    '1'::jsonb, 'and the ticker is planned again'
);

-- test: a data error of an initial load whose valid bars were stored (one bar quarantined)
select tests.add_assets('US', 1, 'N');
select pipeline.discover_delta(tests.new_execution('2026-01-20 22:00+00', '{"tickers": ["N1.US"]}', 'n1'),
                               '2026-01-20 22:00+00');
create temp table c6 as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'n1'), 'w1', 1, '5 minutes', '2026-01-20 22:01+00');
select is((select kind from c6), 'initial_load', 'the new asset gets an initial load');
select tests.add_bars((select asset_id from c6), '2026-01-02', '2026-01-20');
delete from market.stock_prices where asset_id = (select asset_id from c6) and trade_date = '2026-01-12';
select raw.land_response((select execution_id from pipeline.process_executions where run_id = 'n1'), 'eod', 'N1.US', 'US', '{}', 200,
                         '[{"date": "2026-01-02", "open": 1, "high": 1, "low": 1, "close": 1, "volume": 1}]',
                         '2026-01-20 22:01:30+00', 1, 50, 'w1');
select pipeline.record_failure(work_item_id, lease_token, 'data', '1 bar refused: low above high', 200,
                               '2026-01-20 22:02+00')
from c6;
select row_eq(
    $$select s.consecutive_failures, s.status, s.prices_first_date, s.prices_last_date
      from pipeline.asset_processing_state s join c6 using (asset_id)$$,
    row(1, 'failing'::text, '2026-01-02'::date, '2026-01-20'::date),
    'it is counted, and the watermark follows the bars stored'
);
select is((select prices_gap_from from pipeline.asset_processing_state s join c6 using (asset_id)), null::date,
          'the refused session was asked for: not a gap to refetch');
select is((select first_missing from monitor.price_gaps g join c6 using (asset_id)), '2026-01-12'::date,
          'the hole stays visible to operators');
update pipeline.asset_processing_state s set next_attempt_at = null from c6 where s.asset_id = c6.asset_id;
select pipeline.discover_delta(tests.new_execution('2026-01-21 22:00+00', '{"tickers": ["N1.US"]}', 'n2'),
                               '2026-01-21 22:00+00');
select is(
    (select string_agg(w.kind || ' from ' || w.from_date, ', ') from pipeline.work_items w
     join pipeline.process_executions x using (execution_id) where x.run_id = 'n2'),
    'prices from 2026-01-20',
    'the next run fetches from the watermark, not the whole history again'
);

-- test: an initial load whose history was stored before its fundamentals answered 404
select tests.add_assets('US', 1, 'M');
select pipeline.discover_delta(tests.new_execution('2026-01-20 22:00+00', '{"tickers": ["M1.US"]}', 'm1'),
                               '2026-01-20 22:00+00');
create temp table c7 as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'm1'), 'w1', 1, '5 minutes', '2026-01-20 22:01+00');
select tests.add_bars((select asset_id from c7), '2026-01-02', '2026-01-20');
select raw.land_response((select execution_id from pipeline.process_executions where run_id = 'm1'), 'eod', 'M1.US', 'US', '{}', 200,
                         '[{"date": "2026-01-02", "open": 1, "high": 1, "low": 1, "close": 1, "volume": 1}]',
                         '2026-01-20 22:01:30+00', 1, 50, 'w1');
select pipeline.record_failure(work_item_id, lease_token, 'permanent', 'fundamentals M1.US: Ticker Not Found.', 404,
                               '2026-01-20 22:02+00')
from c7;
select row_eq(
    $$select s.consecutive_failures, s.prices_last_date, s.fundamentals_fetched_at
      from pipeline.asset_processing_state s join c7 using (asset_id)$$,
    row(1, '2026-01-20'::date, null::timestamptz),
    'the failure is counted and the stored history is the watermark'
);
update pipeline.asset_processing_state s set next_attempt_at = null from c7 where s.asset_id = c7.asset_id;
select pipeline.discover_delta(tests.new_execution('2026-01-21 22:00+00', '{"tickers": ["M1.US"]}', 'm2'),
                               '2026-01-21 22:00+00');
select ok(
    (select bool_and(w.kind <> 'initial_load') from pipeline.work_items w
     join pipeline.process_executions x using (execution_id) where x.run_id = 'm2'),
    'the history is not loaded again'
);

-- test: an initial load answered by a truncated body stored nothing: the history stays owed,
-- and a bulk bar stored meanwhile does not stand in for it
select tests.add_assets('US', 1, 'K');
select pipeline.discover_delta(tests.new_execution('2026-01-20 22:00+00', '{"tickers": ["K1.US"]}', 'k1'),
                               '2026-01-20 22:00+00');
create temp table c8 as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'k1'), 'w1', 1, '5 minutes', '2026-01-20 22:01:00+00');
select raw.land_response((select execution_id from pipeline.process_executions where run_id = 'k1'), 'eod', 'K1.US', 'US', '{}', 200,
                         '[{"date": "2026-01-02", "open": 1, "hi', '2026-01-20 22:01:30+00', 1, 50, 'w1');
select pipeline.record_failure(work_item_id, lease_token, 'data', 'eod K1.US: response is not JSON', 200,
                               '2026-01-20 22:02+00')
from c8;
select tests.add_bars((select asset_id from c8), '2026-01-21', '2026-01-21');
select pipeline._advance_bulk_watermarks('US', '2026-01-21', '2026-01-21 22:05+00');
select row_eq(
    $$select s.history_owed_from, s.gaps_checked_through, s.consecutive_failures, s.status
      from pipeline.asset_processing_state s join c8 using (asset_id)$$,
    row('2000-01-01'::date, null::date, 1, 'failing'::text),
    'owed, nothing checked, the failure kept by the bulk day'
);
update pipeline.asset_processing_state s set next_attempt_at = null from c8 where s.asset_id = c8.asset_id;
select pipeline.discover_delta(tests.new_execution('2026-01-22 22:00+00', '{"tickers": ["K1.US"]}', 'k2'),
                               '2026-01-22 22:00+00');
select is(
    (select string_agg(w.kind || ' from ' || w.from_date, ', ') from pipeline.work_items w
     join pipeline.process_executions x using (execution_id) where x.run_id = 'k2'),
    'initial_load from 2000-01-01',
    'the next run asks for the whole history again'
);

-- test: quota -> the execution stops claiming, the item goes back, nobody is blamed
select is(pipeline.record_failure(work_item_id, lease_token, 'quota', 'You exceeded your daily API requests limit.', 402,
                                  '2026-01-09 22:08+00'), true, 'a 402 is recorded')
from c3 where ticker <> 'F2.US';
select row_eq(
    $$select w.status, s.consecutive_failures from pipeline.work_items w join c3 using (work_item_id)
      join pipeline.asset_processing_state s on s.asset_id = w.asset_id where c3.ticker <> 'F2.US'$$,
    row('pending'::text, 0), 'the item is pending and the ticker not counted'
);
select ok((select claiming_stopped_at is not null and stop_reason like 'quota:%' from pipeline.process_executions
           where execution_id = (select execution_id from exec)), 'the execution has stopped claiming');
select is((select count(*)::integer from pipeline.claim_work((select execution_id from exec), 'w2', 10, '5 minutes',
                                                             '2026-01-09 22:09+00')), 0, 'nothing more is handed out');

-- test: configuration -> the execution stops
create temp table c5 as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'f4'), 'w1', 1, '5 minutes', '2026-01-13 09:01+00');
select pipeline.record_failure(work_item_id, lease_token, 'configuration', 'Unauthenticated', 401, '2026-01-13 09:02+00')
from c5;
select row_eq(
    $$select x.stop_reason, w.status, s.consecutive_failures from pipeline.process_executions x
      join pipeline.work_items w using (execution_id) join pipeline.asset_processing_state s on s.asset_id = w.asset_id
      where x.run_id = 'f4'$$,
    row('configuration: Unauthenticated (HTTP 401)'::text, 'pending'::text, 0),
    'a 401 stops the run without blaming the ticker'
);

-- test: an item failing transiently on three claims counts against its ticker (the circuit is closed)
select tests.add_assets('US', 1, 'X');
select pipeline.discover_delta(tests.new_execution('2026-01-20 22:00+00', '{"tickers": ["X1.US"]}', 'x1'),
                               '2026-01-20 22:00+00');
create temp table x1 as select execution_id from pipeline.process_executions where run_id = 'x1';
create function pg_temp.claim_and_fail(p_at timestamptz, p_message text, p_class text default 'transient')
returns text language plpgsql as $$
declare
    v_claim record;
begin
    select * into v_claim from pipeline.claim_work((select execution_id from x1), 'w1', 1, '5 minutes', p_at);
    perform pipeline.record_failure(v_claim.work_item_id, v_claim.lease_token, p_class, p_message,
                                    case when p_class = 'transient' then 503 end, p_at + interval '1 second');
    return (select w.status || '/' || w.error_class from pipeline.work_items as w
            where w.work_item_id = v_claim.work_item_id);
end;
$$;
select is(pg_temp.claim_and_fail('2026-01-20 22:01+00', 'not fetched: run stopping (deadline)', 'unfetched'),
          'pending/unfetched', 'a claim handed back unfetched (class unfetched)');
select is(pg_temp.claim_and_fail('2026-01-20 22:02+00', 'eod X1.US: HTTP 503'), 'pending/transient', 'first failed claim');
select is(pg_temp.claim_and_fail('2026-01-20 22:03+00', 'eod X1.US: HTTP 503'), 'pending/transient', 'second');
select is(pg_temp.claim_and_fail('2026-01-20 22:04+00', 'eod X1.US: HTTP 503'), 'failed/permanent',
          'the third failed claim (the unfetched one not counted) is the ticker''s');
select row_eq($$select s.consecutive_failures, s.last_error like 'still failing after 3 claims: %' from
                pipeline.asset_processing_state s join market.assets a using (asset_id) where a.ticker = 'X1.US'$$,
              row(1, true), 'counted, with the reason');

-- test: when the provider fails for everyone, nobody is blamed, however often
select tests.add_assets('US', 12, 'Y');
select pipeline.discover_delta(tests.new_execution('2026-01-21 22:00+00', '{"exchanges": ["US"]}', 'y1'),
                               '2026-01-21 22:00+00') is not null;
create temp table y1 as select execution_id from pipeline.process_executions where run_id = 'y1';
create temp table cy as select * from pipeline.claim_work((select execution_id from y1), 'w1', 12, '5 minutes',
                                                          '2026-01-21 22:01+00');
select count(raw.land_response((select execution_id from y1), 'eod', ticker, 'US', '{}', 500, 'Internal Server Error',
                               '2026-01-21 22:01:30+00', 1, 10, 'w1', 'HTTP 500: Internal Server Error'))
from cy where ticker like 'Y%';
update pipeline.work_items set attempt = 5 where work_item_id in (select work_item_id from cy);
select is(
    (select count(*)::integer from cy
     where pipeline.record_failure(work_item_id, lease_token, 'transient', 'eod: HTTP 500', 500, '2026-01-21 22:02+00')),
    (select count(*)::integer from cy), 'every failure is recorded'
);
select row_eq(
    $$select count(*) filter (where w.status = 'pending')::integer, max(s.consecutive_failures), bool_or(x.stop_reason like 'provider:%')
      from pipeline.work_items w join cy using (work_item_id)
      join pipeline.asset_processing_state s on s.asset_id = w.asset_id
      join pipeline.process_executions x on x.execution_id = w.execution_id where cy.ticker like 'Y%'$$,
    row((select count(*)::integer from cy where ticker like 'Y%'), 0, true),
    'all handed back, no ticker counted, the run stopped by the provider circuit'
);

select * from finish();
rollback;

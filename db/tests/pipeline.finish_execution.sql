-- pipeline.finish_execution: summary and status whatever state the items are in; idempotent.
begin;
select plan(16);

-- setup: US calendar, four loaded assets one session behind, planned and claimed
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.add_assets('US', 4, 'X');
select tests.mark_loaded('X%.US', '2026-01-08', '2026-01-08 23:00+00');
select pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{}', 'x'), '2026-01-09 22:00+00');
create temp table exec as select execution_id from pipeline.process_executions where run_id = 'x';
update pipeline.process_executions set started_at = '2026-01-09 22:00+00' where run_id = 'x';
create temp table c as select * from pipeline.claim_work((select execution_id from exec), 'w1', 3, '5 minutes',
                                                         '2026-01-09 22:01+00');
insert into pipeline.api_calls (execution_id, endpoint, ticker, cost, http_status, called_at)
select (select execution_id from exec), 'eod', ticker, 1, 200, '2026-01-09 22:02+00' from c;
select pipeline.record_success(work_item_id, lease_token, '{}', '2026-01-09 22:03+00') from (select * from c order by work_item_id limit 1) as t;
select pipeline.record_failure(work_item_id, lease_token, 'permanent', 'Ticker Not Found.', 404, '2026-01-09 22:03+00')
from (select * from c order by work_item_id offset 1 limit 1) as t;

-- test: one done, one failed, one still claimed, one pending -> partial
select is(
    pipeline.finish_execution((select execution_id from exec), '2026-01-09 22:10+00')
    - 'duration_seconds' - 'api_calls' - 'stop_reason',
    '{"status": "partial", "items": {"done": 1, "failed": 1, "cancelled": 2}, "items_planned": 4,
      "items_not_done": 2, "items_deferred_for_quota": 0, "tickers_planned": 4, "tickers_succeeded": 1,
      "tickers_failed": 1, "tickers_skipped": 0, "api_cost": 3}'::jsonb,
    'open items count as not done: partial'
);
select row_eq(
    $$select status, finished_at, summary -> 'api_calls', (summary ->> 'duration_seconds')::numeric
      from pipeline.process_executions where run_id = 'x'$$,
    row('partial'::text, '2026-01-09 22:10+00'::timestamptz, '{"eod": {"calls": 3, "cost": 3}}'::jsonb, 600::numeric),
    'status, finish time, API calls by endpoint and duration are stored'
);
select is((select count(*)::integer from pipeline.work_items where status in ('pending', 'claimed')), 0,
          'no item stays claimable');
select is(pipeline.record_success((select work_item_id from c order by work_item_id offset 2 limit 1),
                                  (select lease_token from c order by work_item_id offset 2 limit 1), '{}',
                                  '2026-01-09 22:11+00'),
          false, 'a late result of a cancelled item is rejected');

-- test: idempotent
select is(pipeline.finish_execution((select execution_id from exec), '2026-01-10 00:00+00'),
          (select summary from pipeline.process_executions where run_id = 'x'), 'a second call returns the same summary');
select is((select finished_at from pipeline.process_executions where run_id = 'x'), '2026-01-09 22:10+00'::timestamptz,
          'and changes nothing');

-- test: all done -> success; nothing planned -> success
select pipeline.discover_delta(tests.new_execution('2026-01-12 22:00+00', '{"tickers": ["X1.US"]}', 'y'),
                               '2026-01-12 22:00+00');
create temp table c2 as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'y'), 'w1', 5, '5 minutes', '2026-01-12 22:01+00');
select pipeline.record_success(work_item_id, lease_token, '{}', '2026-01-12 22:02+00') from c2;
select is(pipeline.finish_execution((select execution_id from pipeline.process_executions where run_id = 'y'),
                                    '2026-01-12 22:03+00') ->> 'status', 'success', 'every item done: success');
select pipeline.discover_delta(tests.new_execution('2026-01-10 12:00+00', '{"exchanges": ["LSE"]}', 'z'),
                               '2026-01-10 12:00+00');
select is(pipeline.finish_execution((select execution_id from pipeline.process_executions where run_id = 'z'),
                                    '2026-01-10 12:01+00') ->> 'status', 'success', 'a run with nothing to do succeeds');

-- test: a collection run that never got its plan fails ('not planned'); other processes do not plan
select row_eq(
    $$select f ->> 'status', f ->> 'stop_reason' from pipeline.finish_execution(
          tests.new_execution('2026-01-10 12:00+00', '{}', 'unplanned'), '2026-01-10 12:01+00') as f$$,
    row('failed'::text, 'not planned'::text), 'sync_universe or discover_delta failed before planning: failed'
);
select is((select stop_reason from pipeline.process_executions where run_id = 'unplanned'), 'not planned',
          'the stop reason is stored');
select is(pipeline.finish_execution(pipeline.start_execution('calculate_indicators', 'ind', '2026-01-10 12:00+00'),
                                    '2026-01-10 12:01+00') ->> 'status', 'success',
          'a process without a plan (indicators) still succeeds');

-- test: every item failed -> failed; configuration stop -> failed
select pipeline.discover_delta(tests.new_execution('2026-01-13 22:00+00', '{"tickers": ["X4.US"]}', 'v'),
                               '2026-01-13 22:00+00');
create temp table c3 as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'v'), 'w1', 5, '5 minutes', '2026-01-13 22:01+00');
select pipeline.record_failure(work_item_id, lease_token, 'permanent', '404', 404, '2026-01-13 22:02+00') from c3;
select is(pipeline.finish_execution((select execution_id from pipeline.process_executions where run_id = 'v'),
                                    '2026-01-13 22:03+00') ->> 'status', 'failed', 'every item failed: failed');
select pipeline.discover_delta(tests.new_execution('2026-01-14 22:00+00', '{"tickers": ["X2.US"]}', 'u'),
                               '2026-01-14 22:00+00');
create temp table c4 as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'u'), 'w1', 5, '5 minutes', '2026-01-14 22:01+00');
select pipeline.record_failure(work_item_id, lease_token, 'configuration', 'Forbidden', 403, '2026-01-14 22:02+00') from c4;
select is(pipeline.finish_execution((select execution_id from pipeline.process_executions where run_id = 'u'),
                                    '2026-01-14 22:03+00') ->> 'status', 'failed', 'a configuration stop: failed');

-- test: quota stop with some done -> partial
select pipeline.discover_delta(tests.new_execution('2026-01-15 22:00+00', '{"tickers": ["X2.US", "X3.US"]}', 't'),
                               '2026-01-15 22:00+00');
create temp table c5 as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 't'), 'w1', 5, '5 minutes', '2026-01-15 22:01+00');
select pipeline.record_success(work_item_id, lease_token, '{}', '2026-01-15 22:02+00') from (select * from c5 order by work_item_id limit 1) as t;
select pipeline.record_failure(work_item_id, lease_token, 'quota', 'limit', 402, '2026-01-15 22:02+00')
from (select * from c5 order by work_item_id offset 1) as t;
select is(pipeline.finish_execution((select execution_id from pipeline.process_executions where run_id = 't'),
                                    '2026-01-15 22:03+00') ->> 'status', 'partial', 'left for lack of quota: partial');
select throws_ok($$select pipeline.finish_execution(-1)$$, '22023', null, 'an unknown execution is an error');

-- test: a run stopped by the provider circuit ends failed, with the reason in its summary
select tests.new_execution('2026-01-15 22:00+00', '{}', 'prov') as pe \gset
select pipeline.discover_delta(:pe, '2026-01-15 22:00+00') is not null;
update pipeline.process_executions set claiming_stopped_at = '2026-01-15 22:05+00',
       stop_reason = 'provider: eod failed for everyone: 20 of the last 20 attempts on 20 codes (server_error)'
where execution_id = :pe;
select row_eq(format($$select s ->> 'status', s ->> 'stop_reason' like 'provider:%%'
                       from pipeline.finish_execution(%s, '2026-01-15 22:06+00') as s$$, :pe),
              row('failed'::text, true), 'failed, the provider named');

select * from finish();
rollback;

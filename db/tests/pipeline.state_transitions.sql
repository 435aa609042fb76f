-- The transition tables of work items and asset states, including the forbidden transitions.
begin;
select plan(25);

-- setup: US calendar; five loaded assets one session behind, all claimed by one worker
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.add_assets('US', 6, 'T');
select tests.mark_loaded('T%.US', '2026-01-08', '2026-01-08 23:00+00');
select pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"tickers": ["T1.US", "T2.US", "T3.US",
    "T4.US"]}', 'a'), '2026-01-09 22:00+00');
create temp table c as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'a'), 'w1', 10, '5 minutes', '2026-01-09 22:01+00');
select pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"tickers": ["T5.US"]}', 'b'),
                               '2026-01-09 22:00+00');
insert into c select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'b'), 'w1', 10, '5 minutes', '2026-01-09 22:01+00');
-- T1 transient -> pending, T2 stays claimed, T3 done, T4 failed, T5 cancelled (its run finished)
select pipeline.record_failure(work_item_id, lease_token, 'transient', 'timeout', null, '2026-01-09 22:02+00')
from c where ticker = 'T1.US';
select pipeline.record_success(work_item_id, lease_token, '{}', '2026-01-09 22:02+00') from c where ticker = 'T3.US';
select pipeline.record_failure(work_item_id, lease_token, 'permanent', '404', 404, '2026-01-09 22:02+00')
from c where ticker = 'T4.US';
select pipeline.finish_execution((select execution_id from pipeline.process_executions where run_id = 'b'),
                                 '2026-01-09 22:02+00');

-- test: the states reached by the allowed transitions
select is((select array_agg(w.status order by c.ticker) from c join pipeline.work_items w using (work_item_id)),
          array['pending', 'claimed', 'done', 'failed', 'cancelled'],
          'claimed -> pending (transient), claimed, done (success), failed (permanent), cancelled (finish)');

-- test: forbidden transitions with the tokens the worker holds: nothing changes
select is((select array_agg(pipeline.heartbeat(work_item_id, lease_token, '5 minutes', '2026-01-09 22:03+00')
                            order by ticker) from c where ticker <> 'T2.US'),
          array[false, false, false, false], 'heartbeat on pending, done, failed or cancelled items is refused');
select is((select array_agg(pipeline.record_success(work_item_id, lease_token, '{}', '2026-01-09 22:03+00')
                            order by ticker) from c where ticker <> 'T2.US'),
          array[false, false, false, false], 'success on pending, done, failed or cancelled items is refused');
select is((select array_agg(pipeline.record_failure(work_item_id, lease_token, 'permanent', 'x', 404,
                                                    '2026-01-09 22:03+00') order by ticker) from c where ticker <> 'T2.US'),
          array[false, false, false, false], 'failure on pending, done, failed or cancelled items is refused');
select is((select array_agg(pipeline.record_failure(work_item_id, lease_token, 'transient', 'x', null,
                                                    '2026-01-09 22:03+00') order by ticker) from c where ticker <> 'T2.US'),
          array[false, false, false, false], 'a transient failure cannot revive a settled item');
select is((select array_agg(w.status order by c.ticker) from c join pipeline.work_items w using (work_item_id)),
          array['pending', 'claimed', 'done', 'failed', 'cancelled'], 'the states are unchanged');
select is((select consecutive_failures from pipeline.asset_processing_state s join c using (asset_id)
           where c.ticker = 'T4.US'), 1, 'the refused failure was not counted');

-- test: claiming only hands out pending items (never done, failed, cancelled or live claims)
select is((select array_agg(ticker) from pipeline.claim_work(
              (select execution_id from pipeline.process_executions where run_id = 'a'), 'w2', 10, '5 minutes',
              '2026-01-09 22:04+00')),
          array['T1.US'], 'only the pending item is claimable');
select is((select count(*)::integer from pipeline.claim_work(
              (select execution_id from pipeline.process_executions where run_id = 'b'), 'w2', 10, '5 minutes',
              '2026-01-09 22:04+00')), 0, 'a finished run hands out nothing');

-- test: the claimed item may still settle, once
select is(pipeline.record_success(work_item_id, lease_token, '{}', '2026-01-09 22:04+00'), true,
          'claimed -> done with the live token') from c where ticker = 'T2.US';
select is(pipeline.record_failure(work_item_id, lease_token, 'permanent', 'x', 404, '2026-01-09 22:04+00'), false,
          'done -> failed is refused') from c where ticker = 'T2.US';

-- setup: a new listing that fails to its limit
update pipeline.settings set failure_limit = 2;
select tests.add_assets('US', 1, 'NEW');
create temp table st (step text, status text, failures integer, skipped boolean);
select pipeline.finish_execution(execution_id, '2026-01-09 22:00+00') from pipeline.process_executions where status = 'running';
select pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"tickers": ["NEW1.US"]}', 'n1'),
                               '2026-01-09 22:00+00');
select pipeline.record_failure(work_item_id, lease_token, 'permanent', '404', 404, '2026-01-09 22:10+00')
from pipeline.claim_work((select execution_id from pipeline.process_executions where run_id = 'n1'), 'w', 1, '5 minutes',
                         '2026-01-09 22:05+00');
insert into st select 'first failure', status, consecutive_failures, is_skipped
from pipeline.asset_processing_state s join market.assets a using (asset_id) where a.ticker = 'NEW1.US';
update pipeline.asset_processing_state set next_attempt_at = null where status = 'failing';
select pipeline.finish_execution(execution_id, '2026-01-09 22:00+00') from pipeline.process_executions where status = 'running';
select pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"tickers": ["NEW1.US"]}', 'n2'),
                               '2026-01-09 23:00+00');
select pipeline.record_failure(work_item_id, lease_token, 'data', 'bad', 200, '2026-01-09 23:10+00')
from pipeline.claim_work((select execution_id from pipeline.process_executions where run_id = 'n2'), 'w', 1, '5 minutes',
                         '2026-01-09 23:05+00');
insert into st select 'at the limit', status, consecutive_failures, is_skipped
from pipeline.asset_processing_state s join market.assets a using (asset_id) where a.ticker = 'NEW1.US';

-- test: asset states: new -> failing -> skipped
select row_eq($$select status, failures, skipped from st where step = 'first failure'$$, row('failing'::text, 1, false),
              'new -> failing on a permanent failure');
select row_eq($$select status, failures, skipped from st where step = 'at the limit'$$, row('skipped'::text, 2, true),
              'failing -> skipped at the limit');

-- test: skipped stays skipped until a reprocess request or a force that names it
select pipeline.finish_execution(execution_id, '2026-01-09 22:00+00') from pipeline.process_executions where status = 'running';
select is(pipeline.discover_delta(tests.new_execution('2026-01-12 22:00+00', '{"tickers": ["NEW1.US"]}',
                                                      'n3'), '2026-01-12 22:00+00') -> 'planned_items', '0'::jsonb,
          'skipped -> planned is forbidden for an ordinary run');
select is(pipeline.discover_delta(tests.new_execution('2026-01-12 22:00+00', '{"tickers": ["NEW1.US"], "force": true}',
                                                      'n3f'), '2026-01-12 22:00+00') -> 'planned_items', '1'::jsonb,
          'skipped -> new by a force that selects it');
select pipeline.finish_execution(execution_id, '2026-01-12 22:00+00') from pipeline.process_executions where status = 'running';
select pipeline.request_reprocess('NEW1.US', 'all', null, '2026-01-12 23:00+00');
select is((select status from pipeline.asset_processing_state s join market.assets a using (asset_id)
           where a.ticker = 'NEW1.US'), 'new', 'skipped -> new by reprocess (it never loaded)');

-- setup: the initial load succeeds
insert into market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close, volume)
select asset_id, '2026-01-12', 10, 11, 9, 10, 10, 100 from market.assets where ticker = 'NEW1.US';
select pipeline.finish_execution(execution_id, '2026-01-09 22:00+00') from pipeline.process_executions where status = 'running';
select pipeline.discover_delta(tests.new_execution('2026-01-12 22:00+00', '{"tickers": ["NEW1.US"]}', 'n4'),
                               '2026-01-13 00:00+00');
select pipeline.record_success(work_item_id, lease_token, '{"rows_stored": 1}', '2026-01-13 00:10+00')
from pipeline.claim_work((select execution_id from pipeline.process_executions where run_id = 'n4'), 'w', 1, '5 minutes',
                         '2026-01-13 00:05+00');

-- test: new -> active; active -> failing -> active; success resets the counter
select row_eq($$select s.status, s.consecutive_failures, s.prices_last_date from pipeline.asset_processing_state s
                join market.assets a using (asset_id) where a.ticker = 'NEW1.US'$$,
              row('active'::text, 0, '2026-01-12'::date), 'new -> active by the initial load');
select pipeline.finish_execution(execution_id, '2026-01-09 22:00+00') from pipeline.process_executions where status = 'running';
select pipeline.discover_delta(tests.new_execution('2026-01-13 22:00+00', '{"tickers": ["NEW1.US"]}', 'n5'),
                               '2026-01-13 22:00+00');
select pipeline.record_failure(work_item_id, lease_token, 'permanent', '404', 404, '2026-01-13 22:10+00')
from pipeline.claim_work((select execution_id from pipeline.process_executions where run_id = 'n5'), 'w', 1, '5 minutes',
                         '2026-01-13 22:05+00');
select is((select status from pipeline.asset_processing_state s join market.assets a using (asset_id)
           where a.ticker = 'NEW1.US'), 'failing', 'active -> failing');
select pipeline.finish_execution(execution_id, '2026-01-09 22:00+00') from pipeline.process_executions where status = 'running';
select is(pipeline.discover_delta(tests.new_execution('2026-01-13 22:00+00', '{"tickers": ["NEW1.US"]}', 'n6'),
                                  '2026-01-13 22:20+00') -> 'planned_items', '0'::jsonb,
          'failing is not planned during its backoff');
select pipeline.finish_execution(execution_id, '2026-01-09 22:00+00') from pipeline.process_executions where status = 'running';
select pipeline.discover_delta(tests.new_execution('2026-01-13 22:00+00', '{"tickers": ["NEW1.US"]}', 'n7'),
                               '2026-01-14 12:00+00');
select pipeline.record_success(work_item_id, lease_token, '{}', '2026-01-14 12:10+00')
from pipeline.claim_work((select execution_id from pipeline.process_executions where run_id = 'n7'), 'w', 1, '5 minutes',
                         '2026-01-14 12:05+00');
select row_eq($$select s.status, s.consecutive_failures, s.next_attempt_at from pipeline.asset_processing_state s
                join market.assets a using (asset_id) where a.ticker = 'NEW1.US'$$,
              row('active'::text, 0, null::timestamptz), 'failing -> active by a success, counter reset');

-- test: a transient failure never moves the asset state
select pipeline.finish_execution(execution_id, '2026-01-09 22:00+00') from pipeline.process_executions where status = 'running';
select pipeline.discover_delta(tests.new_execution('2026-01-14 22:00+00', '{"tickers": ["NEW1.US"]}', 'n8'),
                               '2026-01-14 22:00+00');
select pipeline.record_failure(work_item_id, lease_token, 'transient', '503', 503, '2026-01-14 22:10+00')
from pipeline.claim_work((select execution_id from pipeline.process_executions where run_id = 'n8'), 'w', 1, '5 minutes',
                         '2026-01-14 22:05+00');
select row_eq($$select s.status, s.consecutive_failures from pipeline.asset_processing_state s
                join market.assets a using (asset_id) where a.ticker = 'NEW1.US'$$,
              row('active'::text, 0), 'active stays active on a transient failure');
select pipeline.finish_execution(execution_id, '2026-01-14 22:30+00') from pipeline.process_executions where run_id = 'n8';

-- test: active -> inactive when the code leaves the universe; inactive is never planned
update market.assets set universe = 'nyse' where ticker like '%.US';
select pipeline.sync_universe('nyse', array['T1.US', 'T2.US', 'T3.US', 'T4.US', 'T5.US', 'T6.US'], '2026-01-15');
select is((select status from pipeline.asset_processing_state s join market.assets a using (asset_id)
           where a.ticker = 'NEW1.US'), 'inactive', 'active -> inactive');
select pipeline.finish_execution(execution_id, '2026-01-09 22:00+00') from pipeline.process_executions where status = 'running';
select is(pipeline.discover_delta(tests.new_execution('2026-01-15 22:00+00', '{"tickers": ["NEW1.US"], "force": true}',
                                                      'n9'), '2026-01-15 22:00+00') -> 'planned_items', '0'::jsonb,
          'an inactive asset is never planned');
select pipeline.request_reprocess('NEW1.US', 'prices', null, '2026-01-15 23:00+00');
select is((select status from pipeline.asset_processing_state s join market.assets a using (asset_id)
           where a.ticker = 'NEW1.US'), 'inactive', 'a reprocess request does not reactivate an inactive asset');
select is((select count(*)::integer from pipeline.asset_processing_details d join pipeline.work_items w
           using (work_item_id) where w.asset_id = (select asset_id from market.assets where ticker = 'NEW1.US')),
          6, 'one detail row per recorded result (6 results for NEW1.US)');

select * from finish();
rollback;

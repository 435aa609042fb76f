-- monitor.execution_summary: counts by item state, planned cost and API calls per execution.
begin;
select plan(2);

-- setup: US calendar around today, three assets one session behind, one claimed and settled
select tests.add_sessions('US', current_date - 20, current_date + 5);
select tests.add_assets('US', 3, 'M');
select tests.mark_loaded('M%.US', '2020-01-02', now() - interval '1 day');
select pipeline.discover_delta(tests.new_execution(now(), '{}', 'm'), now());
create temp table c as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'm'), 'w1', 2, '5 minutes', now());
select pipeline.record_success(work_item_id, lease_token, '{}', now()) from (select * from c limit 1) as t;
insert into pipeline.api_calls (execution_id, endpoint, cost, called_at)
select execution_id, 'eod', 1, now() from pipeline.process_executions where run_id = 'm';

-- test: the row of the running execution
select row_eq(
    $$select status, items, items_pending, items_claimed, items_done, items_failed, items_cancelled, planned_cost,
             api_calls, api_cost
      from monitor.execution_summary where run_id = 'm'$$,
    row('running'::text, 3, 1, 1, 1, 0, 0, 3, 1, 1), 'items by state, planned cost and API calls'
);

-- test: after finishing
select pipeline.finish_execution(execution_id, now()) from pipeline.process_executions where run_id = 'm';
select row_eq(
    $$select status, items_pending, items_claimed, items_cancelled from monitor.execution_summary where run_id = 'm'$$,
    row('partial'::text, 0, 0, 2), 'the finished run shows its cancelled items'
);

select * from finish();
rollback;

-- pipeline.reap_stale_executions: old running executions are finished as failed.
begin;
select plan(4);

-- setup: one old and one recent running execution, one old finished
select tests.new_execution('2026-01-01 22:00+00', '{}', 'old');
select tests.new_execution('2026-01-09 22:00+00', '{}', 'new');
select tests.new_execution('2026-01-01 22:00+00', '{}', 'done');
update pipeline.process_executions set started_at = '2026-01-01 22:00+00' where run_id in ('old', 'done');
update pipeline.process_executions set started_at = '2026-01-09 22:00+00' where run_id = 'new';
select pipeline.discover_delta((select execution_id from pipeline.process_executions where run_id = 'done'),
                               '2026-01-01 22:00+00');
select pipeline.finish_execution((select execution_id from pipeline.process_executions where run_id = 'done'),
                                 '2026-01-01 23:00+00');

-- test: only the old running one is reaped
select is(pipeline.reap_stale_executions('1 day', '2026-01-10 00:00+00'),
          array[(select execution_id from pipeline.process_executions where run_id = 'old')], 'the old run is reaped');
select row_eq($$select status, finished_at, summary ? 'reaped_at' from pipeline.process_executions where run_id = 'old'$$,
              row('failed'::text, '2026-01-10 00:00+00'::timestamptz, true), 'failed, finished, summary says reaped');
select is((select array_agg(status order by run_id) from pipeline.process_executions where run_id in ('done', 'new')),
          array['success', 'running'], 'finished and recent runs are untouched');
select is(pipeline.reap_stale_executions('1 day', '2026-01-10 00:00+00'), '{}'::bigint[], 'idempotent');

select * from finish();
rollback;

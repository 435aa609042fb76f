-- pipeline.register_worker: a new session of a worker name takes over its earlier session's items.
begin;
select plan(6);

-- setup: 4 items, two claimed by w0 (the process is then killed), one by w1
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.add_assets('US', 4, 'R');
select tests.mark_loaded('R%.US', '2026-01-08', '2026-01-08 23:00+00');
select pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{}', 'r'), '2026-01-09 22:00+00');
create temp table exec as select execution_id from pipeline.process_executions where run_id = 'r';
select pipeline.register_worker((select execution_id from exec), 'w0', '2026-01-09 22:00:30+00') as s0 \gset
create temp table c0 as select * from pipeline.claim_work((select execution_id from exec), 'w0', 2, '5 minutes',
                                                          '2026-01-09 22:01+00');
create temp table c1 as select * from pipeline.claim_work((select execution_id from exec), 'w1', 1, '5 minutes',
                                                          '2026-01-09 22:01+00');

-- test: arguments
select throws_ok(format('select pipeline.register_worker(%s, %L)', (select execution_id from exec), ' '),
                 '22023', null, 'a worker needs a name');
select throws_ok('select pipeline.register_worker(-1, ''w'')', '22023', null, 'an unknown execution is refused');

-- test: the retry of w0 registers: w0's items come back at once, w1's stay
select pipeline.register_worker((select execution_id from exec), 'w0', '2026-01-09 22:01:10+00') as s1 \gset
select isnt(:'s1'::uuid, :'s0'::uuid, 'a new session id');
select results_eq(
    $$select w.status, w.lease_token is null from pipeline.work_items w join c0 using (work_item_id)$$,
    $$values ('pending'::text, true), ('pending', true)$$,
    'the killed session''s items are pending, their tokens void'
);
select is((select status from pipeline.work_items w join c1 using (work_item_id)), 'claimed', 'other workers keep theirs');

-- test: the old process's late result is fenced out
select is(pipeline.record_success((select work_item_id from c0 limit 1), (select lease_token from c0 limit 1), '{}',
                                  '2026-01-09 22:01:20+00'), false, 'a late success of the old session changes nothing');

select * from finish();
rollback;

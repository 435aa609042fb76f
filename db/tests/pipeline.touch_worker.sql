-- pipeline.touch_worker: a session's sign of life; a session unseen too long loses its items.
begin;
select plan(5);

-- setup: two sessions of one execution, each with a claimed item
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.add_assets('US', 3, 'T');
select tests.mark_loaded('T%.US', '2026-01-08', '2026-01-08 23:00+00');
select pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{}', 't'), '2026-01-09 22:00+00');
create temp table exec as select execution_id from pipeline.process_executions where run_id = 't';
select pipeline.register_worker((select execution_id from exec), 'alive', '2026-01-09 22:01+00') as alive \gset
select pipeline.register_worker((select execution_id from exec), 'dead', '2026-01-09 22:01+00') as dead \gset
create temp table ca as select * from pipeline.claim_work((select execution_id from exec), 'alive', 1, '5 minutes',
                                                          '2026-01-09 22:01+00');
create temp table cd as select * from pipeline.claim_work((select execution_id from exec), 'dead', 1, '5 minutes',
                                                          '2026-01-09 22:01+00');

-- test: touching
select ok(pipeline.touch_worker((select execution_id from exec), 'alive', :'alive', '2026-01-09 22:01:40+00'),
          'the live session is seen');
select is(pipeline.touch_worker((select execution_id from exec), 'alive', gen_random_uuid(), '2026-01-09 22:01:40+00'),
          null, 'an unknown session is told so');

-- test: 50 s later the unseen session's item is claimable at once, long before its lease ends
select pipeline.touch_worker((select execution_id from exec), 'alive', :'alive', '2026-01-09 22:01:50+00');
create temp table c2 as select * from pipeline.claim_work((select execution_id from exec), 'alive', 5, '5 minutes',
                                                          '2026-01-09 22:01:51+00');
select ok((select work_item_id from cd) in (select work_item_id from c2), 'the dead session''s item is claimed again');
select is((select status from pipeline.work_items w join ca using (work_item_id)), 'claimed', 'the live one keeps its item');
select is(pipeline.heartbeat((select work_item_id from cd), (select lease_token from cd), '5 minutes',
                             '2026-01-09 22:01:52+00'), false, 'the dead session''s lease token is void');

select * from finish();
rollback;

-- pipeline.heartbeat: extends a live lease; a stale token or a settled item answers false.
begin;
select plan(6);

-- setup: one asset one session behind, planned and claimed
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.add_assets('US', 1, 'H');
select tests.mark_loaded('H1.US', '2026-01-08', '2026-01-08 23:00+00');
select pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{}', 'h'), '2026-01-09 22:00+00');
create temp table c as
select * from pipeline.claim_work((select execution_id from pipeline.process_executions where run_id = 'h'),
                                  'w1', 1, '5 minutes', '2026-01-09 22:01+00');

-- test: a live lease is extended
select is(pipeline.heartbeat((select work_item_id from c), (select lease_token from c), '5 minutes',
                             '2026-01-09 22:04+00'), true, 'heartbeat with the token succeeds');
select is((select lease_expires_at from pipeline.work_items), '2026-01-09 22:09+00'::timestamptz,
          'the lease now ends 5 minutes after the heartbeat');
select is(pipeline.heartbeat((select work_item_id from c), (select lease_token from c), '1 minute',
                             '2026-01-09 22:05+00'), true, 'a shorter heartbeat succeeds');
select is((select lease_expires_at from pipeline.work_items), '2026-01-09 22:09+00'::timestamptz,
          'but never shortens the lease');

-- test: a wrong token changes nothing
select is(pipeline.heartbeat((select work_item_id from c), gen_random_uuid(), '1 hour', '2026-01-09 22:05+00'),
          false, 'a stale token is refused');

-- test: a settled item cannot be extended
select pipeline.record_success((select work_item_id from c), (select lease_token from c), '{}', '2026-01-09 22:06+00');
select is(pipeline.heartbeat((select work_item_id from c), (select lease_token from c), '5 minutes',
                             '2026-01-09 22:07+00'), false, 'after the result the lease cannot be extended');

select * from finish();
rollback;

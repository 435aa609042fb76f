-- pipeline.reap_expired_leases: expired leases back to pending, live ones and settled items untouched.
begin;
select plan(5);

-- setup: three claimed items: one expired, one live, one settled after expiry
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.add_assets('US', 3, 'L');
select tests.mark_loaded('L%.US', '2026-01-08', '2026-01-08 23:00+00');
select pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{}', 'l'), '2026-01-09 22:00+00');
create temp table c as select * from pipeline.claim_work(
    (select execution_id from pipeline.process_executions where run_id = 'l'), 'w1', 3, '5 minutes', '2026-01-09 22:01+00');
select pipeline.heartbeat(work_item_id, lease_token, '1 hour', '2026-01-09 22:02+00')
from (select * from c order by work_item_id offset 1 limit 1) as t;
select pipeline.record_success(work_item_id, lease_token, '{}', '2026-01-09 22:07+00')
from (select * from c order by work_item_id offset 2 limit 1) as t;

-- test: only the expired claim is reaped
select is(pipeline.reap_expired_leases('2026-01-09 22:10+00'), 1, 'one expired lease reaped');
select is((select array_agg(w.status order by w.work_item_id) from pipeline.work_items w),
          array['pending', 'claimed', 'done'], 'expired -> pending; live and done untouched');
select is((select lease_token from pipeline.work_items order by work_item_id limit 1), null::uuid, 'the token is cleared');
select is(pipeline.record_success((select work_item_id from c order by work_item_id limit 1),
                                  (select lease_token from c order by work_item_id limit 1), '{}', '2026-01-09 22:11+00'),
          false, 'the reaped worker''s result is rejected');
select is(pipeline.reap_expired_leases('2026-01-09 22:10+00'), 0, 'a second run reaps nothing');

select * from finish();
rollback;

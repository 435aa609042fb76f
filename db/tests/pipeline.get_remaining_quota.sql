-- pipeline.get_remaining_quota: UTC day, buffer, reservations of other running executions.
begin;
select plan(5);

-- setup: quota 1,000, buffer 100; calls on both sides of midnight UTC
update pipeline.settings set daily_quota = 1000, quota_buffer = 100;
insert into pipeline.api_calls (endpoint, cost, called_at) values
('fundamentals', 10, '2026-01-09 23:59:59+00'),
('eod', 1, '2026-01-10 00:00:00+00'),
('eod-bulk-last-day', 100, '2026-01-10 01:00:00-05');

-- test: only the calls of the UTC day count
select is(pipeline.get_remaining_quota('2026-01-10 12:00+00'), 1000 - 100 - 101, 'calls of the UTC day are subtracted');
select is(pipeline.get_remaining_quota('2026-01-09 23:59:59.5+00'), 1000 - 100 - 10, 'the previous UTC day is separate');

-- setup: an open item of another running execution
select tests.add_assets('US', 1, 'Q');
select tests.new_execution('2026-01-10 12:00+00', '{}', 'q');
insert into pipeline.work_items (execution_id, kind, reason, asset_id, exchange_code, planned_cost, priority, claim_order)
select x.execution_id, 'initial_load', 'new_listing', a.asset_id, 'US', 11, 3, 1
from pipeline.process_executions x, market.assets a;

-- test: open work of other running runs is reserved, the own run's is not
select is(pipeline.get_remaining_quota('2026-01-10 12:00+00'), 799 - 11, 'open items of running executions are reserved');
select is(pipeline.get_remaining_quota('2026-01-10 12:00+00', (select execution_id from pipeline.process_executions)),
          799, 'except those of the excluded execution');
select pipeline.finish_execution((select execution_id from pipeline.process_executions), '2026-01-10 12:01+00');
select is(pipeline.get_remaining_quota('2026-01-10 12:00+00'), 799, 'a finished execution reserves nothing');

select * from finish();
rollback;

-- monitor.quota_today: used, reserved and remaining calls of the UTC day.
begin;
select plan(1);

-- setup: quota 1,000 / buffer 100; 40 calls today, 5 yesterday; 11 reserved by a running run
update pipeline.settings set daily_quota = 1000, quota_buffer = 100;
insert into pipeline.api_calls (endpoint, cost, called_at) values
('eod', 40, date_trunc('day', now() at time zone 'UTC') at time zone 'UTC'),
('eod', 5, (date_trunc('day', now() at time zone 'UTC') at time zone 'UTC') - interval '1 second');
select tests.add_assets('US', 1, 'Q');
select pipeline.discover_delta(tests.new_execution(now(), '{}', 'q'), now());

-- test: the row
select row_eq($$select daily_quota, quota_buffer, used, reserved, remaining from monitor.quota_today$$,
              row(1000, 100, 40, 11, 849), 'quota, buffer, used today, reserved by the run, remaining');

select * from finish();
rollback;

-- monitor.quota_today: the provider's (UTC) day so far: quota, calls used, buffer, reserved by
-- open work of running executions and what a new plan may still spend. Read-only, for people.
create or replace view monitor.quota_today as
select
    date_trunc('day', now() at time zone 'UTC')::date as utc_day,
    s.daily_quota,
    s.quota_buffer,
    (
        select coalesce(sum(c.cost), 0) from pipeline.api_calls as c
        where c.called_at >= date_trunc('day', now() at time zone 'UTC') at time zone 'UTC'
    )::integer as used,
    (
        select coalesce(sum(w.planned_cost), 0)
        from pipeline.work_items as w
        inner join pipeline.process_executions as x on w.execution_id = x.execution_id
        where x.status = 'running' and w.status in ('pending', 'claimed')
    )::integer as reserved,
    pipeline.get_remaining_quota(now()) as remaining
from pipeline.settings as s;

comment on view monitor.quota_today is
'Today (UTC): daily quota, buffer, calls used, calls reserved by open work of running executions, remaining.';
comment on column monitor.quota_today.used is 'Cost of API calls recorded since midnight UTC.';
comment on column monitor.quota_today.reserved is 'Planned cost of pending or claimed items of running executions.';
comment on column monitor.quota_today.remaining is 'What a new plan may still spend (pipeline.get_remaining_quota).';

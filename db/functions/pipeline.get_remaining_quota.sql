-- pipeline.get_remaining_quota: API calls a new plan may still spend on the UTC day of p_now:
-- daily_quota - calls recorded that day - quota_buffer - open work of other running executions.
-- Called by discover_delta and monitor.quota_today. Read-only; may be negative.
create or replace function pipeline.get_remaining_quota(
    p_now timestamptz,
    p_exclude_execution_id bigint default null
)
returns integer
language sql
stable
security definer
set search_path = ''
as $$
    select (
        s.daily_quota - s.quota_buffer
        - coalesce((
            select sum(c.cost) from pipeline.api_calls as c
            where c.called_at >= date_trunc('day', p_now at time zone 'UTC') at time zone 'UTC'
              and c.called_at < (date_trunc('day', p_now at time zone 'UTC') + interval '1 day') at time zone 'UTC'
        ), 0)
        - coalesce((
            select sum(w.planned_cost)
            from pipeline.process_executions as x
            inner join pipeline.work_items as w on x.execution_id = w.execution_id
            where x.status = 'running'
              and x.execution_id is distinct from p_exclude_execution_id
              and w.status in ('pending', 'claimed')
        ), 0)
    )::integer
    from pipeline.settings as s
$$;

comment on function pipeline.get_remaining_quota(timestamptz, bigint) is
'Calls still plannable on the UTC day of p_now: quota - used today - buffer - open work of other running executions.';

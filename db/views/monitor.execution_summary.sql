-- monitor.execution_summary: recent executions with their status, planned and settled items,
-- API calls and cost. Read-only, for people.
create or replace view monitor.execution_summary as
select
    x.execution_id,
    x.process_name,
    x.run_id,
    x.as_of,
    x.status,
    x.started_at,
    x.finished_at,
    x.stop_reason,
    coalesce(w.items, 0) as items,
    coalesce(w.pending, 0) as items_pending,
    coalesce(w.claimed, 0) as items_claimed,
    coalesce(w.done, 0) as items_done,
    coalesce(w.failed, 0) as items_failed,
    coalesce(w.cancelled, 0) as items_cancelled,
    coalesce(w.planned_cost, 0) as planned_cost,
    coalesce(c.calls, 0) as api_calls,
    coalesce(c.cost, 0) as api_cost,
    (x.plan_summary ->> 'deferred_items')::integer as items_deferred_for_quota,
    coalesce(x.finished_at, now()) - x.started_at as duration
from pipeline.process_executions as x
left join lateral (
    select
        count(*)::integer as items,
        (count(*) filter (where i.status = 'pending'))::integer as pending,
        (count(*) filter (where i.status = 'claimed'))::integer as claimed,
        (count(*) filter (where i.status = 'done'))::integer as done,
        (count(*) filter (where i.status = 'failed'))::integer as failed,
        (count(*) filter (where i.status = 'cancelled'))::integer as cancelled,
        sum(i.planned_cost)::integer as planned_cost
    from pipeline.work_items as i
    where i.execution_id = x.execution_id
) as w on true
left join lateral (
    select
        count(*)::integer as calls,
        sum(a.cost)::integer as cost
    from pipeline.api_calls as a
    where a.execution_id = x.execution_id
) as c on true
where x.started_at > now() - interval '30 days' or x.status = 'running';

comment on view monitor.execution_summary is
'Executions of the last 30 days (and every running one): status, items by state, planned cost, API calls and cost.';
comment on column monitor.execution_summary.items_deferred_for_quota is 'Items discover_delta left out for lack of quota.';
comment on column monitor.execution_summary.duration is 'Finished (or now) minus started.';

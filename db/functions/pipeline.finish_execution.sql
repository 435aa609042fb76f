-- pipeline.finish_execution: close a run whatever state its items are in: open items are
-- cancelled (counted as not done), the summary (tickers planned/succeeded/failed/skipped,
-- items by status, API calls by endpoint, duration) is stored and the status set; a run
-- of a collection process (process_name contains 'collection') that was never planned is
-- failed with stop reason 'not planned'; a run whose claiming stopped for a configuration
-- error or because the provider failed for everyone (provider circuit) is failed.
-- Called by the DAG's final task (trigger rule all_done) and the reaper. Idempotent.
create or replace function pipeline.finish_execution(p_execution_id bigint, p_now timestamptz default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_now timestamptz := coalesce(p_now, clock_timestamp());
    v_exec pipeline.process_executions;
    v_left integer;
    v_items jsonb;
    v_done integer;
    v_failed integer;
    v_total integer;
    v_deferred integer;
    v_status text;
    v_summary jsonb;
begin
    select * into v_exec from pipeline.process_executions as x where x.execution_id = p_execution_id for update;
    if not found then
        raise exception 'finish_execution: unknown execution %', p_execution_id using errcode = 'invalid_parameter_value';
    end if;
    if v_exec.status <> 'running' then
        return v_exec.summary;
    end if;

    -- open items are not done: cancel them so they neither get claimed nor reserve quota
    update pipeline.work_items as w
       set status = 'cancelled', finished_at = v_now, lease_expires_at = null
     where w.execution_id = p_execution_id and w.status in ('pending', 'claimed');
    get diagnostics v_left = row_count;

    select coalesce(jsonb_object_agg(c.status, c.n), '{}'),
           coalesce(sum(c.n) filter (where c.status = 'done'), 0),
           coalesce(sum(c.n) filter (where c.status = 'failed'), 0),
           coalesce(sum(c.n), 0)
      into v_items, v_done, v_failed, v_total
      from (select w.status, count(*) as n from pipeline.work_items as w
            where w.execution_id = p_execution_id group by w.status) as c;
    v_deferred := coalesce((v_exec.plan_summary ->> 'deferred_items')::integer, 0);

    if v_exec.planned_at is null and v_exec.process_name like '%collection%' then
        -- a collection run that never got its plan (sync_universe or discover_delta failed)
        v_exec.stop_reason := coalesce(v_exec.stop_reason, 'not planned');
        update pipeline.process_executions as x
           set stop_reason = v_exec.stop_reason
         where x.execution_id = p_execution_id;
    end if;

    v_status := case
        when v_exec.planned_at is null and v_exec.process_name like '%collection%' then 'failed'
        when v_exec.stop_reason like 'configuration:%' or v_exec.stop_reason like 'provider:%' then 'failed'
        when v_total > 0 and v_done = 0 and v_failed = v_total then 'failed'
        when v_failed > 0 or v_left > 0 or v_deferred > 0 then 'partial'
        else 'success'
    end;

    v_summary := jsonb_build_object(
        'status', v_status,
        'items', v_items,
        'items_planned', v_total,
        'items_not_done', v_left,
        'items_deferred_for_quota', v_deferred,
        'tickers_planned', (select count(distinct w.asset_id) from pipeline.work_items as w
                            where w.execution_id = p_execution_id),
        'tickers_succeeded', (select count(distinct w.asset_id) from pipeline.work_items as w
                              where w.execution_id = p_execution_id and w.status = 'done'),
        'tickers_failed', (select count(distinct w.asset_id) from pipeline.work_items as w
                           where w.execution_id = p_execution_id and w.status = 'failed'),
        'tickers_skipped', (select count(distinct w.asset_id) from pipeline.work_items as w
                            inner join pipeline.asset_processing_state as s on w.asset_id = s.asset_id
                            where w.execution_id = p_execution_id and s.is_skipped),
        'api_calls', coalesce((select jsonb_object_agg(c.endpoint, jsonb_build_object('calls', c.n, 'cost', c.cost))
                               from (select a.endpoint, count(*) as n, sum(a.cost) as cost
                                     from pipeline.api_calls as a where a.execution_id = p_execution_id
                                     group by a.endpoint) as c), '{}'),
        'api_cost', (select coalesce(sum(a.cost), 0) from pipeline.api_calls as a
                     where a.execution_id = p_execution_id),
        'stop_reason', v_exec.stop_reason,
        'duration_seconds', round(extract(epoch from greatest(v_now - v_exec.started_at, interval '0'))::numeric, 3)
    );

    update pipeline.process_executions as x
       set status = v_status, summary = v_summary, finished_at = greatest(v_now, x.started_at)
     where x.execution_id = p_execution_id;
    return v_summary;
end;
$$;

comment on function pipeline.finish_execution(bigint, timestamptz) is
'Close a run: cancel its open items, store the summary, set success / partial / failed; idempotent.';

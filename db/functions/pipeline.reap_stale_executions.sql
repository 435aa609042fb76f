-- pipeline.reap_stale_executions: executions still running after p_older_than (their DAG
-- died before finishing) are closed by the finish logic and marked failed.
-- Called by the maintenance DAG. Idempotent; returns the ids closed.
create or replace function pipeline.reap_stale_executions(p_older_than interval, p_now timestamptz default null)
returns bigint[]
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_now timestamptz := coalesce(p_now, clock_timestamp());
    v_id bigint;
    v_ids bigint[] := '{}';
begin
    if p_older_than is null or p_older_than < interval '0' then
        raise exception 'reap_stale_executions: p_older_than must be a non-negative interval'
            using errcode = 'invalid_parameter_value';
    end if;
    for v_id in
        select x.execution_id from pipeline.process_executions as x
        where x.status = 'running' and x.started_at < v_now - p_older_than
        order by x.execution_id
        for update skip locked
    loop
        perform pipeline.finish_execution(v_id, v_now);
        update pipeline.process_executions as x
           set status = 'failed',
               summary = x.summary || jsonb_build_object('status', 'failed', 'reaped_at', v_now,
                   'reaped_reason', 'still running after ' || p_older_than::text)
         where x.execution_id = v_id;
        v_ids := v_ids || v_id;
    end loop;
    return v_ids;
end;
$$;

comment on function pipeline.reap_stale_executions(interval, timestamptz) is
'Close executions running for longer than p_older_than through finish_execution and mark them failed; returns their ids.';

-- pipeline.register_worker: a fetcher process announces itself for an execution under its worker
-- name and gets a new session id. A previous session of the same name is gone (Airflow never
-- runs two tries of one task at once; a retry reuses the mapped task's worker name): the items
-- it still held go back to pending at once, their lease tokens void (a late write of the old
-- process is fenced out). Called once by `python -m fetcher run` before it claims. Returns the
-- session id for pipeline.touch_worker.
create or replace function pipeline.register_worker(
    p_execution_id bigint,
    p_worker text,
    p_now timestamptz default null
)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_now timestamptz := coalesce(p_now, clock_timestamp());
    v_session uuid := gen_random_uuid();
begin
    if p_worker is null or btrim(p_worker) = '' then
        raise exception 'register_worker: p_worker must name the worker' using errcode = 'invalid_parameter_value';
    end if;
    perform 1 from pipeline.process_executions as x where x.execution_id = p_execution_id;
    if not found then
        raise exception 'register_worker: unknown execution %', p_execution_id using errcode = 'invalid_parameter_value';
    end if;

    insert into pipeline.execution_workers as r (execution_id, worker, session_id, registered_at, seen_at)
    values (p_execution_id, p_worker, v_session, v_now, v_now)
    on conflict (execution_id, worker) do update
        set session_id = excluded.session_id, registered_at = excluded.registered_at, seen_at = excluded.seen_at;

    update pipeline.work_items as w
       set status = 'pending', lease_expires_at = null, lease_token = null
     where w.execution_id = p_execution_id and w.status = 'claimed' and w.claimed_by = p_worker;
    return v_session;
end;
$$;

comment on function pipeline.register_worker(bigint, text, timestamptz) is
'Register a fetcher session for an execution; the items of an earlier session of the same worker name are '
'released at once. Returns the session id.';

-- pipeline.touch_worker: a fetcher session's sign of life (every few seconds, from its heartbeat
-- thread). False when the session was replaced (a newer process registered under the same name)
-- or is unknown: the caller stops. A session unseen for settings.worker_dead_after loses its
-- items to pipeline.claim_work.
create or replace function pipeline.touch_worker(
    p_execution_id bigint,
    p_worker text,
    p_session_id uuid,
    p_now timestamptz default null
)
returns boolean
language sql
volatile
security definer
set search_path = ''
as $$
    update pipeline.execution_workers as r
       set seen_at = greatest(r.seen_at, coalesce(p_now, clock_timestamp()))
     where r.execution_id = p_execution_id and r.worker = p_worker and r.session_id = p_session_id
    returning true
$$;

comment on function pipeline.touch_worker(bigint, text, uuid, timestamptz) is
'Sign of life of a fetcher session; false (null) when it was replaced or is unknown.';

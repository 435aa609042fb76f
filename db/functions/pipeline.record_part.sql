-- pipeline.record_part: store the result of one request of a multi-request work item that is
-- not its last (e.g. the eod part of an initial load) on the item, and extend its lease:
-- record_success merges the stored parts with the last one. Called by the fetcher in the
-- transaction that landed and ingested the response. Idempotent per step (the same step again
-- replaces its part: a response landed twice after a lost commit). False: stale token.
create or replace function pipeline.record_part(
    p_work_item_id bigint,
    p_lease_token uuid,
    p_step integer,
    p_part jsonb,
    p_lease interval,
    p_now timestamptz default null
)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
    if p_step is null or p_step < 1 or jsonb_typeof(p_part) is distinct from 'object' then
        raise exception 'record_part: a step (1, 2, ...) and a result object are required, got % and %', p_step, p_part
            using errcode = 'invalid_parameter_value';
    end if;
    -- the fence and the lease are pipeline.heartbeat's (it also locks the row for the update below)
    if not pipeline.heartbeat(p_work_item_id, p_lease_token, p_lease, p_now) then
        return false;
    end if;
    update pipeline.work_items as w
       set parts = coalesce((select jsonb_agg(x.part order by x.n)
                             from jsonb_array_elements(w.parts) with ordinality as x (part, n)
                             where (x.part ->> 'step')::integer is distinct from p_step), '[]')
                   || jsonb_build_array(p_part || jsonb_build_object('step', p_step))
     where w.work_item_id = p_work_item_id;
    return true;
end;
$$;

comment on function pipeline.record_part(bigint, uuid, integer, jsonb, interval, timestamptz) is
'Store the result of a request of a work item that is not its last and extend the lease; false on a stale token.';

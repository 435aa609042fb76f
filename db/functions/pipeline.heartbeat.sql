-- pipeline.heartbeat: extend the lease of a claimed item. Called by a worker every third of
-- its lease. False: the token is stale (the item was reclaimed or settled): stop working on it.
create or replace function pipeline.heartbeat(
    p_work_item_id bigint,
    p_lease_token uuid,
    p_lease interval,
    p_now timestamptz default null
)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_now timestamptz := coalesce(p_now, clock_timestamp());
begin
    if p_lease is null or p_lease <= interval '0' then
        raise exception 'heartbeat: p_lease must be positive, got %', p_lease using errcode = 'invalid_parameter_value';
    end if;
    update pipeline.work_items as w
       set lease_expires_at = greatest(w.lease_expires_at, v_now + p_lease)
     where w.work_item_id = p_work_item_id
       and w.lease_token = p_lease_token
       and w.status = 'claimed';
    return found;
end;
$$;

comment on function pipeline.heartbeat(bigint, uuid, interval, timestamptz) is
'Extend the lease of a claimed item; false when the token is stale (lease lost: stop).';

-- pipeline.reap_expired_leases: claimed items whose lease expired go back to pending (the
-- worker died). Called by the maintenance DAG (claim_work also does it per execution).
-- The UPDATE re-checks lease_expires_at < now, so an item settled meanwhile is never touched.
create or replace function pipeline.reap_expired_leases(p_now timestamptz default null)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_now timestamptz := coalesce(p_now, clock_timestamp());
    v_count integer;
begin
    update pipeline.work_items as w
       set status = 'pending', lease_expires_at = null, lease_token = null
     where w.work_item_id in (
            select e.work_item_id from pipeline.work_items as e
            where e.status = 'claimed' and e.lease_expires_at < v_now
            for update skip locked
        )
       and w.status = 'claimed'
       and w.lease_expires_at < v_now;
    get diagnostics v_count = row_count;
    return v_count;
end;
$$;

comment on function pipeline.reap_expired_leases(timestamptz) is
'Return claimed items with an expired lease to pending (re-checked inside the UPDATE); returns how many.';

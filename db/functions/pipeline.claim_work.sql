-- pipeline.claim_work: hand out up to p_limit pending items of an execution, in claim order,
-- each with a fresh lease token (FOR UPDATE SKIP LOCKED: concurrent workers never get the same
-- item). Expired leases of the execution, and the items of a registered fetcher session that is
-- gone (pipeline.register_worker / touch_worker), become claimable first. Called by fetcher workers.
-- Returns nothing once the execution is finished or stopped (quota, configuration). Each item
-- comes with its requests (pipeline.get_work_requests: endpoint, code, params, cost), which the
-- fetcher performs in order.
create or replace function pipeline.claim_work(
    p_execution_id bigint,
    p_worker text,
    p_limit integer,
    p_lease interval,
    p_now timestamptz default null
)
returns table (
    work_item_id bigint,
    lease_token uuid,
    kind text,
    asset_id bigint,
    ticker text,
    exchange_code text,
    from_date date,
    to_date date,
    planned_cost integer,
    attempt integer,
    requests jsonb
)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_now timestamptz := coalesce(p_now, clock_timestamp());
begin
    if p_limit is null or p_limit < 1 then
        raise exception 'claim_work: p_limit must be at least 1, got %', p_limit using errcode = 'invalid_parameter_value';
    end if;
    if p_lease is null or p_lease <= interval '0' then
        raise exception 'claim_work: p_lease must be positive, got %', p_lease using errcode = 'invalid_parameter_value';
    end if;
    if p_worker is null or p_worker = '' then
        raise exception 'claim_work: p_worker must name the worker' using errcode = 'invalid_parameter_value';
    end if;

    perform 1 from pipeline.process_executions as x
    where x.execution_id = p_execution_id and x.status = 'running' and x.claiming_stopped_at is null;
    if not found then
        return;
    end if;

    -- expired leases come back (re-checked inside the UPDATE; rows being settled are skipped)
    update pipeline.work_items as w
       set status = 'pending', lease_expires_at = null, lease_token = null
     where w.work_item_id in (
            select e.work_item_id from pipeline.work_items as e
            where e.execution_id = p_execution_id and e.status = 'claimed' and e.lease_expires_at < v_now
            for update skip locked
        )
       and w.status = 'claimed' and w.lease_expires_at < v_now;

    -- so do the items of a registered fetcher session that is gone (unseen for worker_dead_after,
    -- re-checked inside the UPDATE): its process was killed, no need to wait out the lease
    update pipeline.work_items as w
       set status = 'pending', lease_expires_at = null, lease_token = null
      from pipeline.execution_workers as r
     where w.work_item_id in (
            select e.work_item_id
            from pipeline.work_items as e
            inner join pipeline.execution_workers as d
                on e.execution_id = d.execution_id and e.claimed_by = d.worker
            where e.execution_id = p_execution_id and e.status = 'claimed'
              and d.seen_at < v_now - (select s.worker_dead_after from pipeline.settings as s)
            for update of e skip locked
        )
       and r.execution_id = w.execution_id and r.worker = w.claimed_by
       and w.status = 'claimed'
       and r.seen_at < v_now - (select s.worker_dead_after from pipeline.settings as s);

    return query
    with picked as materialized (
        select w.work_item_id
        from pipeline.work_items as w
        where w.execution_id = p_execution_id and w.status = 'pending'
        order by w.claim_order
        limit p_limit
        for update skip locked
    ),
    claimed as (
        update pipeline.work_items as w
           set status = 'claimed',
               lease_token = gen_random_uuid(),
               lease_expires_at = v_now + p_lease,
               claimed_by = p_worker,
               claimed_at = v_now,
               attempt = w.attempt + 1,
               parts = '[]'
          from picked
         where w.work_item_id = picked.work_item_id
        returning w.work_item_id, w.lease_token, w.kind, w.asset_id, w.exchange_code, w.from_date, w.to_date,
                  w.planned_cost, w.attempt, w.claim_order
    )
    select c.work_item_id, c.lease_token, c.kind, c.asset_id, a.ticker, c.exchange_code, c.from_date, c.to_date,
           c.planned_cost, c.attempt,
           pipeline.get_work_requests(c.kind, a.ticker, c.exchange_code, c.from_date, c.to_date, e.quotes_yields)
    from claimed as c
    left join market.assets as a on c.asset_id = a.asset_id
    inner join market.exchanges as e on c.exchange_code = e.exchange_code
    order by c.claim_order;
end;
$$;

comment on function pipeline.claim_work(bigint, text, integer, interval, timestamptz) is
'Claim up to p_limit pending items of a running execution with fresh lease tokens (SKIP LOCKED); expired leases are reclaimed.';

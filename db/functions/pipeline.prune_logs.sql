-- pipeline.prune_logs: delete what is older than the retention settings: API calls, detail
-- rows and settled work items (log_retention), raw payloads (raw_retention) unless a corporate
-- action or a quarantined bar still cites them (and API calls whose payload is kept).
-- Never deletes a row of the current UTC day (the quota is counted on it), whatever the
-- retention; refuses a non-positive retention and a p_now more than a day in the future.
-- For psql and tests: one transaction. The maintenance DAG calls pipeline.prune_logs_batch in a
-- loop instead (short transactions). Idempotent; returns the counts deleted.
create or replace function pipeline.prune_logs(p_now timestamptz default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
set lock_timeout = '1s'
as $$
declare
    v_cut record;
    v_batch jsonb;
    v_total jsonb := '{"api_calls": 0, "asset_processing_details": 0, "work_items": 0, "raw_payloads": 0}';
begin
    select * into v_cut from pipeline._retention_cutoffs('prune_logs', p_now);
    -- in batches (pipeline._prune_batch), all within the caller's transaction: the maintenance DAG
    -- calls pipeline.prune_logs_batch instead, one transaction per batch
    loop
        v_batch := pipeline._prune_batch(v_cut.log_before, v_cut.raw_before, 5000);
        select jsonb_object_agg(t.key, t.value::integer + (v_batch ->> t.key)::integer) into v_total
        from jsonb_each_text(v_total) as t;
        exit when (select bool_and(v.value::integer < 5000) from jsonb_each_text(v_batch) as v);
    end loop;
    return v_total;
end;
$$;

comment on function pipeline.prune_logs(timestamptz) is
'Delete API calls, details and settled work items older than log_retention and raw payloads older than raw_retention; '
'never a row of the current UTC day; refuses a non-positive retention (22023).';

-- pipeline.prune_logs_in_batches: retention as the maintenance DAG runs it: pipeline.prune_logs_batch
-- (settings.retention_batch_size rows per log table, lock_timeout 1 s) again and again, committing
-- after each batch, until nothing past its retention is left. Call it outside a transaction block
-- (autocommit): `call pipeline.prune_logs_in_batches();`. Returns the counts deleted (p_deleted)
-- and the number of batches. Idempotent.
-- A procedure that commits cannot pin search_path with a SET clause: it sets it per transaction,
-- and every name in it is qualified.
create or replace procedure pipeline.prune_logs_in_batches(
    p_now timestamptz default null,
    inout p_deleted jsonb default null,
    inout p_batches integer default null
)
language plpgsql
as $$
declare
    v_batch jsonb;
begin
    p_deleted := '{"api_calls": 0, "asset_processing_details": 0, "work_items": 0, "raw_payloads": 0}';
    p_batches := 0;
    loop
        perform pg_catalog.set_config('search_path', '', true);
        v_batch := pipeline.prune_logs_batch(p_now);
        p_batches := p_batches + 1;
        select pg_catalog.jsonb_object_agg(t.key, t.value::integer + (v_batch ->> t.key)::integer) into p_deleted
        from pg_catalog.jsonb_each_text(p_deleted) as t;
        commit;
        exit when (v_batch ->> 'done')::boolean;
    end loop;
end;
$$;

comment on procedure pipeline.prune_logs_in_batches (timestamptz, jsonb, integer) is
'Retention in short transactions: pipeline.prune_logs_batch until done, committing after each; call in autocommit.';

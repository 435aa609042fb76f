-- market._finish_ingest: record the outcome of an ingest on its payload (ingested_at when
-- anything was stored or the payload was fine, ingest_error on a data error) and return the
-- result unchanged. Called by every market.ingest_* function. Idempotent.
create or replace function market._finish_ingest(p_payload_id bigint, p_result jsonb)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
begin
    update raw.eodhd_payloads as p
    set ingested_at = case
            when p_result ->> 'status' = 'ok' or coalesce((p_result ->> 'rows_stored')::integer, 0) > 0
                then coalesce(p.ingested_at, clock_timestamp())
            else p.ingested_at
        end,
        ingest_error = case when p_result ->> 'status' = 'ok' then null else p_result ->> 'message' end
    where p.payload_id = p_payload_id;
    return p_result;
end;
$$;

comment on function market._finish_ingest(bigint, jsonb) is
'Set raw.eodhd_payloads.ingested_at / ingest_error from an ingest result and return the result.';

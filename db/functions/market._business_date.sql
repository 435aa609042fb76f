-- market._business_date: the business date a landed payload was fetched for: the UTC date of its
-- run's as_of (pipeline.process_executions), or of its arrival when it has no run. Called by the
-- ingest functions (what the vendor's adjustments reflect, which corporate actions are due). Read-only.
create or replace function market._business_date(p_payload_id bigint)
returns date
language sql
stable
parallel safe
set search_path = ''
as $$
    select (coalesce(e.as_of, p.received_at) at time zone 'UTC')::date
    from raw.eodhd_payloads as p
    left join pipeline.process_executions as e on p.execution_id = e.execution_id
    where p.payload_id = p_payload_id
$$;

comment on function market._business_date(bigint) is
'Business date of a landed payload: UTC date of its execution''s as_of, else of received_at; null when the payload is missing.';

-- market._ingest_payload: the landed payload an ingest function was asked to parse, checked
-- against the endpoint(s) it handles. Called by every market.ingest_* function. Read-only.
-- Raises (a caller error, not a data error) when the payload is missing or of another endpoint.
create or replace function market._ingest_payload(p_payload_id bigint, p_endpoints text[], p_caller text)
returns raw.eodhd_payloads
language plpgsql
stable
set search_path = ''
as $$
declare
    v_payload raw.eodhd_payloads;
begin
    select * into v_payload from raw.eodhd_payloads as p where p.payload_id = p_payload_id;
    if not found then
        raise exception '%: payload % does not exist', p_caller, p_payload_id using errcode = 'no_data_found';
    end if;
    if not v_payload.endpoint = any(p_endpoints) then
        raise exception '%: payload % is from endpoint %, expected %', p_caller, p_payload_id,
            v_payload.endpoint, array_to_string(p_endpoints, ' or ')
            using errcode = 'invalid_parameter_value';
    end if;
    return v_payload;
end;
$$;

comment on function market._ingest_payload(bigint, text[], text) is
'Fetch a landed payload for an ingest function; raises when it is missing or of another endpoint.';

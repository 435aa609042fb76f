-- raw.land_response: record one HTTP call of the fetcher: its pipeline.api_calls row (true cost,
-- failed calls too) and, for a 200 response, its raw.eodhd_payloads row. Called by the fetcher
-- in the transaction that then runs market.ingest_*. Not idempotent: each call is one call.
-- Returns the payload_id, or null when no payload was landed (no response, or status <> 200).
create or replace function raw.land_response(
    p_execution_id bigint,
    p_endpoint text,
    p_ticker text,
    p_exchange_code text,
    p_request_params jsonb,
    p_http_status integer,
    p_body text,
    p_received_at timestamptz,
    p_cost integer,
    p_duration_ms integer,
    p_worker text,
    p_error text default null
)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_params jsonb := coalesce(p_request_params, '{}'::jsonb);
    v_body jsonb;
    v_ingest_error text;
    v_detail text;
    v_error text;
    v_api_call_id bigint;
    v_payload_id bigint;
begin
    if v_params::text ~* 'api_token' then
        raise exception 'land_response: request_params must not contain api_token (the token is never stored)'
            using errcode = 'invalid_parameter_value';
    end if;
    if p_received_at is null then
        raise exception 'land_response: p_received_at must not be null' using errcode = 'null_value_not_allowed';
    end if;

    if p_http_status = 200 then
        begin
            v_body := p_body::jsonb;
            if v_body is null then
                v_ingest_error := 'response is not JSON: empty body';
            end if;
        exception when data_exception then
            get stacked diagnostics v_detail = pg_exception_detail;
            v_body := null;
            v_ingest_error := 'response is not JSON: ' || left(coalesce(nullif(v_detail, ''), sqlerrm), 160);
        end;
    end if;

    -- defence in depth: a token that slipped into an error text is masked, never stored
    v_error := regexp_replace(
        coalesce(
            p_error,
            v_ingest_error,
            case when p_http_status is distinct from 200 and p_body is not null
                then 'HTTP ' || p_http_status || ': ' || left(btrim(p_body), 200) end
        ),
        '(api_token=)[^&[:space:]]*', '\1***', 'gi'
    );

    insert into pipeline.api_calls (execution_id, endpoint, ticker, exchange_code, cost, http_status,
                                    called_at, duration_ms, worker, error)
    values (p_execution_id, p_endpoint, p_ticker, p_exchange_code, p_cost, p_http_status,
            p_received_at - make_interval(secs => coalesce(p_duration_ms, 0) / 1000.0),
            p_duration_ms, p_worker, v_error)
    returning api_call_id into v_api_call_id;

    if p_http_status is distinct from 200 then
        return null;
    end if;

    insert into raw.eodhd_payloads (execution_id, api_call_id, endpoint, ticker, exchange_code, request_params,
                                    http_status, body, received_at, ingest_error)
    values (p_execution_id, v_api_call_id, p_endpoint, p_ticker, p_exchange_code, v_params,
            p_http_status, v_body, p_received_at, v_ingest_error)
    returning payload_id into v_payload_id;
    return v_payload_id;
end;
$$;

comment on function raw.land_response(
    bigint, text, text, text, jsonb, integer, text, timestamptz, integer, integer, text, text
) is
'Record one EODHD call in pipeline.api_calls (true cost) and land a 200 response in raw.eodhd_payloads '
'(body null + ingest_error when not JSON); returns payload_id or null when nothing was landed.';

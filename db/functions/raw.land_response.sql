-- raw.land_response: record one HTTP call of the fetcher: its pipeline.api_calls row (true cost,
-- failed calls too) and, for a 200 response, its raw.eodhd_payloads row. Called by the fetcher
-- in the transaction that then runs market.ingest_*. Not idempotent: each call is one call.
-- Returns the payload_id, or null when no payload was landed (no response, or status <> 200).
-- Never raises on a body: a 200 body is checked before it is parsed, and one that is too large
-- (over 32 MiB), nested deeper than 64 levels (or with unbalanced brackets, found by one
-- non-recursive regular-expression scan) or holding a \u0000 escape (PostgreSQL text cannot
-- hold NUL) is landed with body null and an ingest_error naming the limit, like a body that is
-- not JSON; the ledger row is written all the same and the ingest then answers data_error.
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
security definer
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
    -- the largest real bodies: a US bulk day about 9 MB, big companies' fundamentals a few MB
    v_max_bytes constant integer := 32 * 1024 * 1024;
    -- real EODHD payloads nest 6 levels at most; jsonb's recursive parser runs out of stack near 10,000
    v_max_depth constant integer := 64;
    v_string constant text := '"(?:[^"\\]|\\.)*(?:"|\\?$)';  -- a JSON string, or its unterminated end
    v_nesting text := '(?:[^][{}"]|' || v_string || ')*';
    v_sqlstate text;
begin
    if v_params::text ~* 'api_token' then
        raise exception 'land_response: request_params must not contain api_token (the token is never stored)'
            using errcode = 'invalid_parameter_value';
    end if;
    if p_received_at is null then
        raise exception 'land_response: p_received_at must not be null' using errcode = 'null_value_not_allowed';
    end if;

    if p_http_status = 200 and p_body is null then
        v_ingest_error := 'response is not JSON: empty body';
    elsif p_http_status = 200 and octet_length(p_body) > v_max_bytes then
        v_ingest_error := format('response refused: body of %s bytes over the limit of %s bytes',
                                 octet_length(p_body), v_max_bytes);
    elsif p_http_status = 200 and strpos(p_body, '\u0000') > 0
          and p_body ~ '(?:^|[^\\])(?:\\\\)*\\u0000' then
        v_ingest_error := 'response refused: holds a \u0000 escape (NUL), which PostgreSQL text cannot store';
    elsif p_http_status = 200 then
        -- nesting: the text must be a prefix of JSON text nested at most v_max_depth levels (strings
        -- skipped, an unclosed bracket or string may end the text); a regular expression of nested
        -- groups, matched by PostgreSQL's automaton in one pass without recursion
        for i in 1..v_max_depth loop
            v_nesting := '(?:[^][{}"]|' || v_string || '|[[{]' || v_nesting || '(?:[]}]|$))*';
        end loop;
        if p_body !~ ('^' || v_nesting || '$') then
            v_ingest_error := format('response refused: JSON nested deeper than %s levels, or brackets unbalanced',
                                     v_max_depth);
        else
            begin
                v_body := p_body::jsonb;
            exception when data_exception or program_limit_exceeded or statement_too_complex then
                -- only what the text can cause: not JSON (22...), jsonb size limits (54000), parser stack (54001)
                get stacked diagnostics v_detail = pg_exception_detail, v_sqlstate = returned_sqlstate;
                v_body := null;
                v_ingest_error := case
                    when v_sqlstate in ('22P05', '22021')
                        then 'response refused: text PostgreSQL cannot store: '
                    when v_sqlstate like '54%' then 'response refused: '
                    else 'response is not JSON: '
                end || left(coalesce(nullif(v_detail, ''), sqlerrm), 160);
            end;
        end if;
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
'(body null + ingest_error when not JSON, over 32 MiB, nested deeper than 64 levels or holding \u0000); '
'never raises on a body; returns payload_id or null when nothing was landed.';

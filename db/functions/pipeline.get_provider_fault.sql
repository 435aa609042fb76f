-- pipeline.get_provider_fault: whether one recorded HTTP attempt failed on the provider's side,
-- and how: server_error (5xx), rate_limited (429), no_response (no status: timeout, connection
-- error), foreign_404 (a 404 whose text is not EODHD's "Ticker Not Found." / "Exchange Not
-- Found.": the request did not reach an EODHD endpoint, e.g. a wrong base URL path). Null for
-- answers and for failures that are the ticker's (EODHD's 404) or the plan's (401, 402, 403).
-- Read by pipeline.check_provider_health over pipeline.api_calls. Pure.
create or replace function pipeline.get_provider_fault(p_http_status integer, p_error text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
    select case
        when p_http_status is null and p_error is not null then 'no_response'
        when p_http_status = 429 then 'rate_limited'
        when p_http_status >= 500 then 'server_error'
        when p_http_status = 404 and coalesce(p_error, '') !~* '(ticker|exchange) not found' then 'foreign_404'
    end
$$;

comment on function pipeline.get_provider_fault(integer, text) is
'The provider-side fault of a recorded attempt (server_error, rate_limited, no_response, foreign_404) or null.';

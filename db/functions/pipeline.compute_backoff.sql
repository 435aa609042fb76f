-- pipeline.compute_backoff: wait after the k-th consecutive permanent failure of a ticker:
-- least(cap, base * 2^(k-1) * (1 + jitter)), jitter in [0, 0.25) from a hash of ticker and k.
-- Called by record_failure. Pure: monotonic in k, capped, never negative.
create or replace function pipeline.compute_backoff(
    p_ticker text,
    p_failures integer,
    p_base interval,
    p_cap interval
)
returns interval
language sql
immutable
parallel safe
set search_path = ''
as $$
    select least(
        p_cap,
        p_base * power(2, least(greatest(p_failures, 1) - 1, 30))::double precision
        * (1 + (abs(hashtext(coalesce(p_ticker, '') || ':' || greatest(p_failures, 1)::text)::bigint) % 1000) / 4000.0)
    )
$$;

comment on function pipeline.compute_backoff(text, integer, interval, interval) is
'Backoff after p_failures consecutive failures: least(cap, base * 2^(k-1) * (1 + deterministic jitter < 0.25)).';

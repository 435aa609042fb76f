-- pipeline._merge_parts: one result from the results of a work item's requests, in order:
-- api_calls, requests, rows_stored and rows_rejected summed; first_date / last_date of the
-- last price part (eod, eod-bulk-last-day), else of the first part naming them; the parts'
-- messages joined ("endpoint: message; ..."); the parts kept under "parts". Called by
-- pipeline.record_success. Pure.
create or replace function pipeline._merge_parts(p_parts jsonb)
returns jsonb
language sql
immutable
parallel safe
set search_path = ''
as $$
    with p as (
        select x.part, x.n, x.part ->> 'endpoint' in ('eod', 'eod-bulk-last-day') as is_price
        from jsonb_array_elements(coalesce(p_parts, '[]')) with ordinality as x (part, n)
    )
    select jsonb_strip_nulls(jsonb_build_object(
        'api_calls', coalesce(sum(case when jsonb_typeof(p.part -> 'api_calls') = 'number'
                                       then (p.part ->> 'api_calls')::numeric end), 0)::bigint,
        'requests', coalesce(sum(case when jsonb_typeof(p.part -> 'requests') = 'number'
                                      then (p.part ->> 'requests')::numeric end), 0)::bigint,
        'rows_stored', coalesce(sum(case when jsonb_typeof(p.part -> 'rows_stored') = 'number'
                                         then (p.part ->> 'rows_stored')::numeric end), 0)::bigint,
        'rows_rejected', coalesce(sum(case when jsonb_typeof(p.part -> 'rows_rejected') = 'number'
                                           then (p.part ->> 'rows_rejected')::numeric end), 0)::bigint,
        'first_date', coalesce(
            (select q.part -> 'first_date' from p as q where q.is_price and q.part ? 'first_date'
             order by q.n desc limit 1),
            (select q.part -> 'first_date' from p as q where q.part ? 'first_date' order by q.n limit 1)),
        'last_date', coalesce(
            (select q.part -> 'last_date' from p as q where q.is_price and q.part ? 'last_date'
             order by q.n desc limit 1),
            (select q.part -> 'last_date' from p as q where q.part ? 'last_date' order by q.n limit 1)),
        'message', string_agg((p.part ->> 'endpoint') || ': ' || (p.part ->> 'message'), '; ' order by p.n)
                       filter (where coalesce(p.part ->> 'message', '') <> '')
    )) || jsonb_build_object('parts', coalesce(p_parts, '[]'))
    from p
$$;

comment on function pipeline._merge_parts(jsonb) is
'One result from the results of a work item''s requests: counts summed, the price part''s dates, messages joined, parts kept.';

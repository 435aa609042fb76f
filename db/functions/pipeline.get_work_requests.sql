-- pipeline.get_work_requests: the HTTP requests of one work item, in step order, as the fetcher
-- performs them: [{"endpoint", "code", "params", "cost"}, ...] from pipeline.work_kind_requests
-- ("{from}" / "{to}" in a parameter become the item's dates; a null date leaves the parameter
-- null, which the fetcher does not send) and pipeline.endpoints (cost of one served request).
-- Called by pipeline.claim_work. Pure read.
create or replace function pipeline.get_work_requests(
    p_kind text,
    p_ticker text,
    p_exchange_code text,
    p_from date,
    p_to date,
    p_quotes_yields boolean
)
returns jsonb
language sql
stable
parallel safe
set search_path = ''
as $$
    select coalesce(jsonb_agg(jsonb_build_object(
               'endpoint', r.endpoint,
               'code', case r.code_of when 'exchange' then p_exchange_code else p_ticker end,
               'params', coalesce((
                   select jsonb_object_agg(p.key, case p.value
                       when '"{from}"' then to_jsonb(p_from::text)
                       when '"{to}"' then to_jsonb(p_to::text)
                       else p.value end)
                   from jsonb_each(r.params) as p (key, value)
               ), '{}'),
               'cost', e.cost
           ) order by r.step), '[]')
    from pipeline.work_kind_requests as r
    inner join pipeline.endpoints as e on r.endpoint = e.endpoint
    where r.kind = p_kind and (r.for_yields or not coalesce(p_quotes_yields, false))
$$;

comment on function pipeline.get_work_requests(text, text, text, date, date, boolean) is
'The requests of one work item in order: endpoint, code, parameters (the item''s dates filled in), cost.';

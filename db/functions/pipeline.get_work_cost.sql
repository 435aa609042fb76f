-- pipeline.get_work_cost: the API calls one item of a work kind costs when every request is
-- served: the sum of its steps' endpoint costs (pipeline.work_kind_requests, pipeline.endpoints),
-- the steps not made for a yield series left out when p_quotes_yields. 0 for a kind without a
-- step that applies. Called by pipeline.discover_delta. Pure read.
create or replace function pipeline.get_work_cost(p_kind text, p_quotes_yields boolean)
returns integer
language sql
stable
parallel safe
set search_path = ''
as $$
    select coalesce(sum(e.cost), 0)::integer
    from pipeline.work_kind_requests as r
    inner join pipeline.endpoints as e on r.endpoint = e.endpoint
    where r.kind = p_kind and (r.for_yields or not coalesce(p_quotes_yields, false))
$$;

comment on function pipeline.get_work_cost(text, boolean) is
'API calls one item of the kind costs (sum of its endpoint costs; yield series skip the steps not made for them).';

-- pipeline.plan_cost: a dry run. What a collection run with this dag_run.conf would plan and cost in
-- API calls now (or at p_now), optionally after a reprocess request ({"reprocess": {"pattern":
-- "BP.LSE", "component": "prices", "from": "2024-01-01", "all": false}}). It runs the real
-- planner (pipeline.start_execution, pipeline.request_reprocess, pipeline.discover_delta) in a
-- subtransaction and rolls it back: nothing changes but the execution id sequence. Called by
-- operators (psql). Bad conf raises as the run would (22023).
create or replace function pipeline.plan_cost(
    p_conf jsonb default '{}',
    p_process text default 'data_collection_equities',
    p_now timestamptz default null
)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_now timestamptz := coalesce(p_now, clock_timestamp());
    v_conf jsonb := coalesce(p_conf, '{}');
    v_reprocess jsonb := v_conf -> 'reprocess';
    v_defaults jsonb;
    v_matched integer;
    v_execution_id bigint;
    v_summary jsonb;
    v_detail text;
begin
    if jsonb_typeof(v_conf) <> 'object' or (v_reprocess is not null and jsonb_typeof(v_reprocess) <> 'object') then
        raise exception 'plan_cost: conf and its reprocess must be JSON objects, got %', v_conf
            using errcode = 'invalid_parameter_value';
    end if;
    if p_process not in ('data_collection_equities', 'data_collection_bonds') then
        raise exception 'plan_cost: process % is not a collection (data_collection_equities, data_collection_bonds)',
            coalesce(p_process, '<null>') using errcode = 'invalid_parameter_value';
    end if;
    -- the DAG's default exchanges: the bond universe's, or every other universe's
    select jsonb_build_object('exchanges', jsonb_agg(distinct x.code order by x.code)) into v_defaults
    from market.universes as u
    cross join unnest(u.exchange_codes) as x (code)
    where (u.universe = 'bonds') = (p_process = 'data_collection_bonds');

    begin
        if v_reprocess is not null then
            v_matched := pipeline.request_reprocess(
                v_reprocess ->> 'pattern', v_reprocess ->> 'component', (v_reprocess ->> 'from')::date, v_now,
                coalesce((v_reprocess ->> 'all')::boolean, false)
            );
        end if;
        v_execution_id := pipeline.start_execution(
            p_process, 'plan_cost ' || gen_random_uuid(), v_now, v_conf - 'reprocess', v_defaults
        );
        v_summary := pipeline.discover_delta(v_execution_id, v_now);
        raise exception using errcode = 'PLNC0', detail = v_summary::text;
    exception when sqlstate 'PLNC0' then
        get stacked diagnostics v_detail = pg_exception_detail;
        v_summary := v_detail::jsonb;
    end;
    return (v_summary - 'execution_id') || jsonb_build_object(
        'dry_run', true, 'process', p_process, 'conf', v_conf, 'reprocess_matched', v_matched
    );
end;
$$;

comment on function pipeline.plan_cost(jsonb, text, timestamptz) is
'Dry run of a collection run with this dag_run.conf (and an optional reprocess request): the planner''s summary '
'(planned items, cost in API calls, deferred, remaining quota), rolled back: nothing changes.';

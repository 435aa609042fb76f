-- pipeline.start_execution: open (or find) the execution of a run; validates the run
-- parameters (Airflow dag_run.conf). Called first by every collection DAG run.
-- Idempotent on (process_name, run_id): a retried or cleared task gets the same id.
create or replace function pipeline.start_execution(
    p_process_name text,
    p_run_id text,
    p_as_of timestamptz,
    p_parameters jsonb default '{}'
)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_params jsonb := coalesce(p_parameters, '{}');
    v_bad text[];
    v_id bigint;
begin
    if p_process_name is null or p_run_id is null or p_as_of is null then
        raise exception 'start_execution: process name, run id and as_of are required'
            using errcode = 'invalid_parameter_value';
    end if;
    if jsonb_typeof(v_params) <> 'object' then
        raise exception 'start_execution: parameters must be a JSON object, got %', jsonb_typeof(v_params)
            using errcode = 'invalid_parameter_value';
    end if;

    select array_agg(k order by k) into v_bad
    from jsonb_object_keys(v_params) as k
    where k not in ('tickers', 'exchanges', 'force', 'from_date', 'components');
    if v_bad is not null then
        raise exception 'start_execution: unknown parameter(s): % (allowed: tickers, exchanges, force, from_date, components)',
            array_to_string(v_bad, ', ') using errcode = 'invalid_parameter_value';
    end if;

    if v_params ? 'tickers' then
        if jsonb_typeof(v_params -> 'tickers') <> 'array' then
            raise exception 'start_execution: parameter tickers must be an array of EODHD codes'
                using errcode = 'invalid_parameter_value';
        end if;
        select array_agg(t.value order by t.value) into v_bad
        from jsonb_array_elements(v_params -> 'tickers') as t
        where jsonb_typeof(t.value) <> 'string'
           or not exists (select 1 from market.assets as a where a.ticker = t.value #>> '{}');
        if v_bad is not null then
            raise exception 'start_execution: unknown ticker(s): %', array_to_string(v_bad, ', ')
                using errcode = 'invalid_parameter_value';
        end if;
    end if;

    if v_params ? 'exchanges' then
        if jsonb_typeof(v_params -> 'exchanges') <> 'array' then
            raise exception 'start_execution: parameter exchanges must be an array of exchange codes'
                using errcode = 'invalid_parameter_value';
        end if;
        select array_agg(t.value order by t.value) into v_bad
        from jsonb_array_elements(v_params -> 'exchanges') as t
        where jsonb_typeof(t.value) <> 'string'
           or not exists (select 1 from market.exchanges as e where e.exchange_code = t.value #>> '{}');
        if v_bad is not null then
            raise exception 'start_execution: unknown exchange(s): %', array_to_string(v_bad, ', ')
                using errcode = 'invalid_parameter_value';
        end if;
    end if;

    if v_params ? 'force' and jsonb_typeof(v_params -> 'force') <> 'boolean' then
        raise exception 'start_execution: parameter force must be true or false, got %', v_params -> 'force'
            using errcode = 'invalid_parameter_value';
    end if;

    if v_params ? 'from_date' then
        begin
            if jsonb_typeof(v_params -> 'from_date') <> 'string'
               or (v_params ->> 'from_date') !~ '^\d{4}-\d{2}-\d{2}$' then
                raise exception using errcode = 'invalid_datetime_format';
            end if;
            perform (v_params ->> 'from_date')::date;
        exception when invalid_datetime_format or datetime_field_overflow then
            raise exception 'start_execution: parameter from_date is not an ISO date (YYYY-MM-DD): %',
                v_params -> 'from_date' using errcode = 'invalid_parameter_value';
        end;
    end if;

    if v_params ? 'components' then
        if jsonb_typeof(v_params -> 'components') <> 'array' then
            raise exception 'start_execution: parameter components must be an array'
                using errcode = 'invalid_parameter_value';
        end if;
        select array_agg(t.value order by t.value) into v_bad
        from jsonb_array_elements(v_params -> 'components') as t
        where jsonb_typeof(t.value) <> 'string'
           or (t.value #>> '{}') not in ('prices', 'fundamentals', 'corporate_actions');
        if v_bad is not null then
            raise exception 'start_execution: unknown component(s): % (allowed: prices, fundamentals, corporate_actions)',
                array_to_string(v_bad, ', ') using errcode = 'invalid_parameter_value';
        end if;
    end if;

    insert into pipeline.process_executions (process_name, run_id, as_of, parameters)
    values (p_process_name, p_run_id, p_as_of, v_params)
    on conflict on constraint process_executions_run_key do nothing
    returning execution_id into v_id;
    if v_id is null then
        select x.execution_id into v_id
        from pipeline.process_executions as x
        where x.process_name = p_process_name and x.run_id = p_run_id;
    end if;
    return v_id;
end;
$$;

comment on function pipeline.start_execution(text, text, timestamptz, jsonb) is
'Open the execution of (process, run id) or return the existing one; validates the run parameters (errcode 22023).';

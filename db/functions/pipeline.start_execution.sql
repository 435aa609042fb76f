-- pipeline.start_execution: open (or find) the execution of a run; validates the run's names,
-- business time and parameters (Airflow dag_run.conf). Called first by every DAG run.
-- Idempotent on (process_name, run_id): a retried or cleared task gets the same id.
--   p_parameters  what the operator gave (dag_run.conf); p_defaults  what the DAG fills in when
--   not given (the collection DAGs' exchanges). Stored: p_defaults || p_parameters. A selection
--   (tickers, exchanges) counts only when it is in p_parameters: `force` without one would
--   re-fetch the whole universe and needs an explicit "all": true.
create or replace function pipeline.start_execution(
    p_process_name text,
    p_run_id text,
    p_as_of timestamptz,
    p_parameters jsonb default '{}',
    p_defaults jsonb default '{}'
)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_given jsonb := coalesce(p_parameters, '{}');
    v_defaults jsonb := coalesce(p_defaults, '{}');
    v_params jsonb;
    v_as_of_date date := (p_as_of at time zone 'UTC')::date;
    v_from date;
    v_bad text[];
    v_id bigint;
begin
    if p_process_name is null or p_run_id is null or p_as_of is null then
        raise exception 'start_execution: process name, run id and as_of are required'
            using errcode = 'invalid_parameter_value';
    end if;
    if p_process_name ~ '^\s*$' then
        raise exception 'start_execution: process name (p_process_name) must not be empty or blank, got %',
            quote_literal(p_process_name) using errcode = 'invalid_parameter_value';
    end if;
    if p_run_id ~ '^\s*$' then
        raise exception 'start_execution: run id (p_run_id) must not be empty or blank, got %',
            quote_literal(p_run_id) using errcode = 'invalid_parameter_value';
    end if;
    if p_as_of > now() + interval '1 day' then
        raise exception 'start_execution: as_of (p_as_of) % UTC is in the future (more than a day after now, % UTC)',
            p_as_of at time zone 'UTC', date_trunc('second', now() at time zone 'UTC')
            using errcode = 'invalid_parameter_value';
    end if;
    if p_as_of < timestamptz '1970-01-01 00:00+00' then
        raise exception 'start_execution: as_of (p_as_of) % UTC is before 1970-01-01', p_as_of at time zone 'UTC'
            using errcode = 'invalid_parameter_value';
    end if;
    if jsonb_typeof(v_given) <> 'object' then
        raise exception 'start_execution: parameters must be a JSON object, got %', jsonb_typeof(v_given)
            using errcode = 'invalid_parameter_value';
    end if;
    if jsonb_typeof(v_defaults) <> 'object' then
        raise exception 'start_execution: defaults (p_defaults) must be a JSON object, got %', jsonb_typeof(v_defaults)
            using errcode = 'invalid_parameter_value';
    end if;
    v_params := v_defaults || v_given;

    select array_agg(k order by k) into v_bad
    from jsonb_object_keys(v_params) as k
    where k not in ('tickers', 'exchanges', 'force', 'all', 'from_date', 'components');
    if v_bad is not null then
        raise exception 'start_execution: unknown parameter(s): % (allowed: tickers, exchanges, force, all, from_date, components)',
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
    if v_params ? 'all' and jsonb_typeof(v_params -> 'all') <> 'boolean' then
        raise exception 'start_execution: parameter all must be true or false, got %', v_params -> 'all'
            using errcode = 'invalid_parameter_value';
    end if;

    if v_params ? 'from_date' then
        begin
            if jsonb_typeof(v_params -> 'from_date') <> 'string'
               or (v_params ->> 'from_date') !~ '^\d{4}-\d{2}-\d{2}$' then
                raise exception using errcode = 'invalid_datetime_format';
            end if;
            v_from := (v_params ->> 'from_date')::date;
        exception when invalid_datetime_format or datetime_field_overflow then
            raise exception 'start_execution: parameter from_date is not an ISO date (YYYY-MM-DD): %',
                v_params -> 'from_date' using errcode = 'invalid_parameter_value';
        end;
        if v_from < date '1970-01-01' then
            raise exception 'start_execution: parameter from_date % is before 1970-01-01', v_params -> 'from_date'
                using errcode = 'invalid_parameter_value';
        end if;
        if v_from > v_as_of_date then
            raise exception 'start_execution: parameter from_date % is after the run''s as_of date %',
                v_params -> 'from_date', v_as_of_date using errcode = 'invalid_parameter_value';
        end if;
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

    -- force needs a selection the operator made (the DAG's default exchanges are not one)
    if (v_params -> 'force') = 'true' and not (v_given ?| array['tickers', 'exchanges'])
       and (v_params -> 'all') is distinct from 'true' then
        raise exception 'start_execution: parameter force without tickers or exchanges would re-fetch the whole universe; '
            'select tickers or exchanges, or add "all": true to mean it'
            using errcode = 'invalid_parameter_value';
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

comment on function pipeline.start_execution(text, text, timestamptz, jsonb, jsonb) is
'Open the execution of (process, run id) or return the existing one; validates names, as_of and the run parameters '
'(errcode 22023); p_defaults are stored under p_parameters and are never a selection for force.';

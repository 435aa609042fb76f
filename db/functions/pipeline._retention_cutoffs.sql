-- pipeline._retention_cutoffs: before when logs (log_retention) and raw payloads (raw_retention)
-- may go, as of p_now, never later than the start of the current UTC day (the quota is counted
-- on today's ledger). Refuses a non-positive retention and a p_now more than a day ahead (22023),
-- naming the caller. Used by pipeline.prune_logs and pipeline.prune_logs_batch. Read-only.
create or replace function pipeline._retention_cutoffs(
    p_caller text,
    p_now timestamptz,
    out log_before timestamptz,
    out raw_before timestamptz
)
language plpgsql
stable
set search_path = ''
as $$
declare
    v_now timestamptz := coalesce(p_now, clock_timestamp());
    v_set pipeline.settings;
    v_today timestamptz;
begin
    if v_now > clock_timestamp() + interval '1 day' then
        raise exception '%: p_now % UTC is in the future (more than a day after now)', p_caller, v_now at time zone 'UTC'
            using errcode = 'invalid_parameter_value';
    end if;
    select * into v_set from pipeline.settings;
    if not (v_set.raw_retention > interval '0') then
        raise exception '%: settings.raw_retention must be positive, got %', p_caller, v_set.raw_retention
            using errcode = 'invalid_parameter_value';
    end if;
    if not (v_set.log_retention > interval '0') then
        raise exception '%: settings.log_retention must be positive, got %', p_caller, v_set.log_retention
            using errcode = 'invalid_parameter_value';
    end if;
    -- the start of the current UTC day (of p_now, or of the clock when p_now is later)
    v_today := date_trunc('day', least(v_now, clock_timestamp()) at time zone 'UTC') at time zone 'UTC';
    log_before := least(v_now - v_set.log_retention, v_today);
    raw_before := least(v_now - v_set.raw_retention, v_today);
end;
$$;

comment on function pipeline._retention_cutoffs(text, timestamptz) is
'Retention cut-offs (logs, raw payloads) as of p_now, never after the start of the current UTC day; guards (22023).';

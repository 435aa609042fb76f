-- pipeline.prune_logs: delete what is older than the retention settings: API calls, detail
-- rows and settled work items (log_retention), raw payloads (raw_retention) unless a corporate
-- action or a quarantined bar still cites them (and API calls whose payload is kept).
-- Never deletes a row of the current UTC day (the quota is counted on it), whatever the
-- retention; refuses a non-positive retention and a p_now more than a day in the future.
-- Called by the maintenance DAG. Idempotent; returns the counts deleted.
create or replace function pipeline.prune_logs(p_now timestamptz default null)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_now timestamptz := coalesce(p_now, clock_timestamp());
    v_set pipeline.settings;
    v_today timestamptz;
    v_log_before timestamptz;
    v_raw_before timestamptz;
    v_calls integer;
    v_details integer;
    v_items integer;
    v_raw integer;
begin
    if v_now > clock_timestamp() + interval '1 day' then
        raise exception 'prune_logs: p_now % UTC is in the future (more than a day after now)', v_now at time zone 'UTC'
            using errcode = 'invalid_parameter_value';
    end if;
    select * into v_set from pipeline.settings;
    if not (v_set.raw_retention > interval '0') then
        raise exception 'prune_logs: settings.raw_retention must be positive, got %', v_set.raw_retention
            using errcode = 'invalid_parameter_value';
    end if;
    if not (v_set.log_retention > interval '0') then
        raise exception 'prune_logs: settings.log_retention must be positive, got %', v_set.log_retention
            using errcode = 'invalid_parameter_value';
    end if;
    -- the start of the current UTC day (of p_now, or of the clock when p_now is later)
    v_today := date_trunc('day', least(v_now, clock_timestamp()) at time zone 'UTC') at time zone 'UTC';
    v_log_before := least(v_now - v_set.log_retention, v_today);
    v_raw_before := least(v_now - v_set.raw_retention, v_today);

    -- payloads first (kept while business rows still cite them as their source)
    delete from raw.eodhd_payloads as r
     where r.received_at < v_raw_before
       and not exists (select 1 from market.corporate_actions as ca where ca.payload_id = r.payload_id)
       and not exists (select 1 from market.price_quarantine as q where q.payload_id = r.payload_id);
    get diagnostics v_raw = row_count;
    delete from pipeline.api_calls as c
     where c.called_at < v_log_before
       and not exists (select 1 from raw.eodhd_payloads as r where r.api_call_id = c.api_call_id);
    get diagnostics v_calls = row_count;
    delete from pipeline.asset_processing_details as d where d.recorded_at < v_log_before;
    get diagnostics v_details = row_count;
    delete from pipeline.work_items as w
     where w.status in ('done', 'failed', 'cancelled') and w.finished_at < v_log_before;
    get diagnostics v_items = row_count;
    return jsonb_build_object('api_calls', v_calls, 'asset_processing_details', v_details,
                              'work_items', v_items, 'raw_payloads', v_raw);
end;
$$;

comment on function pipeline.prune_logs(timestamptz) is
'Delete API calls, details and settled work items older than log_retention and raw payloads older than raw_retention; '
'never a row of the current UTC day; refuses a non-positive retention (22023).';

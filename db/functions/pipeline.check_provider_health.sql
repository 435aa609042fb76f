-- pipeline.check_provider_health: the provider circuit of a run. Looks at the most recent
-- attempts of each endpoint in the execution's ledger (settings.circuit_window); when enough of
-- them failed on the provider's side (pipeline.get_provider_fault: 5xx, 429, no response,
-- foreign 404), in a large enough share and across enough codes that it is not one ticker's
-- trouble, the run stops claiming as for a quota stop (stop_reason 'provider: ...'), its items
-- go back without blaming tickers and finish_execution ends it failed; the next run starts
-- clean (the window is per execution). Called by pipeline.record_failure. Returns the provider
-- stop reason when the circuit is open (now or before), else null. Idempotent.
create or replace function pipeline.check_provider_health(p_execution_id bigint, p_now timestamptz default null)
returns text
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_now timestamptz := coalesce(p_now, clock_timestamp());
    v_set pipeline.settings;
    v_reason text;
    v_stopped boolean;
    v_worst record;
begin
    select x.stop_reason, x.claiming_stopped_at is not null into v_reason, v_stopped
      from pipeline.process_executions as x where x.execution_id = p_execution_id;
    if v_stopped then
        return case when v_reason like 'provider:%' then v_reason end;
    end if;

    select * into v_set from pipeline.settings;
    select e.endpoint, w.attempts, w.failed, w.codes, w.fault
      into v_worst
      from unnest(array['eod', 'eod-bulk-last-day', 'fundamentals', 'splits', 'div', 'exchange-symbol-list'])
           as e (endpoint)
      cross join lateral (
          select count(*) as attempts, count(f.fault) as failed,
                 count(distinct coalesce(c.ticker, c.exchange_code)) filter (where f.fault is not null) as codes,
                 mode() within group (order by f.fault) as fault
          from (select a.http_status, a.error, a.ticker, a.exchange_code
                from pipeline.api_calls as a
                where a.execution_id = p_execution_id and a.endpoint = e.endpoint
                order by a.api_call_id desc
                limit v_set.circuit_window) as c
          cross join lateral (select pipeline.get_provider_fault(c.http_status, c.error) as fault) as f
      ) as w
     where w.failed >= v_set.circuit_min_failures
       and w.failed >= v_set.circuit_failure_ratio * w.attempts
       and w.codes >= v_set.circuit_min_codes
     order by w.failed desc
     limit 1;
    if not found then
        return null;
    end if;

    v_reason := format('provider: %s failed for everyone: %s of the last %s attempts on %s codes (%s)',
                       v_worst.endpoint, v_worst.failed, v_worst.attempts, v_worst.codes, v_worst.fault);
    update pipeline.process_executions as x
       set claiming_stopped_at = coalesce(x.claiming_stopped_at, v_now),
           stop_reason = coalesce(x.stop_reason, v_reason)
     where x.execution_id = p_execution_id;
    return v_reason;
end;
$$;

comment on function pipeline.check_provider_health(bigint, timestamptz) is
'Provider circuit of a run: stop its claiming (provider: ...) when an endpoint fails on the provider''s side for '
'everyone; returns the provider stop reason or null.';

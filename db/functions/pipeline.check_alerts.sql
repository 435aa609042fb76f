-- pipeline.check_alerts: what an operator should hear about after a collection run: the run failed
-- or was partial; the calls recorded this UTC day passed settings.alert_quota_ratio of the quota;
-- more than settings.alert_attention_limit active assets of the run's exchanges are behind its
-- expected session or owe history (pipeline.get_attention_reason, as monitor.asset_status); more
-- assets skipped than after the previous run of the same process. Each alert carries its numbers
-- and the psql line to look further (never a secret). Records what it saw in
-- pipeline.alert_observations. Called by the collection DAGs' check_execution; idempotent per execution.
create or replace function pipeline.check_alerts(p_execution_id bigint, p_now timestamptz default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_now timestamptz := coalesce(p_now, clock_timestamp());
    v_exec pipeline.process_executions;
    v_set pipeline.settings;
    v_obs pipeline.alert_observations;
    v_previous integer;
    v_used integer;
    v_reasons jsonb;
    v_alerts jsonb := '[]';
    v_run text;
begin
    select * into v_exec from pipeline.process_executions as x where x.execution_id = p_execution_id;
    if not found then
        raise exception 'check_alerts: unknown execution %', p_execution_id using errcode = 'invalid_parameter_value';
    end if;
    select * into v_set from pipeline.settings;
    v_run := format('%s run %s (execution %s, as of %s UTC)', v_exec.process_name, v_exec.run_id, p_execution_id,
                    to_char(v_exec.as_of at time zone 'UTC', 'YYYY-MM-DD HH24:MI'));

    if v_exec.status in ('failed', 'partial') then
        v_alerts := v_alerts || jsonb_build_object(
            'alert', 'run_' || v_exec.status, 'execution_id', p_execution_id,
            'items_planned', (v_exec.summary ->> 'items_planned')::integer,
            'items_not_done', (v_exec.summary ->> 'items_not_done')::integer,
            'items_failed', coalesce((v_exec.summary -> 'items' ->> 'failed')::integer, 0),
            'items_deferred_for_quota', (v_exec.summary ->> 'items_deferred_for_quota')::integer,
            'stop_reason', v_exec.stop_reason,
            'message', format('%s ended %s: %s of %s planned items not done (%s failed), %s deferred for quota%s. '
                              'Look further: select * from monitor.execution_summary where execution_id = %s;',
                              v_run, v_exec.status, coalesce(v_exec.summary ->> 'items_not_done', '?'),
                              coalesce(v_exec.summary ->> 'items_planned', '?'),
                              coalesce(v_exec.summary -> 'items' ->> 'failed', '0'),
                              coalesce(v_exec.summary ->> 'items_deferred_for_quota', '0'),
                              coalesce(', stop reason: ' || v_exec.stop_reason, ''), p_execution_id)
        );
    end if;

    -- the provider's quota day is the UTC day of the clock
    select coalesce(sum(c.cost), 0)::integer into v_used from pipeline.api_calls as c
    where c.called_at >= date_trunc('day', v_now at time zone 'UTC') at time zone 'UTC' and c.called_at <= v_now;
    if v_used > v_set.alert_quota_ratio * v_set.daily_quota then
        v_alerts := v_alerts || jsonb_build_object(
            'alert', 'quota', 'used', v_used, 'daily_quota', v_set.daily_quota,
            'used_pct', round(100.0 * v_used / v_set.daily_quota, 1),
            'message', format('API quota: %s of %s calls used today (%s %%, above %s %%) after %s. '
                              'Look further: select * from monitor.quota_today;',
                              v_used, v_set.daily_quota, round(100.0 * v_used / v_set.daily_quota, 1),
                              round(100 * v_set.alert_quota_ratio, 1), v_run)
        );
    end if;

    -- the state of the run's exchanges, against the sessions expected as of the run
    with ex as (
        select e.exchange_code, pipeline.get_expected_session(e.exchange_code, v_exec.as_of) as expected
        from market.exchanges as e
        where not v_exec.parameters ? 'exchanges'
           or e.exchange_code in (select jsonb_array_elements_text(v_exec.parameters -> 'exchanges'))
    )
    select coalesce(jsonb_object_agg(r.reason, r.n), '{}') into v_reasons
    from (select pipeline.get_attention_reason(s, a.is_active, ex.expected) as reason, count(*) as n
          from market.assets as a
          inner join pipeline.asset_processing_state as s on a.asset_id = s.asset_id
          inner join ex on a.exchange_code = ex.exchange_code
          where a.is_active
          group by 1) as r
    where r.reason is not null;

    insert into pipeline.alert_observations (execution_id, process_name, observed_at, skipped, behind, history_owed)
    values (p_execution_id, v_exec.process_name, v_now, coalesce((v_reasons ->> 'skipped')::integer, 0),
            coalesce((v_reasons ->> 'behind')::integer, 0) + coalesce((v_reasons ->> 'gap')::integer, 0),
            coalesce((v_reasons ->> 'initial load owed')::integer, 0) + coalesce((v_reasons ->> 'history owed')::integer, 0))
    on conflict on constraint alert_observations_pkey do nothing;
    select * into v_obs from pipeline.alert_observations as o where o.execution_id = p_execution_id;

    if v_obs.behind + v_obs.history_owed > v_set.alert_attention_limit then
        v_alerts := v_alerts || jsonb_build_object(
            'alert', 'attention', 'behind', v_obs.behind, 'history_owed', v_obs.history_owed,
            'limit', v_set.alert_attention_limit, 'reasons', v_reasons,
            'message', format('%s assets behind (or with a gap) and %s owing history after %s (limit %s). '
                              'Look further: select reason, count(*) from monitor.asset_status '
                              'where reason is not null group by reason;',
                              v_obs.behind, v_obs.history_owed, v_run, v_set.alert_attention_limit)
        );
    end if;

    select o.skipped into v_previous from pipeline.alert_observations as o
    where o.process_name = v_exec.process_name and o.execution_id < p_execution_id
    order by o.execution_id desc limit 1;
    if v_obs.skipped > coalesce(v_previous, 0) then
        v_alerts := v_alerts || jsonb_build_object(
            'alert', 'skipped_grew', 'skipped', v_obs.skipped, 'previous', coalesce(v_previous, 0),
            'message', format('Skipped tickers grew from %s to %s after %s. Look further: select ticker, skip_reason, '
                              'last_error from monitor.asset_status where is_skipped order by ticker;',
                              coalesce(v_previous, 0), v_obs.skipped, v_run)
        );
    end if;
    return v_alerts;
end;
$$;

comment on function pipeline.check_alerts(bigint, timestamptz) is
'Alerts after a collection run (run failed or partial, quota above alert_quota_ratio, more than alert_attention_limit '
'assets behind or owing history, skipped count grew), each with its numbers and a psql line; records the observation.';

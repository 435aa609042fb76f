-- db/grants.sql: who may do what, applied last by db/migrate.sh on every run (desired state:
-- it first takes every privilege of PUBLIC and of the group roles of pipeline.database_roles on
-- the project schemas away, then grants exactly what is listed here). Idempotent.
-- Every function of market, pipeline, raw and monitor needs one decision in the list below:
-- db/tests/roles_grants.sql fails naming a function without one (or a decision without its
-- function). Functions that touch tables their callers may not are `security definer` (their
-- file says so; search_path is pinned in every function) and run with the owner's rights.

delete from pipeline.function_grants;
insert into pipeline.function_grants (function_name, granted_to, is_security_definer, note) values
-- fetcher: claim, heartbeat, land, ingest, record; sync-universe (a fetcher task of the DAGs)
('pipeline.claim_work', '{fetcher}', true, 'fetcher workers claim work items'),
('pipeline.heartbeat', '{fetcher}', true, 'fetcher workers extend their leases'),
('pipeline.record_part', '{fetcher}', true, 'the result of a request that is not the item''s last'),
('pipeline.register_worker', '{fetcher}', true, 'a fetcher session announces itself'),
('pipeline.touch_worker', '{fetcher}', true, 'a fetcher session stays alive'),
('raw.land_response', '{fetcher}', true, 'every response is landed and counted in the ledger'),
('market.ingest_eod', '{fetcher}', true, 'prices of one landed payload'),
('market.ingest_bulk_day', '{fetcher}', true, 'one exchange''s bulk day of one landed payload'),
('market.ingest_fundamentals', '{fetcher}', true, 'fundamentals of one landed payload'),
('market.ingest_corporate_actions', '{fetcher}', true, 'splits and dividends of one landed payload'),
('pipeline.record_success', '{fetcher}', true, 'a work item is done'),
('pipeline.record_failure', '{fetcher}', true, 'a work item failed (backoff, quota, provider circuit)'),
('pipeline.sync_universe', '{fetcher}', true, 'python -m fetcher sync-universe (the DAGs'' sync_universe task)'),
('market.is_valid_ticker', '{fetcher}', false, 'check constraint of market.assets; sync-universe checks the files with it'),
-- airflow: runs, planning, indicators, the screener, maintenance
('pipeline.start_execution', '{airflow}', true, 'the start_execution task of every DAG'),
('pipeline.discover_delta', '{airflow}', true, 'the discover task: plans the work items'),
('pipeline.finish_execution', '{airflow}', true, 'the finish_execution task of every DAG'),
('pipeline.check_alerts', '{airflow}', true, 'the alerts task after a collection run'),
('market.refresh_indicators', '{airflow}', true, 'calculate_indicators: advance the indicators'),
('market.recompute_indicators', '{airflow}', true, 'full recompute on request (indicator DAG, operators)'),
('market.refresh_screener', '{airflow}', true, 'calculate_indicators: refresh the screener (owner-only REFRESH)'),
('pipeline.reap_expired_leases', '{airflow}', true, 'maintenance_daily'),
('pipeline.reap_stale_executions', '{airflow}', true, 'maintenance_daily'),
('pipeline.prune_logs', '{airflow}', true, 'retention in one call (maintenance)'),
('pipeline.prune_logs_batch', '{airflow}', true, 'retention in one short batch'),
('pipeline.prune_logs_in_batches', '{airflow}', false, 'maintenance_daily: procedure, commits per batch'),
('pipeline.detect_gaps', '{airflow}', true, 'maintenance: recompute the gap markers'),
-- reader: monitor views, market tables, the screener, and what those views call
('pipeline.check_history_completeness', '{reader}', true, 'monitor.history_completeness calls it; reads pipeline state'),
('pipeline.get_remaining_quota', '{reader}', true, 'monitor.quota_today calls it; reads the ledger'),
('pipeline.get_expected_session', '{reader}', false, 'monitor.asset_status calls it; reads market calendars only'),
('pipeline.get_attention_reason', '{reader}', false, 'monitor.asset_status calls it; pure'),
('market.run_screen', '{reader}', false, 'saved screens; the predicate must run with the caller''s rights'),
('market.adjustment_factor', '{reader}', false, 'pure: split/dividend adjustment of a raw price'),
-- the owner only: operator functions (psql as the owner) and internal helpers
('pipeline.request_reprocess', '{}', false, 'operator: asks a later run to fetch again'),
('pipeline.plan_cost', '{}', false, 'operator: dry run of a collection run'),
('pipeline.check_provider_health', '{}', false, 'internal: record_failure'),
('pipeline.compute_backoff', '{}', false, 'internal: record_failure'),
('pipeline.find_first_gap', '{}', false, 'internal: record_success, detect_gaps'),
('pipeline.get_history_start', '{}', false, 'internal: column default of asset_processing_state'),
('pipeline.get_provider_fault', '{}', false, 'internal: check_provider_health'),
('pipeline.get_work_cost', '{}', false, 'internal: discover_delta (work kinds as data)'),
('pipeline.list_plan_candidates', '{}', false, 'internal: discover_delta (both passes)'),
('pipeline.is_fundamentals_due', '{}', false, 'internal: list_plan_candidates'),
('pipeline.get_work_requests', '{}', false, 'internal: claim_work (work kinds as data)'),
('pipeline._advance_bulk_watermarks', '{}', false, 'internal'),
('pipeline._advance_price_watermark', '{}', false, 'internal'),
('pipeline._merge_parts', '{}', false, 'internal: record_success'),
('pipeline._prune_batch', '{}', false, 'internal: prune_logs_batch'),
('pipeline._retention_cutoffs', '{}', false, 'internal: prune_logs, prune_logs_batch'),
('market.ema', '{}', false, 'internal: indicator aggregate (its final function calls internal helpers)'),
('market.wilder', '{}', false, 'internal: indicator aggregate'),
('market.moving_sum', '{}', false, 'internal: indicator aggregate'),
('market.ema_step', '{}', false, 'internal: state function of market.ema'),
('market.wilder_step', '{}', false, 'internal: state function of market.wilder'),
('market.wilder_sum_step', '{}', false, 'internal: state function of market.wilder'),
('market._advance_indicators', '{}', false, 'internal'),
('market._apply_due_actions', '{}', false, 'internal'),
('market._asset_type_of', '{}', false, 'internal'),
('market._business_date', '{}', false, 'internal'),
('market._check_screen', '{}', false, 'internal: trigger of market.screens'),
('market._check_screen_sql', '{}', false, 'internal: market._check_screen'),
('market._compute_asset_indicators', '{}', false, 'internal'),
('market._compute_indicators', '{}', false, 'internal'),
('market._data_error', '{}', false, 'internal'),
('market._finish_ingest', '{}', false, 'internal'),
('market._indicator_benchmark', '{}', false, 'internal: benchmarks (owner)'),
('market._indicator_state_slot', '{}', false, 'internal: market._compute_indicators (state layout)'),
('market._ingest_asset', '{}', false, 'internal'),
('market._ingest_payload', '{}', false, 'internal'),
('market._json_date', '{}', false, 'internal'),
('market._json_number', '{}', false, 'internal'),
('market._number_text', '{}', false, 'internal'),
('market._parse_bars', '{}', false, 'internal'),
('market._rebuild_indicators', '{}', false, 'internal'),
('market._seeded_final', '{}', false, 'internal'),
('market._smoothing_transition', '{}', false, 'internal'),
('market._store_bars', '{}', false, 'internal');

do $$
declare
    v_fetcher text := (select r.group_role from pipeline.database_roles as r where r.purpose = 'fetcher');
    v_airflow text := (select r.group_role from pipeline.database_roles as r where r.purpose = 'airflow');
    v_reader text := (select r.group_role from pipeline.database_roles as r where r.purpose = 'reader');
    v_all text;
    v_schemas constant text := 'market, pipeline, raw, monitor';
    r record;
begin
    v_all := format('public, %I, %I, %I', v_fetcher, v_airflow, v_reader);

    -- schemas: only the owner creates objects; each group uses the schemas it needs
    execute 'revoke create on schema public from public';
    execute format('revoke all on schema %s from %s', v_schemas, v_all);
    execute format('grant usage on schema pipeline, raw, market to %I', v_fetcher);
    execute format('grant usage on schema pipeline, market to %I', v_airflow);
    execute format('grant usage on schema market, monitor to %I', v_reader);

    -- functions and procedures: EXECUTE exactly as decided in pipeline.function_grants
    execute format('revoke all on all routines in schema %s from %s', v_schemas, v_all);
    for r in
        select p.oid::regprocedure as fn, d.group_role as role_name
        from pg_catalog.pg_proc as p
        inner join pipeline.function_grants as g
            on g.function_name = p.pronamespace::regnamespace::text || '.' || p.proname
        cross join lateral unnest(g.granted_to) as u (purpose)
        inner join pipeline.database_roles as d on d.purpose = u.purpose
        where p.pronamespace::regnamespace::text in ('market', 'pipeline', 'raw', 'monitor')
    loop
        execute format('grant execute on routine %s to %I', r.fn, r.role_name);
    end loop;

    -- tables, views and sequences: nothing unless listed
    execute format('revoke all on all tables in schema %s from %s', v_schemas, v_all);
    execute format('revoke all on all sequences in schema %s from %s', v_schemas, v_all);
    -- the reader: business data, the screener and the monitor views
    execute format('grant select on all tables in schema market, monitor to %I', v_reader);
    -- the fetcher reads its own execution's state and the universe definitions (fetcher/run.py,
    -- universe.py, refresh.py); nothing of prices, payloads or the ledger
    execute format('grant select (execution_id, status, claiming_stopped_at, stop_reason, planned_at)'
                   ' on pipeline.process_executions to %I', v_fetcher);
    execute format('grant select (work_item_id, execution_id, status, claimed_by, error_class, last_error)'
                   ' on pipeline.work_items to %I', v_fetcher);
    execute format('grant select (universe, exchange_codes, listing_venue) on market.universes to %I', v_fetcher);
    execute format('grant select (universe, is_active) on market.assets to %I', v_fetcher);
    -- the price of a request outside a work item (refresh-universe's exchange-symbol-list)
    execute format('grant select (endpoint, cost) on pipeline.endpoints to %I', v_fetcher);
    -- the DAGs read the outcome of their own run (screener_common/checks.py)
    execute format('grant select (execution_id, status, summary) on pipeline.process_executions to %I', v_airflow);
end;
$$;

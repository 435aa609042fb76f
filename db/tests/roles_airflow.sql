-- Airflow's group role (set role): the DAGs' SQL tasks work (start, plan, finish, alerts,
-- indicators, screener, maintenance, the run's outcome); fetching, landing and reading data are refused.
begin;
select plan(22);

-- setup (as the owner): US calendar, two assets one session behind
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.add_assets('US', 2, 'A');
select tests.mark_loaded('A%.US', '2026-01-08', '2026-01-08 23:00+00');
select tests.become('airflow');

-- test: a collection run's SQL tasks
select pipeline.start_execution('data_collection_equities', 'manual__a', '2026-01-09 22:00+00', '{}', '{}') as exec \gset
select ok(:exec > 0, 'airflow starts an execution');
select is((pipeline.discover_delta(:exec, '2026-01-09 22:00+00') ->> 'planned_items')::integer, 2, 'airflow plans it');
select lives_ok(format('select pipeline.check_alerts(%s)', :exec), 'airflow checks the alerts');
select lives_ok(
    format('select status, summary::text from pipeline.process_executions where execution_id = %s', :exec),
    'airflow reads the outcome of its run'
);
select lives_ok(format($$select pipeline.finish_execution(%s, '2026-01-10 00:00+00')$$, :exec),
                'airflow finishes the execution');

-- test: calculate_indicators
select lives_ok($$select market.refresh_indicators('2026-01-09')$$, 'airflow advances the indicators');
select lives_ok($$select market.refresh_screener()$$, 'airflow refreshes the screener (a REFRESH only its owner may run)');
select lives_ok($$select market.recompute_indicators(array['A1.US'])$$, 'airflow recomputes indicators on request');

-- test: maintenance_daily
select lives_ok($$select pipeline.reap_expired_leases(now())$$, 'airflow reaps expired leases');
select lives_ok($$select pipeline.reap_stale_executions('1 day', now())$$, 'airflow reaps stale executions');
select lives_ok($$select pipeline.prune_logs_batch(now())$$, 'airflow prunes the logs in a batch');
select lives_ok($$select pipeline.detect_gaps()$$, 'airflow recomputes the gap markers');

-- test: refused
select throws_ok(format($$select * from pipeline.claim_work(%s, 'w', 1, '1 minute')$$, :exec), '42501', null,
                 'it cannot claim work');
select throws_ok(
    format($$select raw.land_response(%s, 'eod', 'A1.US', 'US', '{}', 200, '[]', now(), 1, 1, 'w')$$, :exec),
    '42501', null, 'it cannot land a payload'
);
select throws_ok($$select market.ingest_eod(1, 1, '2026-01-09')$$, '42501', null, 'it cannot ingest');
select throws_ok($$select pipeline.record_success(1, gen_random_uuid(), '{}')$$, '42501', null,
                 'it cannot record a fetch');
select throws_ok($$select pipeline.request_reprocess('A1.US', 'prices')$$, '42501', null,
                 'operator functions are the owner''s');
select throws_ok($$select * from market.stock_prices$$, '42501', null, 'it reads no prices');
select throws_ok($$select body from raw.eodhd_payloads$$, '42501', null, 'it reads no landed payload');
select throws_ok($$select stop_reason from pipeline.process_executions$$, '42501', null,
                 'it reads no other column of the executions');
select throws_ok($$update pipeline.settings set log_retention = '1 day'$$, '42501', null, 'it changes no setting');
select throws_ok($$create table market.x (x integer)$$, '42501', null, 'it creates nothing');

select * from finish();
rollback;

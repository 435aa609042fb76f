-- The fetcher's group role (set role): what a fetcher worker does works (register, claim,
-- heartbeat, land, ingest, record, its own status queries, sync-universe); everything else is refused.
begin;
select plan(25);

-- setup (as the owner): US calendar, one asset one session behind, an execution planned
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.add_assets('US', 1, 'F');
select tests.mark_loaded('F1.US', '2026-01-08', '2026-01-08 23:00+00');
select tests.new_execution('2026-01-09 22:00+00', '{}', 'f') as exec \gset
select pipeline.discover_delta(:exec, '2026-01-09 22:00+00');
select asset_id as asset from market.assets where ticker = 'F1.US' \gset
select tests.become('fetcher');

-- test: a worker's round trip
select ok(pipeline.register_worker(:exec, 'w1', '2026-01-09 22:00:30+00') is not null, 'the fetcher registers a worker');
select work_item_id as item, lease_token as token
from pipeline.claim_work(:exec, 'w1', 1, '5 minutes', '2026-01-09 22:01+00') \gset
select ok(:'token' is not null, 'the fetcher claims a work item');
select is(pipeline.heartbeat(:item, :'token', '5 minutes', '2026-01-09 22:02+00'), true, 'the fetcher extends its lease');
select raw.land_response(:exec, 'eod', 'F1.US', 'US', '{}', 200,
                         '[{"date": "2026-01-09", "open": 1, "high": 2, "low": 0.5, "close": 1.5, '
                         '"adjusted_close": 1.5, "volume": 10}]',
                         '2026-01-09 22:02+00', 1, 10, 'w1') as payload \gset
select ok(:payload > 0, 'the fetcher lands a response');
select is(market.ingest_eod(:payload, :asset, '2026-01-09') ->> 'status', 'ok', 'the fetcher ingests it');
select is(pipeline.record_success(:item, :'token', '{"rows_stored": 1}', '2026-01-09 22:03+00'), true,
          'the fetcher records the success');
select lives_ok(
    format($$select pipeline.record_failure(%s, gen_random_uuid(), 'transient', 'x', 500)$$, :item),
    'the fetcher may record a failure (a wrong token changes nothing)'
);
select lives_ok(
    $$select pipeline.sync_universe('nyse', array['NEWCO.US'], '2026-01-09', false)$$,
    'the fetcher syncs the universe (the DAGs'' sync_universe task)'
);
select is(market.is_valid_ticker('NEWCO.US'), true,
          'the fetcher asks the database whether a code is well formed (sync-universe''s file check)');

-- test: the fetcher's own status queries (fetcher/run.py, universe.py, refresh.py)
select is(
    (select count(*)::integer from pipeline.work_items
     where execution_id = :exec and status in ('pending', 'claimed')),
    0, 'it counts the items left of its execution'
);
select lives_ok(
    format($$select w.error_class, w.last_error, x.stop_reason from pipeline.work_items as w
             join pipeline.process_executions as x using (execution_id) where w.work_item_id = %s$$, :item),
    'it reads how a failure was settled'
);
select lives_ok(
    format($$select status, claiming_stopped_at, stop_reason, planned_at from pipeline.process_executions
             where execution_id = %s$$, :exec),
    'it reads the state of its execution'
);
select lives_ok($$select universe, exchange_codes, listing_venue from market.universes$$, 'it reads the universes');
select lives_ok($$select count(*) from market.assets where universe = 'nyse' and is_active$$,
                'it counts the active assets of a universe');

-- test: refused
select throws_ok($$select ticker from market.assets$$, '42501', null, 'it reads no other column of market.assets');
select throws_ok($$select * from market.stock_prices$$, '42501', null, 'it reads no prices');
select throws_ok($$select body from raw.eodhd_payloads$$, '42501', null, 'it reads no landed payload');
select throws_ok($$select * from pipeline.api_calls$$, '42501', null, 'it reads no ledger');
select throws_ok($$select lease_token from pipeline.work_items$$, '42501', null, 'it reads no lease token');
select throws_ok(format('select pipeline.discover_delta(%s)', :exec), '42501', null, 'it cannot plan (discover_delta)');
select throws_ok($$select pipeline.start_execution('x', 'y', now())$$, '42501', null, 'it cannot start a run');
select throws_ok($$select market.refresh_screener()$$, '42501', null, 'it cannot refresh the screener');
select throws_ok($$select market._store_bars(1, '2026-01-09', '[]', null, null)$$, '42501', null,
                 'it cannot call an internal helper');
select throws_ok(format('update pipeline.work_items set status = %L where work_item_id = %s', 'done', :item),
                 '42501', null, 'it writes no table directly');
select throws_ok($$create table pipeline.x (x integer)$$, '42501', null, 'it creates nothing');

select * from finish();
rollback;

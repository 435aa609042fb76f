-- pipeline.plan_cost: the real planner's summary for a conf (and a reprocess request), rolled
-- back: no execution, work item, state or flag changes; the same plan a real run then makes.
begin;
select plan(10);

-- setup: US and LSE calendars, five assets each loaded to Friday 2026-01-09, one new listing
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.add_sessions('LSE', '2026-01-01', '2026-01-31');
select tests.add_assets('US', 5, 'U');
select tests.add_assets('LSE', 5, 'L');
select tests.mark_loaded('_%.US', '2026-01-09', '2026-01-09 23:00+00');
select tests.mark_loaded('_%.LSE', '2026-01-09', '2026-01-09 23:00+00');
select tests.create_asset('NEW.US');
create temp table digest_before as
select (select md5(string_agg(x::text, '|' order by x.execution_id)) from pipeline.process_executions as x) as executions,
       (select count(*) from pipeline.work_items) as items,
       (select md5(string_agg(s::text, '|' order by s.asset_id)) from pipeline.asset_processing_state as s) as states;

-- test: a plain run on Monday after the close (10 behind by one session, one new listing)
select is(pipeline.plan_cost('{}', 'data_collection_equities', '2026-01-12 23:00+00') ->> 'planned_items', '11',
          'ten prices items and one initial load');
select is(pipeline.plan_cost('{}', 'data_collection_equities', '2026-01-12 23:00+00') ->> 'planned_cost', '21',
          'cost: 10 x 1 + 11');
select is(pipeline.plan_cost('{"tickers": ["U1.US"], "force": true}', 'data_collection_equities',
                             '2026-01-12 23:00+00') -> 'by_kind',
          '{"backfill": {"cost": 1, "items": 1}, "fundamentals": {"cost": 10, "items": 1}}'::jsonb,
          'a forced ticker: prices again from history_start and its fundamentals');

-- test: a reprocess request, dry
select is(pipeline.plan_cost('{"tickers": ["L1.LSE"], "reprocess": {"pattern": "L%.LSE", "component": "prices", '
                             '"from": "2025-06-01"}}', 'data_collection_equities', '2026-01-12 23:00+00')
          - 'as_of' - 'remaining_quota' - 'expected_sessions' - 'conf' - 'by_exchange',
          '{"by_kind": {"backfill": {"cost": 1, "items": 1}}, "dry_run": true, "planned_cost": 1, "deferred_cost": 0,
            "planned_items": 1, "deferred_items": 0, "planned_tickers": 1, "process": "data_collection_equities",
            "reprocess_matched": 5}'::jsonb,
          'the reprocess matches five assets; the conf plans the one selected, a backfill of 1 call');

-- test: nothing changed
select is((select md5(string_agg(x::text, '|' order by x.execution_id)) from pipeline.process_executions as x),
          (select executions from digest_before), 'no execution was left behind');
select is((select count(*) from pipeline.work_items), (select items from digest_before), 'no work item was left behind');
select is((select md5(string_agg(s::text, '|' order by s.asset_id)) from pipeline.asset_processing_state as s),
          (select states from digest_before), 'no state row changed (no reprocess flag, no history owed)');

-- test: bad conf fails as the run would
select throws_ok($$select pipeline.plan_cost('{"tickerz": ["U1.US"]}')$$, '22023', null, 'an unknown key');
select throws_ok($$select pipeline.plan_cost('{"reprocess": {"pattern": "%", "component": "prices"}}')$$, '22023',
                 null, 'a reprocess of everything without all');

-- test: the real run plans what the dry run said
create temp table dry as select pipeline.plan_cost('{}', 'data_collection_equities', '2026-01-12 23:00+00') as summary;
select is(pipeline.discover_delta(pipeline.start_execution('data_collection_equities', 'real', '2026-01-12 23:00+00',
                                                           '{}', '{"exchanges": ["LSE", "US"]}'),
                                  '2026-01-12 23:00+00') - 'execution_id' - 'as_of' - 'expected_sessions',
          (select summary - 'as_of' - 'dry_run' - 'process' - 'conf' - 'reprocess_matched' - 'expected_sessions' from dry),
          'discover_delta then plans the same items and cost');

select * from finish();
rollback;

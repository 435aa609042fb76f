-- pipeline.check_alerts: a partial run, the quota above its ratio, too many assets needing
-- attention and a skipped count that grew each give an alert with numbers and a psql line;
-- a clean run none; one observation per execution.
begin;
select plan(9);

-- setup: US calendar, four assets loaded to Friday 2026-01-09; a run as of that Friday
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.add_assets('US', 4, 'U');
select tests.mark_loaded('_%.US', '2026-01-09', '2026-01-09 23:00+00');
update pipeline.settings set alert_attention_limit = 1, daily_quota = 100, quota_buffer = 0;
select pipeline.start_execution('data_collection_equities', 'fri', '2026-01-09 23:00+00', '{}',
                                '{"exchanges": ["US"]}') as fri \gset
select pipeline.discover_delta(:fri, '2026-01-09 23:00+00');
select pipeline.finish_execution(:fri, '2026-01-09 23:30+00');

-- test: a clean run
select is(pipeline.check_alerts(:fri, '2026-01-09 23:40+00'), '[]'::jsonb, 'a clean run: no alert');
select is((select skipped from pipeline.alert_observations where execution_id = :fri), 0, 'its observation is recorded');

-- setup: Monday's run, after which three assets are behind and one skipped; 95 calls spent today
select pipeline.start_execution('data_collection_equities', 'mon', '2026-01-12 23:00+00', '{}',
                                '{"exchanges": ["US"]}') as mon \gset
select pipeline.discover_delta(:mon, '2026-01-12 23:00+00');
update pipeline.work_items set status = 'done', finished_at = '2026-01-12 23:10+00'
 where execution_id = :mon and asset_id = (select asset_id from market.assets where ticker = 'U1.US');
update pipeline.asset_processing_state set prices_last_date = '2026-01-12'
 where asset_id = (select asset_id from market.assets where ticker = 'U1.US');
update pipeline.asset_processing_state set is_skipped = true, status = 'skipped', skip_reason = 'test'
 where asset_id = (select asset_id from market.assets where ticker = 'U2.US');
insert into pipeline.api_calls (endpoint, cost, called_at) values ('eod', 95, '2026-01-12 23:05+00');
select pipeline.finish_execution(:mon, '2026-01-12 23:30+00');
create temp table mon_alerts as select jsonb_array_elements(pipeline.check_alerts(:mon, '2026-01-12 23:40+00')) as a;

-- test: the alerts and their numbers
select is((select array_agg(a ->> 'alert' order by a ->> 'alert') from mon_alerts),
          array['attention', 'quota', 'run_partial', 'skipped_grew'], 'four alerts');
select is((select a ->> 'items_not_done' from mon_alerts where a ->> 'alert' = 'run_partial'), '3',
          'partial: three items not done');
select matches((select a ->> 'message' from mon_alerts where a ->> 'alert' = 'run_partial'),
               'execution_summary where execution_id = \d+;$', 'with the psql line to look further');
select is((select a ->> 'used_pct' from mon_alerts where a ->> 'alert' = 'quota'), '95.0', 'quota: 95 % used');
select is((select (a ->> 'behind')::integer from mon_alerts where a ->> 'alert' = 'attention'), 2,
          'attention: two behind (the skipped one counts as skipped)');
select is((select array[a ->> 'previous', a ->> 'skipped'] from mon_alerts where a ->> 'alert' = 'skipped_grew'),
          array['0', '1'], 'skipped grew from 0 to 1');

-- test: idempotent per execution
select is(jsonb_array_length(pipeline.check_alerts(:mon, '2026-01-12 23:45+00')), 4, 'asked again: the same alerts');

select * from finish();
rollback;

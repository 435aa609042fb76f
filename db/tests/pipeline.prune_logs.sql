-- pipeline.prune_logs: deletes by retention, keeps the recent rows and cited payloads; retention
-- is positive (CHECK) and a row of the current UTC day is never deleted.
begin;
select plan(12);

-- setup: old and recent api calls and raw payloads (log retention 180 days, raw 30 days);
-- one old payload is the source of a recorded dividend
insert into pipeline.api_calls (endpoint, cost, called_at) values
('eod', 1, '2025-01-01 00:00+00'), ('eod', 1, '2026-01-01 00:00+00');
insert into raw.eodhd_payloads (endpoint, http_status, received_at) values
('eod', 200, '2025-12-01 00:00+00'), ('eod', 200, '2026-01-09 00:00+00'), ('div', 200, '2025-11-01 00:00+00');
select tests.add_assets('US', 1, 'P');
insert into market.corporate_actions (asset_id, action_date, action_type, dividend_value, payload_id)
select (select asset_id from market.assets), '2025-10-30', 'dividend', 0.5,
       (select payload_id from raw.eodhd_payloads where endpoint = 'div');

-- test: counts and what remains
select is(pipeline.prune_logs('2026-01-10 00:00+00'),
          '{"api_calls": 1, "asset_processing_details": 0, "work_items": 0, "raw_payloads": 1}'::jsonb,
          'one old call and one old payload are deleted');
select is((select count(*)::integer from pipeline.api_calls), 1, 'the recent call stays');
select is((select array_agg(endpoint order by endpoint) from raw.eodhd_payloads), array['div', 'eod'],
          'the recent payload and the payload a corporate action cites stay');
select is(pipeline.prune_logs('2026-01-10 00:00+00') ->> 'api_calls', '0', 'idempotent');

-- test: settings refuse a retention that is not positive
select throws_ok($$update pipeline.settings set log_retention = '-1 day'$$, '23514',
                 'new row for relation "settings" violates check constraint "settings_log_retention_positive"',
                 'a negative log_retention is refused');
select throws_ok($$update pipeline.settings set raw_retention = '0'$$, '23514',
                 'new row for relation "settings" violates check constraint "settings_raw_retention_positive"',
                 'a zero raw_retention is refused');

-- setup: calls and a payload of today (2026-01-20 UTC) and of yesterday; a retention of one hour
delete from pipeline.api_calls;
delete from raw.eodhd_payloads where endpoint = 'eod';
insert into pipeline.api_calls (endpoint, cost, called_at) values
('eod', 1, '2026-01-19 23:00+00'), ('eod', 5, '2026-01-20 00:00+00'), ('eod', 10, '2026-01-20 01:00+00');
insert into raw.eodhd_payloads (endpoint, http_status, received_at) values
('eod', 200, '2026-01-19 23:00+00'), ('eod', 200, '2026-01-20 01:00+00');
update pipeline.settings set log_retention = '1 hour', raw_retention = '1 hour';

-- test: a retention shorter than a day never deletes the ledger of the current UTC day
select is(pipeline.prune_logs('2026-01-20 12:00+00'),
          '{"api_calls": 1, "asset_processing_details": 0, "work_items": 0, "raw_payloads": 1}'::jsonb,
          'only yesterday''s call and payload are deleted');
select is((select array_agg(cost order by cost) from pipeline.api_calls), array[5, 10],
          'today''s calls stay: the quota of the day is counted on them');
select is(pipeline.get_remaining_quota('2026-01-20 12:00+00'),
          (select daily_quota - quota_buffer - 15 from pipeline.settings), 'the quota still counts today''s calls');

-- test: a p_now far in the future is refused
select throws_like($$select pipeline.prune_logs('2199-01-01 00:00+00')$$,
                   'prune_logs: p_now 2199-01-01 00:00:00 UTC is in the future%', 'a p_now in 2199 is refused');

-- test: a negative retention that got past the constraint (dropped, restored from a dump) is refused
alter table pipeline.settings drop constraint if exists settings_log_retention_positive;
update pipeline.settings set log_retention = '-1 day';
select throws_ok($$select pipeline.prune_logs('2026-01-20 12:00+00')$$, '22023',
                 'prune_logs: settings.log_retention must be positive, got -1 days',
                 'prune_logs refuses a negative log_retention');
select is((select count(*)::integer from pipeline.api_calls), 2, 'and deletes nothing: today''s ledger stays');

select * from finish();
rollback;

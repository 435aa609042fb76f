-- pipeline.prune_logs: deletes by retention, keeps the recent rows and cited payloads.
begin;
select plan(4);

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

select * from finish();
rollback;

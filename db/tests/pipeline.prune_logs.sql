-- pipeline.prune_logs: deletes by retention, keeps the recent rows.
begin;
select plan(3);

-- setup: old and recent api calls and raw payloads (log retention 180 days, raw 30 days)
insert into pipeline.api_calls (endpoint, cost, called_at) values
('eod', 1, '2025-01-01 00:00+00'), ('eod', 1, '2026-01-01 00:00+00');
insert into raw.eodhd_payloads (endpoint, http_status, received_at) values
('eod', 200, '2025-12-01 00:00+00'), ('eod', 200, '2026-01-09 00:00+00');

-- test: counts and what remains
select is(pipeline.prune_logs('2026-01-10 00:00+00'),
          '{"api_calls": 1, "asset_processing_details": 0, "work_items": 0, "raw_payloads": 1}'::jsonb,
          'one old call and one old payload are deleted');
select is((select count(*)::integer from pipeline.api_calls) + (select count(*)::integer from raw.eodhd_payloads), 2,
          'the recent rows stay');
select is(pipeline.prune_logs('2026-01-10 00:00+00') ->> 'api_calls', '0', 'idempotent');

select * from finish();
rollback;

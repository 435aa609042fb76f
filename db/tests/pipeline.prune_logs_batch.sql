-- pipeline.prune_logs_batch: at most a batch per log table per call, oldest first, until done;
-- only what is past its retention; business tables untouched; the guards of prune_logs.
begin;
select plan(8);

-- setup: 12 old and 2 recent API calls, details and raw payloads (log 180 days, raw 30 days)
select tests.add_assets('US', 1, 'P');
insert into pipeline.process_executions (process_name, run_id, as_of, status)
values ('test', 'old', '2025-01-01', 'running');
insert into pipeline.api_calls (endpoint, cost, called_at)
select 'eod', 1, timestamptz '2025-01-01 00:00+00' + g * interval '1 hour' from generate_series(1, 12) as g
union all select 'eod', 1, '2026-01-09 00:00+00' from generate_series(1, 2);
insert into pipeline.asset_processing_details (execution_id, asset_id, component, outcome, recorded_at)
select (select execution_id from pipeline.process_executions), (select asset_id from market.assets), 'prices',
       'success', timestamptz '2025-01-01 00:00+00' + g * interval '1 hour'
from generate_series(1, 12) as g
union all select (select execution_id from pipeline.process_executions), (select asset_id from market.assets),
                 'prices', 'success', '2026-01-09 00:00+00' from generate_series(1, 2);
insert into raw.eodhd_payloads (endpoint, http_status, received_at)
select 'eod', 200, timestamptz '2025-11-01 00:00+00' + g * interval '1 hour' from generate_series(1, 12) as g
union all select 'eod', 200, '2026-01-09 00:00+00' from generate_series(1, 2);

-- test: batches of 5
select is(pipeline.prune_logs_batch('2026-01-10 00:00+00', 5),
          '{"api_calls": 5, "asset_processing_details": 5, "work_items": 0, "raw_payloads": 5, "done": false}'::jsonb,
          'the first batch: five of each');
select is((select min(called_at) from pipeline.api_calls), timestamptz '2025-01-01 06:00+00', 'oldest first');
select is(pipeline.prune_logs_batch('2026-01-10 00:00+00', 5) ->> 'done', 'false', 'a second full batch');
select is(pipeline.prune_logs_batch('2026-01-10 00:00+00', 5),
          '{"api_calls": 2, "asset_processing_details": 2, "work_items": 0, "raw_payloads": 2, "done": true}'::jsonb,
          'the last one is done');
select is(array[(select count(*) from pipeline.api_calls), (select count(*) from pipeline.asset_processing_details),
                (select count(*) from raw.eodhd_payloads)]::integer[], array[2, 2, 2], 'the recent rows stay');
select is((select count(*)::integer from market.assets), 1, 'business tables are untouched');

-- test: guards
select throws_ok($$select pipeline.prune_logs_batch('2026-01-10 00:00+00', 0)$$, '22023',
                 'prune_logs_batch: p_batch_size must be between 1 and 100000, got 0', 'a batch of 0 is refused');
select throws_like($$select pipeline.prune_logs_batch('2199-01-01 00:00+00')$$,
                   'prune_logs_batch: p_now 2199-01-01 00:00:00 UTC is in the future%', 'a p_now in 2199 is refused');

select * from finish();
rollback;

-- pipeline._prune_batch: one batch per log table, oldest first, only before the cutoffs.
begin;
select plan(4);

-- setup: 5 old and 2 recent API calls, 3 old payloads (one cited by a quarantined bar)
select tests.add_assets('US', 1, 'Q');
insert into pipeline.api_calls (endpoint, cost, called_at)
select 'eod', 1, timestamptz '2025-01-01 00:00+00' + g * interval '1 hour' from generate_series(1, 5) as g
union all select 'eod', 1, '2026-01-09 00:00+00' from generate_series(1, 2);
insert into raw.eodhd_payloads (endpoint, http_status, received_at)
select 'eod', 200, timestamptz '2025-01-01 00:00+00' + g * interval '1 hour' from generate_series(1, 3) as g;
insert into market.price_quarantine (payload_id, item_no, asset_id, bar, reason)
select min(payload_id), 1, (select asset_id from market.assets), '{}', 'test' from raw.eodhd_payloads;

-- test: at most p_limit rows of a table per batch, the oldest
select is((pipeline._prune_batch('2025-06-01', '2025-06-01', 3) ->> 'api_calls')::integer, 3, 'a batch of 3 calls');
select is((select min(called_at) from pipeline.api_calls), '2025-01-01 04:00+00'::timestamptz,
          'the oldest went first');

-- test: recent rows and cited payloads stay
select pipeline._prune_batch('2025-06-01', '2025-06-01', 100);
select is((select count(*)::integer from pipeline.api_calls), 2, 'only the recent calls are left');
select is((select count(*)::integer from raw.eodhd_payloads), 1, 'the payload a quarantined bar cites is kept');

select * from finish();
rollback;

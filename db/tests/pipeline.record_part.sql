-- pipeline.record_part: the result of a request that is not the item's last is stored on the
-- item (once per step) and the lease extended; record_success merges it with the last one.
begin;
select plan(8);

-- setup: one new listing (initial load: eod, then fundamentals), planned and claimed
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.add_assets('US', 1, 'P');
select pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{}', 'p'), '2026-01-09 22:00+00');
create temp table c as
select * from pipeline.claim_work((select execution_id from pipeline.process_executions where run_id = 'p'),
                                  'w1', 1, '5 minutes', '2026-01-09 22:01+00');

-- test: a stale token stores nothing
select is(pipeline.record_part((select work_item_id from c), gen_random_uuid(), 1, '{"endpoint": "eod"}',
                               '5 minutes', '2026-01-09 22:02+00'), false, 'a stale token is refused');
select is((select parts from pipeline.work_items), '[]'::jsonb, 'nothing stored');

-- test: the part is stored once per step and the lease extended
select is(pipeline.record_part((select work_item_id from c), (select lease_token from c), 1,
                               '{"endpoint": "eod", "status": "ok", "rows_stored": 20, "rows_rejected": 1,
                                 "first_date": "2025-10-01", "last_date": "2026-01-09",
                                 "message": "1 bar quarantined", "api_calls": 1, "requests": 1}',
                               '5 minutes', '2026-01-09 22:04+00'), true, 'the token''s part is stored');
select is(pipeline.record_part((select work_item_id from c), (select lease_token from c), 1,
                               '{"endpoint": "eod", "status": "ok", "rows_stored": 20, "rows_rejected": 1,
                                 "first_date": "2025-10-01", "last_date": "2026-01-09",
                                 "message": "1 bar quarantined", "api_calls": 1, "requests": 1}',
                               '5 minutes', '2026-01-09 22:04+00'), true, 'the same step again (a lost commit)');
select is((select jsonb_array_length(parts) from pipeline.work_items), 1, 'replaces its part: stored once');
select is((select lease_expires_at from pipeline.work_items), '2026-01-09 22:09+00'::timestamptz,
          'the lease now ends 5 minutes after the part');

-- test: record_success merges the stored parts with the last one
select pipeline.record_success((select work_item_id from c), (select lease_token from c),
                               '{"endpoint": "fundamentals", "status": "ok", "rows_stored": 1, "api_calls": 10,
                                 "requests": 1}', '2026-01-09 22:05+00');
select is((select result - 'parts' from pipeline.work_items),
          '{"api_calls": 11, "requests": 2, "rows_stored": 21, "rows_rejected": 1, "first_date": "2025-10-01",
            "last_date": "2026-01-09", "message": "eod: 1 bar quarantined"}'::jsonb,
          'counts summed, the price part''s dates, messages joined');
select is((select array[jsonb_array_length(result -> 'parts'), jsonb_array_length(parts)] from pipeline.work_items),
          array[2, 0], 'the parts kept in the result, none left on the item');

select * from finish();
rollback;

-- monitor.history_owed: assets still owed price history, with their failures and next attempt.
begin;
select plan(2);

-- setup: a new asset whose initial load failed twice; a loaded one; a delisted one that owed
select tests.create_asset('NEWFAIL.US') as f \gset
select tests.create_asset('LOADED.US') as l \gset
select tests.create_asset('GONE.US') as g \gset
update pipeline.asset_processing_state set consecutive_failures = 2, status = 'failing',
       last_error = 'eod NEWFAIL.US: response is not JSON', next_attempt_at = '2026-01-20 10:00+00'
where asset_id = :f;
select tests.mark_loaded('LOADED.US', '2026-01-16', '2026-01-16 22:00+00');
update market.assets set is_active = false, delisted_on = '2026-01-10' where asset_id = :g;

-- test: only the active owing asset, with why and when it is tried next
select results_eq(
    $$select ticker, reason, consecutive_failures, last_error, next_attempt_at from monitor.history_owed$$,
    $$values ('NEWFAIL.US'::text, 'initial load owed'::text, 2, 'eod NEWFAIL.US: response is not JSON'::text,
              '2026-01-20 10:00+00'::timestamptz)$$,
    'the failing initial load is listed with its reason, error and next attempt'
);

-- test: a reprocess request brings it forward (no backoff), still owed until answered
select pipeline.request_reprocess('NEWFAIL.US', 'prices', null, '2026-01-19 08:00+00');
select row_eq($$select reason, consecutive_failures, next_attempt_at from monitor.history_owed$$,
              row('initial load owed'::text, 0, null::timestamptz), 'reprocess: no backoff, still owed');

select * from finish();
rollback;

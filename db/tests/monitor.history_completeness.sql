-- monitor.history_completeness: the history invariant as of now.
begin;
select plan(2);

-- setup: sessions of the last weeks; one asset owes its history, one is complete
update pipeline.settings set history_start = current_date - 20;
select tests.add_sessions('US', current_date - 20, current_date - 1);
select tests.create_asset('OWES.US') as owes \gset
select tests.create_asset('FULL.US') as full_id \gset
select tests.add_bars(:full_id, current_date - 20, current_date - 1);
select pipeline._advance_price_watermark(:full_id, current_date - 20, current_date - 1);
update pipeline.asset_processing_state set last_success_at = now() where asset_id = :full_id;

-- test: the view is the function as of now
select results_eq(
    $$select ticker, reason, is_unexplained from monitor.history_completeness order by ticker$$,
    $$select ticker, reason, is_unexplained from pipeline.check_history_completeness(now()) order by ticker$$,
    'the view equals the check as of now'
);
select results_eq(
    $$select ticker, missing_sessions > 0, reason from monitor.history_completeness order by ticker$$,
    $$values ('FULL.US'::text, false, null::text), ('OWES.US', true, 'initial load owed')$$,
    'the owing asset shows with its reason'
);

select * from finish();
rollback;

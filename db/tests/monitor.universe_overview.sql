-- monitor.universe_overview: per universe and exchange, listed, loaded, failing and skipped codes.
begin;
select plan(4);

-- setup: four LSE codes of the lse universe: loaded, failing, skipped, delisted; a calendar
select tests.add_sessions('LSE', '2026-01-05', '2026-01-09');
select tests.create_asset('OK.LSE', 'lse') as ok \gset
select tests.create_asset('FAIL.LSE', 'lse') as fail \gset
select tests.create_asset('SKIP.LSE', 'lse') as skip \gset
select tests.create_asset('GONE.LSE', 'lse') as gone \gset
update pipeline.asset_processing_state set prices_first_date = '2026-01-05', prices_last_date = '2026-01-08'
where asset_id = :ok;
update pipeline.asset_processing_state set consecutive_failures = 2, status = 'failing' where asset_id = :fail;
update pipeline.asset_processing_state
set consecutive_failures = 5, is_skipped = true, skip_reason = 'limit', status = 'skipped'
where asset_id = :skip;
update market.assets set is_active = false, delisted_on = '2026-01-02' where asset_id = :gone;

-- test: the counts, the latest bar and the calendar span of the row
select row_eq(
    $$select active_assets, inactive_assets, loaded_assets, failing_assets, skipped_assets
      from monitor.universe_overview where universe = 'lse' and exchange_code = 'LSE'$$,
    row(3::bigint, 1::bigint, 1::bigint, 2::bigint, 1::bigint),
    'three active (one loaded), one delisted; failing counts the skipped one too'
);
select row_eq(
    $$select latest_bar, first_session, last_session
      from monitor.universe_overview where universe = 'lse' and exchange_code = 'LSE'$$,
    row('2026-01-08'::date, '2026-01-05'::date, '2026-01-09'::date),
    'latest bar of the universe and the sessions known'
);

-- test: the assets that still owe history are counted (the loaded one paid)
update pipeline.asset_processing_state set history_owed_from = null where asset_id = :ok;
select is(
    (select owing_history_assets from monitor.universe_overview where universe = 'lse' and exchange_code = 'LSE'),
    2::bigint, 'two active assets owe history'
);

-- test: universes without assets have no row
select is(
    (select count(*)::integer from monitor.universe_overview where universe = 'six'), 0, 'no assets, no row'
);

select * from finish();
rollback;

-- monitor.asset_status: state and behind-ness as of now.
begin;
select plan(6);

-- setup: US sessions for the last weeks; one asset up to date, one a week behind, one skipped
select tests.add_sessions('US', current_date - 30, current_date - 1);
select tests.add_assets('US', 3, 'A');
select tests.mark_loaded('A1.US', pipeline.get_expected_session('US', now()), now());
select tests.mark_loaded('A2.US', pipeline.get_expected_session('US', now()) - 7, now());
update pipeline.asset_processing_state s set is_skipped = true, skip_reason = '5 consecutive failures',
       status = 'skipped', consecutive_failures = 5
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'A3.US';

-- test: behind-ness
select results_eq(
    $$select ticker, is_behind from monitor.asset_status order by ticker$$,
    $$values ('A1.US'::text, false), ('A2.US', true), ('A3.US', true)$$,
    'up to date, a week behind, never loaded'
);
select is((select prices_last_date from monitor.asset_status where ticker = 'A2.US'),
          pipeline.get_expected_session('US', now()) - 7, 'the watermark as stored');
select is((select expected_session from monitor.asset_status where ticker = 'A1.US'),
          pipeline.get_expected_session('US', now()), 'the expected session is the calendar''s');

-- test: the skip is visible with its reason
select row_eq($$select status, is_skipped, skip_reason, consecutive_failures from monitor.asset_status
                where ticker = 'A3.US'$$,
              row('skipped'::text, true, '5 consecutive failures'::text, 5), 'skipped with the reason');

-- test: the reason each needs attention, and what is owed
select results_eq(
    $$select ticker, reason, history_owed_from is not null from monitor.asset_status order by ticker$$,
    $$values ('A1.US'::text, null::text, false), ('A2.US', 'behind', false), ('A3.US', 'skipped', true)$$,
    'up to date: no reason; behind; skipped (and still owed its history)'
);

-- test: remembered gap checks and corporate actions due are visible
update pipeline.asset_processing_state s set gaps_checked_through = '2026-01-16', corporate_actions_due = true
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'A1.US';
select row_eq($$select gaps_checked_through, corporate_actions_due from monitor.asset_status where ticker = 'A1.US'$$,
              row('2026-01-16'::date, true), 'gaps checked through and corporate actions due are shown');

select * from finish();
rollback;

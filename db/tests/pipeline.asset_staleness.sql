-- pipeline.asset_staleness: per active asset, the expected session now and how far behind it is.
begin;
select plan(4);

-- setup: US sessions for the last weeks; up to date, a week behind, never loaded, delisted
select tests.add_sessions('US', current_date - 30, current_date - 1);
select tests.add_assets('US', 4, 'S');
select tests.mark_loaded('S1.US', pipeline.get_expected_session('US', now()), now());
select tests.mark_loaded('S2.US', pipeline.get_expected_session('US', now()) - 7, now());
update market.assets set is_active = false, delisted_on = current_date - 40 where ticker = 'S4.US';

-- test: behind-ness and distance
select results_eq(
    $$select ticker, is_behind, sessions_behind from pipeline.asset_staleness order by ticker$$,
    format(
        'values (%L::text, false, 0), (%L, true, 5), (%L, true, %s)', 'S1.US', 'S2.US', 'S3.US',
        (select count(*) from market.trading_sessions
         where exchange_code = 'US' and session_date <= pipeline.get_expected_session('US', now()))
    ),
    'up to date; a week (five sessions) behind; never loaded: every known session up to the expected one'
);
select is(
    (select expected_session from pipeline.asset_staleness where ticker = 'S2.US'),
    pipeline.get_expected_session('US', now()), 'the expected session is the calendar''s, now'
);
select is((select count(*)::integer from pipeline.asset_staleness where ticker = 'S4.US'), 0, 'delisted: no row');
select is(
    (select prices_last_date from pipeline.asset_staleness where ticker = 'S2.US'),
    pipeline.get_expected_session('US', now()) - 7, 'the watermark as stored'
);

select * from finish();
rollback;

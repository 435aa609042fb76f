-- pipeline.get_expected_session: calendar-aware expected session (weekend, holiday on one
-- exchange only, publication delay, half-day).
begin;
select plan(9);

-- setup: US (close 21:00 UTC in winter, delay 30 min) with MLK day 2026-01-19 closed; LSE open
-- (close 16:30 UTC, delay 3 h); Thanksgiving week 2026 with 11-26 closed and 11-27 a half-day.
select tests.add_sessions('US', '2026-01-01', '2026-01-31', '{2026-01-19}');
select tests.add_sessions('LSE', '2026-01-01', '2026-01-31');
select tests.add_sessions('US', '2026-11-23', '2026-11-30', '{2026-11-26}');
update market.trading_sessions
   set close_at = '2026-11-27 13:00 America/New_York', is_half_day = true
 where exchange_code = 'US' and session_date = '2026-11-27';

-- test: weekend and Monday after a Friday
select is(pipeline.get_expected_session('US', '2026-01-10 12:00+00'), '2026-01-09'::date,
          'Saturday: the Friday session is expected');
select is(pipeline.get_expected_session('US', '2026-01-12 20:00+00'), '2026-01-09'::date,
          'Monday before the close: still Friday');
select is(pipeline.get_expected_session('US', '2026-01-12 21:30+00'), '2026-01-12'::date,
          'Monday at close + publication delay: Monday');

-- test: publication delay
select is(pipeline.get_expected_session('US', '2026-01-09 21:29:59+00'), '2026-01-08'::date,
          'one second before close + delay: the previous session');

-- test: a holiday on one exchange only
select is(pipeline.get_expected_session('US', '2026-01-19 23:00+00'), '2026-01-16'::date,
          'US closed on MLK day: Friday stays expected');
select is(pipeline.get_expected_session('LSE', '2026-01-19 23:00+00'), '2026-01-19'::date,
          'LSE open on MLK day: Monday is expected');

-- test: half-day closes early, so its data is expected early
select is(pipeline.get_expected_session('US', '2026-11-27 18:30+00'), '2026-11-27'::date,
          'half-day: expected at 13:00 ET + 30 min');
select is(pipeline.get_expected_session('US', '2026-11-27 18:29+00'), '2026-11-25'::date,
          'before the half-day publication: Wednesday (Thursday is a holiday)');

-- test: no calendar -> null
select is(pipeline.get_expected_session('SW', '2026-01-19 23:00+00'), null::date,
          'an exchange without sessions has no expected session');

select * from finish();
rollback;

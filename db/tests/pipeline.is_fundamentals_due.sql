-- pipeline.is_fundamentals_due: the scheduled fundamentals rule (session day, interval, slot day).
begin;
select plan(6);

-- setup: a run on Friday 2026-01-09 (its session), a 30-day interval
-- test: never fetched, or older than the interval: due on a session day
select ok(pipeline.is_fundamentals_due(null, 'A.US', false, '2026-01-09', '2026-01-09 22:00+00', '30 days'),
          'never fetched: due');
select ok(pipeline.is_fundamentals_due('2025-12-01 00:00+00', 'A.US', false, '2026-01-09', '2026-01-09 22:00+00',
                                       '30 days'), 'older than the interval: due');
-- test: not on a day that is not the exchange's session, never for a yield series
select ok(not pipeline.is_fundamentals_due(null, 'A.US', false, '2026-01-08', '2026-01-09 22:00+00', '30 days'),
          'the run''s day is not the exchange''s session: not due');
select ok(not pipeline.is_fundamentals_due(null, 'US10Y.GBOND', true, '2026-01-09', '2026-01-09 22:00+00', '30 days'),
          'a yield series: never');
-- test: fresher than half the interval: not due; between half and the interval: on the slot day only
select ok(not pipeline.is_fundamentals_due('2026-01-01 00:00+00', 'A.US', false, '2026-01-09', '2026-01-09 22:00+00',
                                           '30 days'), 'fresher than half the interval: not due');
select is((select count(*)::integer from generate_series(0, 29) as d
           cross join lateral (select '2026-01-09 22:00+00'::timestamptz + d * interval '1 day' as as_of) as r
           where pipeline.is_fundamentals_due(r.as_of - interval '20 days', 'A.US', false,
                                              (r.as_of at time zone 'UTC')::date, r.as_of, '30 days')),
          1, 'between half and the whole interval: due on exactly one slot day in 30');

select * from finish();
rollback;

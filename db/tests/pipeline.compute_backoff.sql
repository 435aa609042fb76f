-- pipeline.compute_backoff: monotonic, capped, never negative, deterministic jitter.
begin;
select plan(6);

-- test: monotonic in the failure count (for many tickers)
select is(
    (select count(*)::integer
     from generate_series(1, 200) as t
     cross join generate_series(1, 12) as k
     where pipeline.compute_backoff('T' || t || '.US', k + 1, '1 hour', '7 days')
         < pipeline.compute_backoff('T' || t || '.US', k, '1 hour', '7 days')),
    0, 'the wait never shrinks as failures grow'
);

-- test: capped and never negative
select is(
    (select max(pipeline.compute_backoff('T' || t || '.US', k, '1 hour', '7 days'))
     from generate_series(1, 200) as t cross join generate_series(1, 60) as k),
    '7 days'::interval, 'the wait never exceeds the cap (and reaches it)'
);
select is(
    (select count(*)::integer from generate_series(1, 200) as t cross join generate_series(0, 60) as k
     where pipeline.compute_backoff('T' || t || '.US', k, '1 hour', '7 days') < interval '0'),
    0, 'the wait is never negative (k = 0 included)'
);

-- test: exponential base with jitter below 25 %
select ok(
    pipeline.compute_backoff('AAPL.US', 3, '1 hour', '7 days') between interval '4 hours' and interval '5 hours',
    'third failure: 4 h plus less than 25 % jitter'
);

-- test: deterministic jitter that differs between tickers
select is(
    pipeline.compute_backoff('AAPL.US', 2, '1 hour', '7 days'),
    pipeline.compute_backoff('AAPL.US', 2, '1 hour', '7 days'),
    'same ticker and attempt: same wait'
);
select ok(
    (select count(distinct pipeline.compute_backoff('T' || t || '.US', 1, '1 hour', '7 days'))
     from generate_series(1, 50) as t) > 10,
    'different tickers get different jitter'
);

select * from finish();
rollback;

-- market._smoothing_transition: seeding by the mean of the first n inputs, then the EMA or Wilder step.
begin;
select plan(9);

-- test: the seed, the same for both kinds
select is(market._smoothing_transition('{0,0,0,0}', 4, 3), '{1,4,3,0}'::float8[], 'first input: count and sum');
select is(market._smoothing_transition('{1,4,3,0}', 5, 3), '{2,9,3,0}'::float8[], 'still summing before the n-th input');
select is(market._smoothing_transition('{2,9,3,0}', 6, 3), '{3,5,3,0}'::float8[], 'the n-th input seeds with the mean');
select is(market._smoothing_transition('{2,9,3,1}', 6, 3), '{3,5,3,1}'::float8[], 'Wilder seeds the same way');

-- test: then one step of the kind's smoothing
select is(
    market._smoothing_transition('{3,5,3,0}', 9, 3), array[4, market.ema_step(5, 9, 0.5), 3, 0]::float8[],
    'EMA: one market.ema_step with k = 2 / (n + 1)'
);
select is(
    market._smoothing_transition('{3,5,3,1}', 8, 3), array[4, market.wilder_step(5, 8, 3), 3, 1]::float8[],
    'Wilder: one market.wilder_step'
);
select isnt(
    market._smoothing_transition('{3,5,3,0}', 8, 3), market._smoothing_transition('{3,5,3,1}', 8, 3),
    'the two kinds differ after the seed'
);

-- test: a period below 2 is refused, naming the aggregate
select throws_ok(
    $$select market._smoothing_transition('{0,0,0,0}', 1, 1)$$, '22023',
    'market.ema: the period must be at least 2, got 1', 'EMA: a period below 2 is refused'
);
select throws_ok(
    $$select market._smoothing_transition('{0,0,0,1}', 1, 0)$$, '22023',
    'market.wilder: the period must be at least 2, got 0', 'Wilder: a period below 2 is refused'
);

select * from finish();
rollback;

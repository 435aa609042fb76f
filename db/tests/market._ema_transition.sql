-- market._ema_transition: seeding by the mean of the first n inputs, then market.ema_step.
begin;
select plan(5);

select is(market._ema_transition('{0,0,0}', 4, 3), '{1,4,3}'::float8[], 'first input: count and sum');
select is(market._ema_transition('{1,4,3}', 5, 3), '{2,9,3}'::float8[], 'still summing before the n-th input');
select is(market._ema_transition('{2,9,3}', 6, 3), '{3,5,3}'::float8[], 'the n-th input seeds with the mean');
select is(
    market._ema_transition('{3,5,3}', 9, 3), array[4, market.ema_step(5, 9, 0.5), 3]::float8[],
    'then one market.ema_step with k = 2 / (n + 1)'
);
select throws_ok(
    $$select market._ema_transition('{0,0,0}', 1, 1)$$, '22023',
    'market.ema: the period must be at least 2, got 1', 'a period below 2 is refused, naming it'
);

select * from finish();
rollback;

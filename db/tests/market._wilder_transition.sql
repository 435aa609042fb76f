-- market._wilder_transition: seeding by the mean of the first n inputs, then market.wilder_step.
begin;
select plan(4);

select is(market._wilder_transition('{1,4,3}', 5, 3), '{2,9,3}'::float8[], 'summing before the n-th input');
select is(market._wilder_transition('{2,9,3}', 6, 3), '{3,5,3}'::float8[], 'the n-th input seeds with the mean');
select is(
    market._wilder_transition('{3,5,3}', 8, 3), array[4, market.wilder_step(5, 8, 3), 3]::float8[],
    'then one market.wilder_step'
);
select throws_ok(
    $$select market._wilder_transition('{0,0,0}', 1, 0)$$, '22023',
    'market.wilder: the period must be at least 2, got 0', 'a period below 2 is refused, naming it'
);

select * from finish();
rollback;

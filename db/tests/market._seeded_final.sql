-- market._seeded_final: null during the warm-up, the value from the n-th input on.
begin;
select plan(4);

select is(market._seeded_final('{0,0,0,0}'), null, 'no input: null');
select is(market._seeded_final('{2,9,3,0}'), null, 'warm-up: null');
select is(market._seeded_final('{3,5,3,1}'), 5::float8, 'seeded: the value');
select is(market._seeded_final('{40,7.5,3,0}'), 7.5::float8, 'later: the value');

select * from finish();
rollback;

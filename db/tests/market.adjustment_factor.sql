-- market.adjustment_factor: adjusted_close / close, 1 for a zero close.
begin;
select plan(4);

select is(market.adjustment_factor(200, 100), 0.5::float8, 'a 2:1 split before it halves the bar');
select is(market.adjustment_factor(-0.25, -0.25), 1::float8, 'a negative yield, unadjusted: 1');
select is(market.adjustment_factor(0, 0), 1::float8, 'a zero yield: 1, not a division by zero');
select is(market.adjustment_factor(null, 1), null, 'strict: null in, null out');

select * from finish();
rollback;

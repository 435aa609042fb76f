-- market.wilder_sum_step: Wilder's running sum (the +DM, -DM and TR of the ADX family).
begin;
select plan(3);

select is(market.wilder_sum_step(28, 3, 14), 29::float8, 'previous - previous / 14 + x');
select is(
    market.wilder_sum_step(7.77, 0.31, 14), 7.77::float8 - 7.77::float8 / 14 + 0.31, 'the operation order of TA-Lib'
);
select is(market.wilder_sum_step(null, 1, 14), null, 'strict: null in, null out');

select * from finish();
rollback;

-- market.wilder_step: Wilder's smoothing step, inlined by its callers.
begin;
select plan(4);

select is(market.wilder_step(14, 28, 14), 15::float8, '(previous * 13 + x) / 14');
select is(market.wilder_step(3.5, 3.5, 14), 3.5::float8, 'a constant input is a fixed point');
select is(
    market.wilder_step(0.731, 0.2, 14), (0.731::float8 * 13 + 0.2) / 14, 'the operation order of TA-Lib'
);
select is(market.wilder_step(1, null, 14), null, 'strict: null in, null out');

select * from finish();
rollback;

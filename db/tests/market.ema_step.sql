-- market.ema_step: TA-Lib's EMA step, inlined by its callers.
begin;
select plan(4);

select is(market.ema_step(10, 16, 0.5), 13::float8, 'moves by k of the distance');
select is(market.ema_step(10, 16, 0), 10::float8, 'k = 0 keeps the previous value');
select is(
    market.ema_step(101.25, 99.5, 2.0::float8 / 13), (99.5::float8 - 101.25) * (2.0::float8 / 13) + 101.25,
    'the operation order of TA-Lib: (x - previous) * k + previous'
);
select is(market.ema_step(null, 1, 0.5), null, 'strict: null in, null out');

select * from finish();
rollback;

-- market._compute_indicators: warm-up lengths, seeding, flat-range guards and the returned state.
begin;
select plan(19);

-- setup: 300 bars of a zig-zag walk, and 40 flat bars (no moves at all)
create temporary table walk as
select
    array_agg(date '2020-01-01' + g order by g) as d,
    array_agg(100 + g * 0.1 + (g % 7) order by g)::float8[] as c,
    array_agg(101 + g * 0.1 + (g % 7) order by g)::float8[] as h,
    array_agg(99 + g * 0.1 + (g % 7) order by g)::float8[] as l,
    array_agg(1000.0 + g order by g)::float8[] as v
from generate_series(0, 299) as g;
create temporary table walk_out as
select r.trade_date, (r.indicators).*, r.state, row_number() over (order by r.trade_date) - 1 as t
from walk as w
cross join lateral market._compute_indicators(w.d, w.c, w.h, w.l, w.c, w.v, '{}', '{}', 1, 0, null) as r;

create temporary table flat_out as
select r.trade_date, (r.indicators).*, r.state, row_number() over (order by r.trade_date) - 1 as t
from generate_series(1, 1) as one
cross join lateral market._compute_indicators(
    (select array_agg(date '2020-01-01' + g order by g) from generate_series(0, 39) as g),
    array_fill(10.0::float8, array[40]), array_fill(10.0::float8, array[40]), array_fill(10.0::float8, array[40]),
    array_fill(10.0::float8, array[40]), array_fill(500.0::float8, array[40]), '{}', '{}', 1, 0, null
) as r;

-- test: one row per bar, warm-up lengths as TA-Lib's lookbacks
select is((select count(*)::integer from walk_out), 300, 'one row per bar');
select is((select min(t)::integer from walk_out where sma_200 is not null), 199, 'sma_200 starts at bar 199');
select is((select min(t)::integer from walk_out where rsi_14 is not null), 14, 'rsi_14 starts at bar 14');
select is((select min(t)::integer from walk_out where macd_hist is not null), 33, 'macd starts at bar 33');
select is((select min(t)::integer from walk_out where adx_14 is not null), 27, 'adx_14 starts at bar 27');
select is((select min(t)::integer from walk_out where stoch_d is not null), 17, 'stoch starts at bar 17');
select is((select min(t)::integer from walk_out where high_52w is not null), 251, 'high_52w starts at bar 251');

-- test: seeding
select is(
    (select ema_12 from walk_out where t = 11),
    (select avg(x) from unnest((select c[1:12] from walk)) as x),
    'ema_12 is seeded with the mean of the first 12 closes'
);
select is((select obv from walk_out where t = 0), 1000.0::float8, 'obv starts at the first volume');

-- test: flat-range guards
select is((select max(rsi_14) from flat_out), 0::float8, 'rsi_14 is 0 when there are no moves');
select is((select max(abs(willr_14)) from flat_out), 0::float8, 'willr_14 is 0 on a flat range');
select is((select max(abs(stoch_k)) from flat_out), 0::float8, 'stoch_k is 0 on a flat range');
select is((select max(stddev_20) from flat_out), 0::float8, 'stddev_20 is 0 on a flat range');
select is((select min(bb_percent_b_20) from flat_out), 0.5::float8, 'bb_percent_b_20 is 0.5 when the bands coincide');

-- test: the state comes with the last row only
select is((select count(*)::integer from walk_out where state is not null), 1, 'exactly one row carries the state');
select is(
    (
        select cardinality(state) - 2 * (
            state[market._indicator_state_slot('high_queue_length')]
            + state[market._indicator_state_slot('low_queue_length')]
        )::integer
        from walk_out where t = 299
    ),
    69, 'the state has 69 values and the two 52-week queues'
);

-- test: a yield series that crosses zero (exact zeros included): no division error, no NaN or infinity
create temporary table yield_bars as
select g as t, date '2020-01-01' + g as d, round((0.8 * sin(g / 15.0))::numeric, 1)::float8 as c
from generate_series(0, 299) as g;
create temporary table yield_out as
select r.trade_date, (r.indicators).*, r.state, row_number() over (order by r.trade_date) - 1 as t
from (
    select
        array_agg(d order by t) as d, array_agg(c order by t) as c,
        array_agg(c + 0.05 order by t) as h, array_agg(c - 0.05 order by t) as l
    from yield_bars
) as y
cross join lateral market._compute_indicators(
    y.d, y.c, y.h, y.l, y.c, array_fill(0::float8, array[300]), y.d, y.c, 1, 0, null
) as r;
select is((select count(*)::integer from yield_out), 300, 'a series through zero is computed');
select is(
    (select count(*)::integer from yield_out as z where (to_jsonb(z) - 'state')::text ~ 'NaN|Infinity'), 0,
    'no NaN or infinity in any column'
);
select is(
    (select array_agg(distinct z.roc_10) from yield_out as z inner join yield_bars as b on b.t = z.t - 10 where b.c = 0),
    array[0]::float8[], 'roc_10 is 0 where the close ten bars back is 0'
);

select * from finish();
rollback;

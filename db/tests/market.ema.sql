-- market.ema: TA-Lib's EMA as a window aggregate, bit for bit the kernel's EMA columns.
begin;
select plan(5);

-- setup: 300 bars of a zig-zag walk with a flat stretch, and the kernel's output on them
create temporary table bars as
select
    g as t, date '2020-01-01' + g as d,
    (case when g between 120 and 150 then 90 else 100 + g * 0.1 + (g % 7) - 3 * sin(g / 5.0) end)::float8 as c
from generate_series(0, 299) as g;
create temporary table kernel as
select r.*
from (select array_agg(d order by t) as d, array_agg(c order by t) as c from bars) as b
cross join lateral market._compute_indicators(b.d, b.c, b.c, b.c, b.c, b.c, '{}', '{}', 1, 0, null) as r;
create temporary table agg as
select
    d, t,
    market.ema(c, 12) over w as ema_12, market.ema(c, 26) over w as ema_26,
    market.ema(c, 50) over w as ema_50, market.ema(c, 200) over w as ema_200
from bars
window w as (order by d);

-- test: identical to the kernel on every bar, nulls included
select is(
    (select count(*)::integer from agg as a inner join kernel as k on a.d = k.trade_date
     where a.ema_12 is distinct from k.ema_12 or a.ema_26 is distinct from k.ema_26
        or a.ema_50 is distinct from k.ema_50 or a.ema_200 is distinct from k.ema_200),
    0, 'ema(c, 12/26/50/200) equals the kernel''s ema_12/26/50/200 exactly'
);
select is((select min(t)::integer from agg where ema_12 is not null), 11, 'null for the first 11 bars');
select is(
    (select ema_12 from agg where t = 11), (select avg(c) from bars where t < 12), 'seeded with the mean of 12'
);

-- test: null inputs are skipped; a period below 2 is refused
select is(
    (select market.ema(x, 2) from unnest(array[1, null, 3, 5]::float8[]) as x),
    market.ema_step(2, 5, 2.0::float8 / 3), 'null inputs are skipped'
);
select throws_ok(
    $$select market.ema(c, 1) over (order by d) from bars$$, '22023', null, 'period 1 is refused'
);

select * from finish();
rollback;

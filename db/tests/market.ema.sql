-- market.ema: TA-Lib's EMA as a window aggregate, bit for bit the kernel's EMA columns.
begin;
select plan(5);

-- setup: the zig-zag walk of 300 bars (a flat stretch at bars 120-150) and the kernel's output on it
select tests.make_zigzag_tables(300);
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

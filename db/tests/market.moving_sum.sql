-- market.moving_sum: a moving-aggregate sum with an inverse, bit for bit the kernel's window sums.
begin;
select plan(4);

-- setup: the zig-zag walk of 300 bars (a flat stretch at bars 120-150) and the kernel's output on it
select tests.make_zigzag_tables(300);
create temporary table agg as
select
    d, t,
    case when t >= 4 then market.moving_sum(c) over (order by d rows 4 preceding) / 5 end as sma_5,
    case when t >= 49 then market.moving_sum(c) over (order by d rows 49 preceding) / 50 end as sma_50,
    case when t >= 199 then market.moving_sum(c) over (order by d rows 199 preceding) / 200 end as sma_200,
    case when t >= 89 then market.moving_sum(v) over (order by d rows 89 preceding) / 90 end as avg_volume_90
from bars;

-- test: the declared inverse, and the same sums as the kernel
select is(
    (select (aggmtransfn::text, aggminvtransfn::text) from pg_aggregate
     where aggfnoid = 'market.moving_sum(double precision)'::regprocedure),
    ('float8pl'::text, 'float8mi'::text), 'moving aggregate: float8pl forward, float8mi inverse'
);
select is(
    (select count(*)::integer from agg as a inner join kernel as k on a.d = k.trade_date
     where a.sma_5 is distinct from k.sma_5 or a.sma_50 is distinct from k.sma_50
        or a.sma_200 is distinct from k.sma_200),
    0, 'moving_sum(close) / n equals sma_5, sma_50 and sma_200 exactly'
);
select is(
    (select count(*)::integer from agg as a inner join kernel as k on a.d = k.trade_date
     where a.avg_volume_90 is distinct from k.avg_volume_90),
    0, 'moving_sum(volume) / 90 equals avg_volume_90 exactly'
);
select is(
    (select market.moving_sum(x) from unnest(array[1, null, 2.5]::float8[]) as x), 3.5::float8,
    'as a plain aggregate: the sum of the non-null inputs'
);

select * from finish();
rollback;

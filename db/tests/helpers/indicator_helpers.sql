-- Fixtures for the indicator aggregates' tests (test database only).
create schema if not exists tests;

-- Temporary tables "bars" (t, d, c, h, l, v: a zig-zag walk of p_n bars with a flat stretch at
-- bars 120-150 and varying volume) and "kernel" (market._compute_indicators over them, one column per
-- indicator).
create or replace function tests.make_zigzag_tables(p_n integer default 300)
returns void
language plpgsql
as $$
begin
    create temporary table bars as
    select
        g as t,
        date '2020-01-01' + g as d,
        (case when g between 120 and 150 then 90 else 100 + g * 0.1 + (g % 7) - 3 * sin(g / 5.0) end)::float8 as c,
        (case when g between 120 and 150 then 90
              else 101 + g * 0.1 + (g % 7) - 3 * sin(g / 5.0) + (g % 3) end)::float8 as h,
        (case when g between 120 and 150 then 90
              else 99 + g * 0.1 + (g % 7) - 3 * sin(g / 5.0) - (g % 4) end)::float8 as l,
        (1000 + (g * 37) % 500)::float8 as v
    from generate_series(0, p_n - 1) as g;
    create temporary table kernel as
    select r.trade_date, (r.indicators).*, r.state
    from (
        select
            array_agg(b.d order by b.t) as d, array_agg(b.c order by b.t) as c, array_agg(b.h order by b.t) as h,
            array_agg(b.l order by b.t) as l, array_agg(b.v order by b.t) as v
        from bars as b
    ) as x
    cross join lateral market._compute_indicators(x.d, x.c, x.h, x.l, x.c, x.v, '{}', '{}', 1, 0, null) as r;
end;
$$;

-- market.wilder: Wilder's smoothing as a window aggregate, bit for bit the kernel's ATR and RSI.
begin;
select plan(4);

-- setup: the zig-zag walk of 300 bars (a flat stretch at bars 120-150) and the kernel's output on it
select tests.make_zigzag_tables(300);
create temporary table moves as
select
    d, t, h, l, c,
    case when lag(c) over (order by d) is not null
        then greatest(h - l, abs(h - lag(c) over (order by d)), abs(l - lag(c) over (order by d)))
    end as tr,
    case when c - lag(c) over (order by d) > 0 then c - lag(c) over (order by d) else 0 end as up,
    case when c - lag(c) over (order by d) < 0 then lag(c) over (order by d) - c else 0 end as down,
    lag(c) over (order by d) as prev
from bars;
create temporary table agg as
select
    d, t,
    market.wilder(tr, 14) over w as atr,
    market.wilder(case when prev is not null then up end, 14) over w as gain,
    market.wilder(case when prev is not null then down end, 14) over w as loss
from moves
window w as (order by d);

-- test: ATR(14) and RSI(14) from the aggregate equal the kernel's columns exactly
select is(
    (select count(*)::integer from agg as a inner join kernel as k on a.d = k.trade_date
     where a.atr is distinct from k.atr_14),
    0, 'wilder(true range, 14) equals atr_14 exactly'
);
select is(
    (select count(*)::integer from agg as a inner join kernel as k on a.d = k.trade_date
     where (case when a.gain + a.loss = 0 then 0 else 100.0 * (a.gain / (a.gain + a.loss)) end)
           is distinct from k.rsi_14),
    0, 'RSI from wilder(gains, 14) and wilder(losses, 14) equals rsi_14 exactly (0 on the flat stretch)'
);
select is((select min(t)::integer from agg where atr is not null), 14, 'first value at bar 14 (lag skips bar 0)');
select throws_ok(
    $$select market.wilder(tr, 0) over (order by d) from moves$$, '22023', null, 'period 0 is refused'
);

select * from finish();
rollback;

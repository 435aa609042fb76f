-- market._indicator_state_slot: the layout of market.indicator_state.state. The layout is stored
-- data (every asset's state row): a slot must never move, or the daily update misreads the states
-- written before. The first test fails when one moves; the others check that the kernel writes
-- into each named slot what the name says, on a known series.
begin;
select plan(8);

-- test: the layout, slot by slot (fixed: append new slots after the queues' lengths instead)
select is(
    (
        select array_agg(market._indicator_state_slot(n.slot_name) order by n.ord)
        from unnest(array[
            'sma_5_sum', 'sma_10_sum', 'sma_20_sum', 'sma_50_sum', 'sma_100_sum', 'sma_200_sum',
            'wma_20_weighted_sum', 'volume_30_sum', 'volume_90_sum', 'ema_12', 'ema_26', 'ema_50', 'ema_200',
            'macd_fast_ema', 'macd_signal', 'rsi_avg_gain', 'rsi_avg_loss', 'atr_14', 'plus_dm_14', 'minus_dm_14',
            'true_range_14', 'dx_sum', 'adx_14', 'obv', 'mfi_positive_flow', 'mfi_negative_flow', 'sar_is_long',
            'sar', 'sar_extreme_point', 'sar_acceleration', 'stoch_fast_k_1', 'stoch_fast_k_2', 'stoch_slow_k_1',
            'stoch_slow_k_2', 'beta_sum_xx', 'beta_sum_x', 'beta_sum_xy', 'beta_sum_y', 'rsi_ring', 'wma_20_sum',
            'return_30_sum', 'return_30_sum_squares', 'return_30_nonzero', 'close_20_changes',
            'high_queue_length', 'low_queue_length', 'high_14', 'high_14_bar', 'low_14', 'low_14_bar',
            'rsi_14_high', 'rsi_14_high_bar', 'rsi_14_low', 'rsi_14_low_bar', 'queues'
        ]) with ordinality as n (slot_name, ord)
    ),
    array[
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
        29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 53, 54, 55, 56, 57, 58, 59, 62, 63, 64, 65, 66, 67, 68, 69, 70
    ],
    'every slot is where states already stored expect it'
);
select throws_ok(
    $$select market._indicator_state_slot('no_such_slot')$$, 'P0001',
    'market._indicator_state_slot: no state slot named no_such_slot', 'an unknown name is an error, not a null'
);

-- setup: 300 bars of a zig-zag walk and a benchmark; the kernel's rows (t = 0 .. 299) and its state
create temporary table walk as
select
    g as t,
    date '2020-01-01' + g as d,
    (100 + g * 0.1 + (g % 7) - 3 * sin(g / 5.0))::float8 as c,
    (101 + g * 0.1 + (g % 7) - 3 * sin(g / 5.0) + (g % 3))::float8 as h,
    (99 + g * 0.1 + (g % 7) - 3 * sin(g / 5.0) - (g % 4))::float8 as l,
    (1000 + (g * 37) % 500)::float8 as v,
    (50 + g * 0.05 + (g % 5) + cos(g / 3.0))::float8 as b
from generate_series(0, 299) as g;
create temporary table walk_out as
select r.trade_date - date '2020-01-01' as t, (r.indicators).*, r.state
from (
    select
        array_agg(w.d order by w.t) as d, array_agg(w.c order by w.t) as c, array_agg(w.h order by w.t) as h,
        array_agg(w.l order by w.t) as l, array_agg(w.v order by w.t) as v, array_agg(w.b order by w.t) as b
    from walk as w
) as x
cross join lateral market._compute_indicators(x.d, x.c, x.h, x.l, x.c, x.v, x.d, x.b, 1, 0, null) as r;
create temporary table walk_state as
select o.state from walk_out as o where o.t = 299;
create temporary table walk_returns as
select
    w.t, w.c, w.h, w.l,
    w.c / lag(w.c) over (order by w.t) - 1.0 as y,
    w.b / lag(w.b) over (order by w.t) - 1.0 as x,
    w.c <> lag(w.c) over (order by w.t) as changed,
    100.0 * (w.c - min(w.l) over k) / (max(w.h) over k - min(w.l) over k) as fast_k
from walk as w
window k as (order by w.t rows between 13 preceding and current row);
-- what each slot must hold after bar 299, from the series and the kernel's own outputs
create temporary table expected as
select e.slot_name, e.slot_offset, e.value
from (
    select 'sma_5_sum' as slot_name, 0 as slot_offset, (select sum(c) from walk where t >= 296) as value
    union all select 'sma_10_sum', 0, (select sum(c) from walk where t >= 291)
    union all select 'sma_20_sum', 0, (select sum(c) from walk where t >= 281)
    union all select 'sma_50_sum', 0, (select sum(c) from walk where t >= 251)
    union all select 'sma_100_sum', 0, (select sum(c) from walk where t >= 201)
    union all select 'sma_200_sum', 0, (select sum(c) from walk where t >= 101)
    union all select 'wma_20_weighted_sum', 0, (select sum((t - 280) * c) from walk where t >= 281)
    union all select 'wma_20_sum', 0, (select sum(c) from walk where t >= 280)
    union all select 'volume_30_sum', 0, (select sum(v) from walk where t >= 271)
    union all select 'volume_90_sum', 0, (select sum(v) from walk where t >= 211)
    union all select 'ema_12', 0, (select ema_12 from walk_out where t = 299)
    union all select 'ema_26', 0, (select ema_26 from walk_out where t = 299)
    union all select 'ema_50', 0, (select ema_50 from walk_out where t = 299)
    union all select 'ema_200', 0, (select ema_200 from walk_out where t = 299)
    union all select 'macd_signal', 0, (select macd_signal from walk_out where t = 299)
    union all select 'macd_fast_ema', 0, (select macd_line + ema_26 from walk_out where t = 299)
    union all select 'atr_14', 0, (select atr_14 from walk_out where t = 299)
    union all select 'adx_14', 0, (select adx_14 from walk_out where t = 299)
    union all select 'dx_sum', 0, (select 14 * adx_14 from walk_out where t = 27)
    union all select 'obv', 0, (select obv from walk_out where t = 299)
    union all select 'stoch_slow_k_1', 0, (select stoch_k from walk_out where t = 299)
    union all select 'stoch_slow_k_2', 0, (select stoch_k from walk_out where t = 298)
    union all select 'stoch_fast_k_1', 0, (select fast_k from walk_returns where t = 299)
    union all select 'stoch_fast_k_2', 0, (select fast_k from walk_returns where t = 298)
    union all select 'beta_sum_xx', 0, (select sum(x * x) from walk_returns where t >= 49)
    union all select 'beta_sum_x', 0, (select sum(x) from walk_returns where t >= 49)
    union all select 'beta_sum_xy', 0, (select sum(x * y) from walk_returns where t >= 49)
    union all select 'beta_sum_y', 0, (select sum(y) from walk_returns where t >= 49)
    union all select 'return_30_sum', 0, (select sum(y) from walk_returns where t >= 271)
    union all select 'return_30_sum_squares', 0, (select sum(y * y) from walk_returns where t >= 271)
    union all select 'return_30_nonzero', 0, (select count(*) filter (where y <> 0) from walk_returns where t >= 271)
    union all select 'close_20_changes', 0, (select count(*) filter (where changed) from walk_returns where t >= 282)
    union all select 'high_14', 0, (select max(h) from walk where t >= 286)
    union all select 'low_14', 0, (select min(l) from walk where t >= 286)
    union all
    select 'high_14_bar', 0, (select max(t) from walk where t >= 286 and h = (select max(h) from walk where t >= 286))
    union all
    select 'low_14_bar', 0, (select max(t) from walk where t >= 286 and l = (select min(l) from walk where t >= 286))
    union all select 'rsi_14_high', 0, (select max(rsi_14) from walk_out where t >= 286)
    union all select 'rsi_14_low', 0, (select min(rsi_14) from walk_out where t >= 286)
    union all
    select
        'rsi_14_high_bar', 0,
        (select max(t) from walk_out where t >= 286 and rsi_14 = (select max(rsi_14) from walk_out where t >= 286))
    union all
    select
        'rsi_14_low_bar', 0,
        (select max(t) from walk_out where t >= 286 and rsi_14 = (select min(rsi_14) from walk_out where t >= 286))
    -- the RSI of bar t at rsi_ring + t % 14
    union all select 'rsi_ring', (o.t % 14)::integer, o.rsi_14 from walk_out as o where o.t >= 286
    -- the queues: bars of the window whose high (low) no later bar reaches; their heads are the extremes
    union all
    select
        'high_queue_length', 0,
        (
            select count(*) from walk as w
            where w.t >= 48 and w.h > all(select w2.h from walk as w2 where w2.t > w.t)
        )
    union all
    select
        'low_queue_length', 0,
        (
            select count(*) from walk as w
            where w.t >= 48 and w.l < all(select w2.l from walk as w2 where w2.t > w.t)
        )
    union all select 'queues', 0, (select high_52w from walk_out where t = 299)
) as e;

-- test: each named slot holds what its name says (within 1e-9, relative: sums in another order)
select is(
    (
        select array_agg(e.slot_name || '+' || e.slot_offset order by e.slot_name, e.slot_offset)
        from expected as e, walk_state as s
        where
            e.value is null
            or not abs(s.state[market._indicator_state_slot(e.slot_name) + e.slot_offset] - e.value)
            <= 1e-9 * greatest(1.0, abs(e.value))
    ),
    null,
    'the sums, EMA and Wilder values, stochastic memory, extremes, RSI ring and queues are in their named slots'
);
select is(
    (
        select s.state[
            market._indicator_state_slot('queues')
            + 2 * s.state[market._indicator_state_slot('high_queue_length')]::integer
        ]
        from walk_state as s
    ),
    (select low_52w from walk_out where t = 299),
    'the low queue follows the high queue''s values and bars, and its head is the 52-week low'
);

-- test: the pairs the outputs are ratios of (gain and loss, +DM, -DM and the true range, the money flows)
select ok(
    (
        select abs(
            100.0 * s.state[market._indicator_state_slot('rsi_avg_gain')] / (
                s.state[market._indicator_state_slot('rsi_avg_gain')]
                + s.state[market._indicator_state_slot('rsi_avg_loss')]
            ) - o.rsi_14
        ) < 1e-9
        from walk_state as s, walk_out as o where o.t = 299
    ),
    'rsi_14 = 100 * gain / (gain + loss) of the rsi_avg_gain and rsi_avg_loss slots'
);
select ok(
    (
        select
            abs(
                100.0 * s.state[market._indicator_state_slot('plus_dm_14')]
                / s.state[market._indicator_state_slot('true_range_14')] - o.plus_di_14
            ) < 1e-9
            and abs(
                100.0 * s.state[market._indicator_state_slot('minus_dm_14')]
                / s.state[market._indicator_state_slot('true_range_14')] - o.minus_di_14
            ) < 1e-9
        from walk_state as s, walk_out as o where o.t = 299
    ),
    'plus_di_14 and minus_di_14 = 100 * plus_dm_14 (minus_dm_14) / true_range_14'
);
select ok(
    (
        select abs(
            100.0 * s.state[market._indicator_state_slot('mfi_positive_flow')] / (
                s.state[market._indicator_state_slot('mfi_positive_flow')]
                + s.state[market._indicator_state_slot('mfi_negative_flow')]
            ) - o.mfi_14
        ) < 1e-9
        from walk_state as s, walk_out as o where o.t = 299
    ),
    'mfi_14 = 100 * positive / (positive + negative flow)'
);

-- test: the SAR: a long trend has its stop below the last low and its extreme point at or above the
-- last high (a short one the reverse), with an acceleration between 0.02 and 0.2
select ok(
    (
        select
            s.state[market._indicator_state_slot('sar_acceleration')] between 0.02 and 0.2
            and case s.state[market._indicator_state_slot('sar_is_long')]
                when 1 then
                    s.state[market._indicator_state_slot('sar')] <= w.l
                    and s.state[market._indicator_state_slot('sar_extreme_point')] >= w.h
                when 0 then
                    s.state[market._indicator_state_slot('sar')] >= w.h
                    and s.state[market._indicator_state_slot('sar_extreme_point')] <= w.l
                else false
            end
        from walk_state as s, walk as w where w.t = 299
    ),
    'sar_is_long, sar, sar_extreme_point and sar_acceleration hold the parabolic SAR''s state'
);

select * from finish();
rollback;

-- market._compute_asset_indicators: one asset's rows from its adjusted bars, the state on the last row only.
begin;
select plan(9);

-- setup: an asset with weekday bars, adjusted by half from February on, and one without bars
select tests.add_sessions('US', '2024-01-01', '2024-03-31');
select tests.create_asset('AAA.US') as aaa \gset
select tests.create_asset('BBB.US') as bbb \gset
select tests.add_bars(:aaa, '2024-01-01', '2024-03-31');
update market.stock_prices set adjusted_close = close / 2 where asset_id = :aaa and trade_date < '2024-02-01';
create temporary table got as
select * from market._compute_asset_indicators(:aaa, '2024-02-29', '{}', '{}');

-- test: one row per bar up to p_until, all of them the asset's
select is(
    (select count(*) from got),
    (select count(*) from market.stock_prices where asset_id = :aaa and trade_date <= '2024-02-29'),
    'one row per bar up to p_until'
);
select is((select count(*)::integer from got where asset_id <> :aaa), 0, 'every row names the asset');

-- test: the kernel ran on adjusted bars (sma_5 of the first window is the mean of adjusted closes)
select is(
    (select (indicators).sma_5 from got order by trade_date offset 4 limit 1),
    (select avg(adjusted_close)::float8 from (
        select adjusted_close from market.stock_prices where asset_id = :aaa order by trade_date limit 5
    ) as x),
    'inputs are adjusted'
);

-- test: state and windows on the last row only, describing the history
select is((select count(*)::integer from got where state is not null), 1, 'the state rides on one row');
select is(
    (select trade_date from got where state is not null), date '2024-02-29', 'that row is the last bar'
);
select is(
    (select (first_trade_date, bar_count) from got where state is not null),
    (select (min(trade_date), count(*)::integer) from market.stock_prices
     where asset_id = :aaa and trade_date <= '2024-02-29'),
    'first bar and bar count'
);
select is(
    (select (cardinality(recent_dates), recent_close[cardinality(recent_close)]) from got where state is not null),
    (select (count(*)::integer, (array_agg(adjusted_close order by trade_date desc))[1])
     from market.stock_prices where asset_id = :aaa and trade_date <= '2024-02-29'),
    'the close window holds the whole short history and ends with the last adjusted close'
);

-- test: no bars, no rows
select is(
    (select count(*)::integer from market._compute_asset_indicators(:bbb, null, '{}', '{}')), 0, 'no bars: no rows'
);

-- test: a yield with zero and negative closes (unadjusted) is computed without a division by zero
select tests.create_asset('JP10Y.GBOND') as jgb \gset
insert into market.stock_prices (asset_id, trade_date, open, high, low, close, adjusted_close, volume)
select :jgb, date '2024-01-01' + g, c, c + 0.02, c - 0.02, c, c, 0
from (select g, ((g % 5) - 2) * 0.01 as c from generate_series(0, 59) as g) as x;
select is(
    (
        select count(*)::integer from market._compute_asset_indicators(:jgb, null, '{}', '{}')
        where (indicators).sma_20 is not null
    ),
    41, 'rows for every bar after the warm-up'
);
select * from finish();
rollback;

-- market.stock_prices CHECKs reject impossible bars.
begin;
select plan(12);

-- setup
select tests.create_asset('IBM.US') as asset_id \gset

-- test: a sane bar is accepted
select lives_ok(
    format('insert into market.stock_prices values (%s, %L, 10, 11, 9, 10.5, 10.4, 1000)', :asset_id, '2026-01-02'),
    'a sane bar is accepted'
);
select lives_ok(
    format('insert into market.stock_prices values (%s, %L, 10, 10, 10, 10, 10, 0)', :asset_id, '2026-01-05'),
    'a flat zero-volume bar is accepted'
);

-- test: impossible bars are rejected by named constraints
select throws_ok(
    format('insert into market.stock_prices values (%s, %L, 5, 11, 0, 10, 9.9, 1)', :asset_id, '2026-01-06'),
    '23514', 'new row for relation "stock_prices" violates check constraint "stock_prices_positive_unless_yield"',
    'zero low on an adjusted bar is rejected'
);
-- a yield (GBOND) can be zero or negative, unadjusted; which assets may store one is ingest's rule
select lives_ok(
    format('insert into market.stock_prices values (%s, %L, -0.1, 0.05, -0.2, 0, 0, 0)', :asset_id, '2026-01-07'),
    'a zero or negative bar with adjusted_close = close (a yield) is accepted by the table'
);
select throws_ok(
    format('insert into market.stock_prices values (%s, %L, 10, 11, 9, -1, 10, 1)', :asset_id, '2026-01-06'),
    '23514', null, 'negative close is rejected'
);
select throws_ok(
    format('insert into market.stock_prices values (%s, %L, 10, 11, 9, 10, 0, 1)', :asset_id, '2026-01-06'),
    '23514', null, 'zero adjusted close is rejected'
);
select throws_ok(
    format('insert into market.stock_prices values (%s, %L, 10, 9, 11, 10, 10, 1)', :asset_id, '2026-01-06'),
    '23514', null,
    'low above high is rejected'
);
select throws_ok(
    format('insert into market.stock_prices values (%s, %L, 12, 11, 9, 10, 10, 1)', :asset_id, '2026-01-06'),
    '23514', 'new row for relation "stock_prices" violates check constraint "stock_prices_open_in_range"',
    'open above high is rejected'
);
select throws_ok(
    format('insert into market.stock_prices values (%s, %L, 10, 11, 9, 8, 8, 1)', :asset_id, '2026-01-06'),
    '23514', 'new row for relation "stock_prices" violates check constraint "stock_prices_close_in_range"',
    'close below low is rejected'
);
select throws_ok(
    format('insert into market.stock_prices values (%s, %L, 10, 11, 9, 10, 10, -5)', :asset_id, '2026-01-06'),
    '23514', 'new row for relation "stock_prices" violates check constraint "stock_prices_volume_nonnegative"',
    'negative volume is rejected'
);
select throws_ok(
    format('insert into market.stock_prices values (%s, %L, 10, %L, 9, 10, 10, 1)', :asset_id, '2026-01-06', 'Infinity'),
    '23514', null, 'an infinite price is rejected'
);
select throws_ok(
    format('insert into market.stock_prices values (%s, %L, 10, 11, 9, 10.5, 10.4, 1000)', :asset_id, '2026-01-02'),
    '23505', null, 'a second bar for the same asset and day is rejected'
);

select * from finish();
rollback;

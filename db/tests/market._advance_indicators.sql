-- market._advance_indicators: continues from the stored state over new bars only.
begin;
select plan(9);

-- setup: an asset built in full up to mid-February, with bars until the end of February
select tests.add_sessions('US', '2024-01-01', '2024-02-29');
select tests.create_asset('AAA.US') as aaa \gset
select tests.add_bars(:aaa, '2024-01-01', '2024-02-29');
select market._rebuild_indicators(array[:aaa]::bigint[], '2024-02-15');

-- test: rows for the new bars up to p_as_of only
select is(market._advance_indicators(array[:aaa]::bigint[], '2024-02-20'), 3::bigint, 'three new bars written');
select is(
    (select bar_count from market.indicator_state where asset_id = :aaa),
    (select count(*)::integer from market.stock_prices where asset_id = :aaa and trade_date <= '2024-02-20'),
    'bar count follows'
);

-- test: the recent windows follow the last bar
select is(
    (select recent_dates[cardinality(recent_dates)] from market.indicator_state where asset_id = :aaa),
    date '2024-02-20', 'the date window ends at the last bar'
);
select is(
    (select cardinality(recent_high) from market.indicator_state where asset_id = :aaa), 30,
    'thirty highs are kept'
);
select is(
    (select cardinality(recent_close) from market.indicator_state where asset_id = :aaa),
    (select least(252, bar_count) from market.indicator_state where asset_id = :aaa),
    'up to 252 closes are kept'
);

-- test: the earliest context date given by the caller gives the same rows as a full rebuild
select is(
    market._advance_indicators(
        array[:aaa]::bigint[], '2024-02-29',
        (select recent_dates[1] from market.indicator_state where asset_id = :aaa)
    ),
    (select count(*) from market.stock_prices where asset_id = :aaa and trade_date > '2024-02-20'),
    'with p_context_from: the remaining bars written'
);
create temporary table stepped as select * from market.technical_indicators where asset_id = :aaa;
select market._rebuild_indicators(array[:aaa]::bigint[], '2024-02-29');
select is(
    (select count(*)::integer from (
        select * from stepped except select * from market.technical_indicators where asset_id = :aaa
    ) as x),
    0, 'and every row equals the full rebuild'
);

-- test: nothing new, nothing written; assets not given are left alone
select is(market._advance_indicators(array[:aaa]::bigint[], '2024-02-29'), 0::bigint, 'no new bars: no rows');
select is(market._advance_indicators('{}'::bigint[], '2024-02-29'), 0::bigint, 'no assets: no rows');

select * from finish();
rollback;

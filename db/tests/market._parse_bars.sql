-- market._parse_bars: typed values, shape errors, reject reasons.
begin;
select plan(9);

-- test: a good bar is typed and has neither error nor reason
select row_eq(
    $$select trade_date, open, volume, shape_error, reject_reason from market._parse_bars('[{"date": "2026-01-02", "open": "10", "high": 11, "low": 9, "close": 10, "adjusted_close": 10, "volume": 12.5}]', array[7]::bigint[], '2026-01-02')$$,
    row('2026-01-02'::date, 10::float8, 12.5::float8, null::text, null::text), 'a good bar'
);
-- test: shape errors
select is((select shape_error from market._parse_bars('[[1, 2]]', array[7]::bigint[], '2026-01-02')),
    'item 1 is not an object', 'an array item is not a bar');
select is((select shape_error from market._parse_bars('[{"date": "2026-01-02"}]', array[7]::bigint[], '2026-01-02')),
    'item 1 lacks open, high, low, close, adjusted_close, volume', 'missing fields are listed');
-- test: several reasons at once
select is((select reject_reason from market._parse_bars('[{"date": "2026-01-05", "open": -1, "high": 9, "low": 11, "close": 10, "adjusted_close": 10, "volume": -3}]', array[7]::bigint[], '2026-01-02')),
    'non-positive price; low above high; negative volume; date after as_of 2026-01-02', 'every broken rule is named');
-- test: the same date for two assets is not a duplicate
select is((select count(*)::integer from market._parse_bars('[{"date": "2026-01-02", "open": 1, "high": 1, "low": 1, "close": 1, "adjusted_close": 1, "volume": 1}, {"date": "2026-01-02", "open": 1, "high": 1, "low": 1, "close": 1, "adjusted_close": 1, "volume": 1}]', array[7, 8]::bigint[], '2026-01-02') where reject_reason is null), 2, 'duplicates are per asset');

-- test: yield series may be zero or negative, but only unadjusted; other assets may not
select is(
    (select array_agg(coalesce(reject_reason, 'ok') order by item_no) from market._parse_bars(
        '[{"date": "2026-01-02", "open": -0.1, "high": 0.05, "low": -0.2, "close": 0, "adjusted_close": 0, "volume": 0},'
        ' {"date": "2026-01-02", "open": -0.1, "high": 0.05, "low": -0.2, "close": 0, "adjusted_close": 0, "volume": 0}]',
        array[7, 8]::bigint[], '2026-01-02', array[7]::bigint[])),
    array['ok', 'non-positive price'], 'a zero or negative yield is a valid bar; the same bar of another asset is not'
);
select is(
    (select reject_reason from market._parse_bars(
        '[{"date": "2026-01-02", "open": -0.1, "high": 0.05, "low": -0.2, "close": 0, "adjusted_close": 0.01, "volume": 0}]',
        array[7]::bigint[], '2026-01-02', array[7]::bigint[])),
    'non-positive yield with adjusted_close different from close', 'a non-positive yield must be unadjusted'
);
select is(
    (select reject_reason from market._parse_bars(
        '[{"date": "2026-01-02", "open": 1.2, "high": 1.3, "low": 1.1, "close": 1.25, "adjusted_close": 1.25, "volume": 0}]',
        array[7]::bigint[], '2026-01-02', array[7]::bigint[])),
    null, 'a positive yield is a valid bar'
);

-- test: items without an asset are skipped
select is((select array_agg(item_no) from market._parse_bars('[{"warning": "limited"}, {"date": "2026-01-02"}, [1]]',
    array[null, 7, null]::bigint[], '2026-01-02')), array[2], 'only items with an asset are parsed');

select * from finish();
rollback;

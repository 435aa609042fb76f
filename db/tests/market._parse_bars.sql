-- market._parse_bars: typed values, shape errors, reject reasons, plausibility bounds.
begin;
select plan(15);

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

-- test: plausibility: dates from 1970-01-01, prices in [1e-6, 1e9], volume up to 1e13
select is((select reject_reason from market._parse_bars('[{"date": "1969-12-31", "open": 2e9, "high": 2e9, "low": 2e9, "close": 2e9, "adjusted_close": 2e9, "volume": 2e13}]', array[7]::bigint[], '2026-01-02')),
    'price outside [1e-6, 1e9]; volume above 1e13; date before 1970-01-01', 'too early, too dear, too much volume');
select is(
    (select array_agg(coalesce(reject_reason, 'ok') order by item_no) from market._parse_bars(
        '[{"date": "1970-01-01", "open": 1e-6, "high": 1e9, "low": 1e-6, "close": 1, "adjusted_close": 0.000001, "volume": 1e13},'
        ' {"date": "1970-01-02", "open": 1, "high": 1, "low": 1, "close": 1, "adjusted_close": 1, "volume": 0},'
        ' {"date": "1970-01-05", "open": 0.0000009, "high": 1, "low": 0.0000009, "close": 1, "adjusted_close": 1, "volume": 0}]',
        array[7, 7, 7]::bigint[], '2026-01-02')),
    array['ok', 'ok', 'price outside [1e-6, 1e9]'], 'the bounds themselves are plausible; a price of 9e-7 is not'
);
-- test: adjusted_close / close must lie in [1e-6, 1e6]
select is(
    (select array_agg(coalesce(reject_reason, 'ok') order by item_no) from market._parse_bars(
        '[{"date": "2026-01-02", "open": 100, "high": 100, "low": 100, "close": 100, "adjusted_close": 0.00001, "volume": 0},'
        ' {"date": "2026-01-02", "open": 100, "high": 100, "low": 100, "close": 100, "adjusted_close": 200000000, "volume": 0},'
        ' {"date": "2026-01-02", "open": 28.75, "high": 28.87, "low": 28.75, "close": 28.75, "adjusted_close": 0.0987, "volume": 0},'
        ' {"date": "2026-01-02", "open": 2, "high": 2, "low": 2, "close": 2, "adjusted_close": 41, "volume": 0}]',
        array[1, 2, 3, 4]::bigint[], '2026-01-02')),
    array['adjusted_close / close outside [1e-6, 1e6]', 'adjusted_close / close outside [1e-6, 1e6]', 'ok', 'ok'],
    'ratios of 1e-7 and 2e6 are refused; AAPL''s 1980 ratio (0.0034) and a 1:20 reverse split (20) are kept'
);
-- test: yields keep zero and negative values; only their size is bounded
select is(
    (select array_agg(coalesce(reject_reason, 'ok') order by item_no) from market._parse_bars(
        '[{"date": "2026-01-02", "open": -0.0000001, "high": 0.0000001, "low": -0.0000001, "close": 0, "adjusted_close": 0, "volume": 0},'
        ' {"date": "2026-01-02", "open": -2e9, "high": 1, "low": -2e9, "close": 0, "adjusted_close": 0, "volume": 0}]',
        array[7, 8]::bigint[], '2026-01-02', array[7, 8]::bigint[])),
    array['ok', 'price outside [1e-6, 1e9]'], 'a yield near zero is valid, one of -2e9 is not'
);
-- test: with a bar date (bulk payloads), every bar must carry it
select is(
    (select array_agg(coalesce(reject_reason, 'ok') order by item_no) from market._parse_bars(
        '[{"date": "2026-01-02", "open": 1, "high": 1, "low": 1, "close": 1, "adjusted_close": 1, "volume": 0},'
        ' {"date": "2025-12-31", "open": 1, "high": 1, "low": 1, "close": 1, "adjusted_close": 1, "volume": 0}]',
        array[7, 8]::bigint[], '2026-01-02', '{}', '2026-01-02')),
    array['ok', 'date other than the bulk day 2026-01-02'], 'a bar of another day is refused'
);
-- test: a price of 59 digits parses (and is refused by its size), one with 56 decimals is rounded
select row_eq(
    $$select open, reject_reason from market._parse_bars('[{"date": "2026-01-02", "open": 12345678901234567890123456789012345678901234567890123456789, "high": 1, "low": 1, "close": 1, "adjusted_close": 1, "volume": 0}]', array[7]::bigint[], '2026-01-02')$$,
    row(12345678901234567890123456789012345678901234567890123456789::float8,
        'price outside [1e-6, 1e9]; open outside [low, high]'::text),
    'a 59-digit price is a number, and implausible'
);

select * from finish();
rollback;

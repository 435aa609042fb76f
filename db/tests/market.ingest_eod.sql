-- market.ingest_eod: happy path, shapes refused whole, quarantine reasons, idempotency,
-- rewritten history and backfills flag the asset, implausible bars quarantined, pending corporate
-- actions applied by a later run.
begin;
select plan(37);

-- setup
select tests.create_asset('AAPL.US') as aapl \gset
select tests.create_asset('MSFT.US') as msft \gset
select tests.land('eod', 'AAPL.US', $$[
  {"date": "2026-02-02", "open": 10, "high": 11, "low": 9.5, "close": 10.5, "adjusted_close": 10.4, "volume": 1200},
  {"date": "2026-02-03", "open": "10.5", "high": "12", "low": "10", "close": "11.75", "adjusted_close": "11.6", "volume": "0"},
  {"date": "2026-02-04", "open": 11.75, "high": 12, "low": 11, "close": 11, "adjusted_close": 10.9, "volume": 1530.5},
  {"warning": "Data is limited by one year as you have free subscription"}
]$$) as p1 \gset

-- test: happy path (numbers as numbers or strings, zero and fractional volume, trailing warning)
select is(market.ingest_eod(:p1, :aapl, '2026-02-04') - 'message',
    '{"status": "ok", "rows_stored": 3, "rows_rejected": 0, "rows_inserted": 3, "rows_changed": 0,
      "assets_flagged": 0, "first_date": "2026-02-02", "last_date": "2026-02-04"}'::jsonb,
    'three bars stored, dates reported');
select results_eq(
    format('select trade_date, open, high, low, close, adjusted_close, volume, adjusted_as_of
            from market.stock_prices where asset_id = %s order by trade_date', :aapl),
    $$values ('2026-02-02'::date, 10::float8, 11::float8, 9.5::float8, 10.5::float8, 10.4::float8, 1200::float8, '2026-03-01'::date),
             ('2026-02-03', 10.5, 12, 10, 11.75, 11.6, 0, '2026-03-01'),
             ('2026-02-04', 11.75, 12, 11, 11, 10.9, 1530.5, '2026-03-01')$$,
    'the bars are stored as sent; their adjustment reflects actions up to the day before the payload arrived'
);
select ok((select ingested_at is not null and ingest_error is null from raw.eodhd_payloads where payload_id = :p1),
    'the payload is marked ingested');

-- test: idempotent: the same payload again, and the same body landed again, change nothing
select tests.prices_digest(:aapl) as digest1 \gset
select is(market.ingest_eod(:p1, :aapl, '2026-02-04') ->> 'rows_inserted', '0', 'ingesting the payload again inserts nothing');
select tests.land('eod', 'AAPL.US', (select body::text from raw.eodhd_payloads where payload_id = :p1)) as p1b \gset
select is(market.ingest_eod(:p1b, :aapl, '2026-02-04') ->> 'rows_changed', '0', 're-landing the same body changes nothing');
select is(tests.prices_digest(:aapl), :'digest1', 'the stored bars are byte-for-byte unchanged');
select is((select needs_indicator_recompute from pipeline.asset_processing_state where asset_id = :aapl), false,
    'appending bars does not flag a recompute');

-- test: an empty array (holiday, nothing new) is fine and stores nothing
select is(market.ingest_eod(tests.land('eod', 'AAPL.US', '[]'), :aapl, '2026-02-05') - 'message',
    '{"status": "ok", "rows_stored": 0, "rows_rejected": 0, "rows_inserted": 0, "rows_changed": 0,
      "assets_flagged": 0, "first_date": null, "last_date": null}'::jsonb, 'an empty array is ok with no rows');

-- test: wrong shapes are refused whole: nothing written
select is(market.ingest_eod(tests.land('eod', 'MSFT.US', '{"errors": "Ticker not found"}'), :msft, '2026-02-04') ->> 'message',
    'expected a JSON array of bars, got object', 'an object instead of an array is a data error');
select is(market.ingest_eod(tests.land('eod', 'MSFT.US', $$[
  {"date": "2026-02-02", "open": 10, "high": 11, "low": 9, "close": 10, "adjusted_close": 10, "volume": 5},
  {"date": "2026-02-03", "open": 10, "high": 11, "low": 9, "close": 10, "volume": 5}]$$), :msft, '2026-02-04') ->> 'message',
    'unexpected shape: 1 bad item(s), e.g. item 2 lacks adjusted_close', 'a missing field is a data error naming it');
select is(market.ingest_eod(tests.land('eod', 'MSFT.US', $$[
  {"date": "2026-02-02", "open": "ten", "high": 11, "low": 9, "close": 10, "adjusted_close": 10, "volume": 5}]$$),
    :msft, '2026-02-04') ->> 'status', 'data_error', 'a non-numeric string is a data error');
select is(market.ingest_eod(tests.land('eod', 'MSFT.US', $$[
  {"date": "2026-02-30", "open": 1, "high": 1, "low": 1, "close": 1, "adjusted_close": 1, "volume": 5}]$$),
    :msft, '2026-03-04') ->> 'message', 'unexpected shape: 1 bad item(s), e.g. item 1 has no valid date: 2026-02-30',
    'an impossible date is a data error');
select is(market.ingest_eod(tests.land('eod', 'MSFT.US', '<html>busy</html>'), :msft, '2026-02-04') ->> 'message',
    'response is not JSON: Token "<" is invalid.', 'a payload that was not JSON reports why');
select is((select count(*)::integer from market.stock_prices where asset_id = :msft)
        + (select count(*)::integer from market.price_quarantine where asset_id = :msft), 0,
    'nothing was written for any refused payload');
select is((select count(*)::integer from raw.eodhd_payloads where ticker = 'MSFT.US' and ingest_error is not null
           and ingested_at is null), 5, 'each refused payload carries its ingest_error');

-- test: bars breaking a price rule are quarantined with their reasons, the valid ones stored
select tests.land('eod', 'MSFT.US', $$[
  {"date": "2026-02-02", "open": 10, "high": 11, "low": 9, "close": 10, "adjusted_close": 10, "volume": 5},
  {"date": "2026-02-03", "open": 0, "high": 11, "low": 9, "close": 10, "adjusted_close": 10, "volume": 5},
  {"date": "2026-02-04", "open": 10, "high": 9, "low": 11, "close": 10, "adjusted_close": 10, "volume": 5},
  {"date": "2026-02-05", "open": 12, "high": 11, "low": 9, "close": 10, "adjusted_close": 10, "volume": 5},
  {"date": "2026-02-06", "open": 10, "high": 11, "low": 9, "close": 8, "adjusted_close": 8, "volume": 5},
  {"date": "2026-02-09", "open": 10, "high": 11, "low": 9, "close": 10, "adjusted_close": 10, "volume": -1},
  {"date": "2026-02-10", "open": 10, "high": 11, "low": 9, "close": 10, "adjusted_close": 10, "volume": 5},
  {"date": "2026-02-10", "open": 10, "high": 11, "low": 9, "close": 10.5, "adjusted_close": 10.5, "volume": 5},
  {"date": "2026-02-11", "open": 10, "high": 11, "low": 9, "close": null, "adjusted_close": 10, "volume": 5},
  {"date": "2026-02-12", "open": 10, "high": 11, "low": 9, "close": 10, "adjusted_close": 10, "volume": null},
  {"date": "2026-02-13", "open": 10, "high": 11, "low": 9, "close": 10, "adjusted_close": 10, "volume": 5}
]$$) as pq \gset
select market.ingest_eod(:pq, :msft, '2026-02-12') as rq \gset
select is(:'rq'::jsonb - 'message', '{"status": "data_error", "rows_stored": 2, "rows_rejected": 9, "rows_inserted": 2,
    "rows_changed": 0, "assets_flagged": 0, "first_date": "2026-02-02", "last_date": "2026-02-12"}'::jsonb,
    'nine bars quarantined, the two valid ones stored, status data_error');
select results_eq(
    format('select trade_date, reason from market.price_quarantine where payload_id = %s order by item_no', :pq),
    $$values ('2026-02-03'::date, 'non-positive price; open outside [low, high]'), ('2026-02-04', 'low above high'),
             ('2026-02-05', 'open outside [low, high]'), ('2026-02-06', 'close outside [low, high]'),
             ('2026-02-09', 'negative volume'), ('2026-02-10', 'duplicate date in payload'),
             ('2026-02-10', 'duplicate date in payload'), ('2026-02-11', 'missing price'),
             ('2026-02-13', 'date after as_of 2026-02-12')$$,
    'each rejected bar is quarantined with its reason'
);
select is((select volume from market.stock_prices where asset_id = :msft and trade_date = '2026-02-12'), 0::float8,
    'a null volume is stored as 0');
select ok((select ingest_error like '9 bar(s) quarantined (%' and ingested_at is not null
           from raw.eodhd_payloads where payload_id = :pq), 'the payload records the quarantine as its ingest_error');
select is(market.ingest_eod(:pq, :msft, '2026-02-12') ->> 'rows_rejected', '9', 'ingesting it again reports the same rejects');
select is((select count(*)::integer from market.price_quarantine where payload_id = :pq), 9, '... without quarantining twice');

-- test: the vendor rewrote adjusted_close of stored dates: they are updated and the asset flagged
select market.ingest_eod(tests.land('eod', 'AAPL.US', $$[
  {"date": "2026-02-03", "open": 10.5, "high": 12, "low": 10, "close": 11.75, "adjusted_close": 5.8, "volume": 0},
  {"date": "2026-02-04", "open": 11.75, "high": 12, "low": 11, "close": 11, "adjusted_close": 5.45, "volume": 1530.5}
]$$, null, '{}', '2026-03-09 22:00+00'), :aapl, '2026-02-06') as rw \gset
select is((:'rw'::jsonb ->> 'rows_changed')::integer, 2, 'two stored bars changed');
select results_eq(format('select adjusted_close, adjusted_as_of from market.stock_prices where asset_id = %s and trade_date >= %L order by trade_date', :aapl, '2026-02-03'),
    $$values (5.8::float8, '2026-03-08'::date), (5.45, '2026-03-08')$$, 'the rewritten adjusted closes are stored');
select is((select needs_indicator_recompute from pipeline.asset_processing_state where asset_id = :aapl), true,
    'a rewritten history flags a full indicator recompute');

-- test: a backfill before the stored history flags the asset
select market.ingest_eod(tests.land('eod', 'MSFT.US',
    '[{"date": "2026-01-30", "open": 10, "high": 11, "low": 9, "close": 10, "adjusted_close": 10, "volume": 5}]'),
    :msft, '2026-02-12');
select is((select needs_indicator_recompute from pipeline.asset_processing_state where asset_id = :msft), true,
    'bars inserted before the last stored date flag a recompute');

-- test: caller errors raise
select throws_ok(format('select market.ingest_eod(%s, %s, %L)', :p1, :msft, '2026-02-04'), '22023', null,
    'a payload of another ticker is refused');
select throws_ok(format('select market.ingest_eod(%s, %s, %L)',
    tests.land('fundamentals', 'AAPL.US', '{}'), :aapl, '2026-02-04'), '22023', null,
    'a payload of another endpoint is refused');

-- test: a government bond yield (GBOND) stores zero and negative bars; a stock's zero bar is refused
select tests.create_asset('DE10Y.GBOND') as bund \gset
select is(
    market.ingest_eod(tests.land('eod', 'DE10Y.GBOND', $$[
      {"date": "2026-02-02", "open": 0.02, "high": 0.03, "low": -0.01, "close": 0, "adjusted_close": 0, "volume": 0},
      {"date": "2026-02-03", "open": 0, "high": 0.01, "low": -0.12, "close": -0.11, "adjusted_close": -0.11, "volume": 0}
    ]$$), :bund, '2026-02-04') ->> 'rows_stored',
    '2', 'a zero and a negative yield are stored'
);
select is(
    (select array_agg(close order by trade_date) from market.stock_prices where asset_id = :bund),
    array[0, -0.11]::float8[], 'as sent'
);
select is(
    market.ingest_eod(tests.land('eod', 'MSFT.US', $$[
      {"date": "2026-02-02", "open": 0.02, "high": 0.03, "low": -0.01, "close": 0, "adjusted_close": 0, "volume": 0}
    ]$$), :msft, '2026-02-04') ->> 'rows_rejected',
    '1', 'the same bar for a stock goes to quarantine'
);

-- test: implausible bars are quarantined, each with its reason; the plausible ones are stored
select tests.create_asset('ODD.US') as odd \gset
select tests.land('eod', 'ODD.US', $$[
  {"date": "1800-01-02", "open": 10, "high": 11, "low": 9, "close": 10, "adjusted_close": 10, "volume": 5},
  {"date": "2026-02-02", "open": 1e-30, "high": 1e-30, "low": 1e-30, "close": 1e-30, "adjusted_close": 1e-30, "volume": 5},
  {"date": "2026-02-03", "open": 12345678901234567890123456789012345678901234567890123456789, "high": 12345678901234567890123456789012345678901234567890123456789, "low": 12345678901234567890123456789012345678901234567890123456789, "close": 12345678901234567890123456789012345678901234567890123456789, "adjusted_close": 12345678901234567890123456789012345678901234567890123456789, "volume": 5},
  {"date": "2026-02-04", "open": 105, "high": 106, "low": 104, "close": 105, "adjusted_close": 1e-50, "volume": 5},
  {"date": "2026-02-05", "open": 105, "high": 106, "low": 104, "close": 105, "adjusted_close": 0.00001, "volume": 5},
  {"date": "2026-02-06", "open": 100, "high": 101, "low": 99, "close": 100, "adjusted_close": 100, "volume": 1e14},
  {"date": "2026-02-09", "open": 100.1234567890123456789012345678901234567890123456789012345, "high": 101, "low": 99, "close": 100, "adjusted_close": 100, "volume": 5},
  {"date": "2026-02-10", "open": 10, "high": 11, "low": 9, "close": 10, "adjusted_close": 0.0045, "volume": 5}
]$$) as podd \gset
select is(market.ingest_eod(:podd, :odd, '2026-02-10') - 'message', '{"status": "data_error", "rows_stored": 2,
    "rows_rejected": 6, "rows_inserted": 2, "rows_changed": 0, "assets_flagged": 0, "first_date": "2026-02-09",
    "last_date": "2026-02-10"}'::jsonb, 'six implausible bars quarantined, two stored');
select results_eq(
    format('select trade_date, reason from market.price_quarantine where payload_id = %s order by item_no', :podd),
    $$values ('1800-01-02'::date, 'date before 1970-01-01'), ('2026-02-02', 'price outside [1e-6, 1e9]'),
             ('2026-02-03', 'price outside [1e-6, 1e9]'),
             ('2026-02-04', 'price outside [1e-6, 1e9]; adjusted_close / close outside [1e-6, 1e6]'),
             ('2026-02-05', 'adjusted_close / close outside [1e-6, 1e6]'), ('2026-02-06', 'volume above 1e13')$$,
    'a date before 1970, prices of 1e-30 and of 59 digits, adjusted_close 1e-50 against 105, a ratio of 1e-7 and a '
    'volume of 1e14 are quarantined with their reasons'
);
select results_eq(format('select trade_date, open, adjusted_close from market.stock_prices where asset_id = %s order by 1', :odd),
    $$values ('2026-02-09'::date, 100.12345678901235::float8, 100::float8), ('2026-02-10', 10, 0.0045)$$,
    'a price of 59 digits within range is rounded to double precision; adjusted / close 0.00045 (decades of splits) is kept');

-- test: a dividend dated after the business date waits; a later eod ingest whose business date reaches it applies it
select market.ingest_corporate_actions(tests.land('div', 'AAPL.US',
    '[{"date": "2026-03-10", "value": 0.25, "unadjustedValue": 0.25, "currency": "USD"}]'), :aapl) ->> 'rows_pending' as pend \gset
select is(:'pend'::text, '1', 'the dividend of 2026-03-10, landed on 2026-03-02, is kept pending');
select adjusted_close as adj_0204 from market.stock_prices where asset_id = :aapl and trade_date = '2026-02-04' \gset
select market.ingest_eod(tests.land('eod', 'AAPL.US',
    '[{"date": "2026-03-10", "open": 11, "high": 11.5, "low": 10.5, "close": 11.2, "adjusted_close": 11.2, "volume": 9}]',
    null, '{}', '2026-03-10 22:00+00'), :aapl, '2026-03-10') as rdiv \gset
select is(:'rdiv'::jsonb - 'message', '{"status": "ok", "rows_stored": 1, "rows_rejected": 0, "rows_inserted": 1,
    "rows_changed": 0, "assets_flagged": 0, "first_date": "2026-03-10", "last_date": "2026-03-10", "actions_applied": 1,
    "bars_adjusted": 3}'::jsonb, 'the eod ingest of 2026-03-10 applies the pending dividend to the 3 earlier bars');
select is((select adjusted_close from market.stock_prices where asset_id = :aapl and trade_date = '2026-02-04'),
    :adj_0204::float8 * (1 - 0.25 / 11), 'by 1 - dividend / previous close');
select is((select adjusted_close from market.stock_prices where asset_id = :aapl and trade_date = '2026-03-10'), 11.2::float8,
    'the bar of the ex-date is as the vendor sent it');

select * from finish();
rollback;

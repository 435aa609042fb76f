-- market.ingest_bulk_day: codes matched as CODE.EXCHANGE, unknown codes ignored, unsorted rows,
-- shapes refused whole, quarantine, idempotency, bars of another day refused, pending corporate
-- actions applied once the day reaches them.
begin;
select plan(15);

-- setup
select tests.create_asset('AAPL.US') as aapl \gset
select tests.create_asset('BRK-B.US') as brk \gset
select tests.create_asset('BP.LSE') as bp \gset
select tests.land('eod-bulk-last-day', null, $$[
  {"code": "ZZZZ", "exchange_short_name": "US", "date": "2026-03-02", "open": 1, "high": 1, "low": 1, "close": 1, "adjusted_close": 1, "volume": 1},
  {"code": "BRK-B", "exchange_short_name": "US", "date": "2026-03-02", "open": "480.1", "high": "485", "low": "479.5", "close": "484.2", "adjusted_close": "484.2", "volume": "3120000"},
  {"code": "BP", "exchange_short_name": "US", "date": "2026-03-02", "open": 30, "high": 31, "low": 29, "close": 30.5, "adjusted_close": 30.5, "volume": 10},
  {"code": "AAPL", "exchange_short_name": "US", "date": "2026-03-02", "open": 230, "high": 233, "low": 229, "close": 232, "adjusted_close": 232, "volume": 0}
]$$, 'US', '{"date": "2026-03-02"}') as p1 \gset

-- test: known codes are stored under CODE.EXCHANGE, unknown ones ignored and counted
select is(market.ingest_bulk_day(:p1, 'US', '2026-03-02') - 'message',
    '{"status": "ok", "rows_stored": 2, "rows_rejected": 0, "rows_inserted": 2, "rows_changed": 0, "rows_ignored": 2,
      "assets_flagged": 0, "first_date": "2026-03-02", "last_date": "2026-03-02"}'::jsonb,
    'two known US codes stored, BP (only known as BP.LSE) and ZZZZ ignored');
select results_eq(
    'select a.ticker, sp.close, sp.volume from market.stock_prices sp join market.assets a using (asset_id) order by 1',
    $$values ('AAPL.US', 232::float8, 0::float8), ('BRK-B.US', 484.2, 3120000)$$,
    'the bars belong to AAPL.US and BRK-B.US'
);

-- test: idempotent
select tests.prices_digest(:brk) as d1 \gset
select is(market.ingest_bulk_day(tests.land('eod-bulk-last-day', null,
    (select body::text from raw.eodhd_payloads where payload_id = :p1), 'US'), 'US', '2026-03-02') ->> 'rows_inserted', '0',
    're-landing the same bulk day inserts nothing');
select is(tests.prices_digest(:brk), :'d1', 'and changes nothing');

-- test: wrong shapes are refused whole
select is(market.ingest_bulk_day(tests.land('eod-bulk-last-day', null, '{"AAPL": {}}', 'US'), 'US', '2026-03-03') ->> 'message',
    'expected a JSON array of bars, got object', 'an object is a data error');
select is(market.ingest_bulk_day(tests.land('eod-bulk-last-day', null, $$[
  {"code": "AAPL", "date": "2026-03-03", "open": 1, "high": 1, "low": 1, "close": 1, "adjusted_close": 1, "volume": 1},
  {"date": "2026-03-03", "open": 1}]$$, 'US'), 'US', '2026-03-03') ->> 'message',
    'unexpected shape: 1 bad item(s), e.g. item 2 has no code', 'a row without code is a data error');
select is(market.ingest_bulk_day(tests.land('eod-bulk-last-day', null, $$[
  {"code": "AAPL", "date": "2026-03-03", "open": 1, "high": "n/a", "low": 1, "close": 1, "adjusted_close": 1, "volume": 1}]$$,
    'US'), 'US', '2026-03-03') ->> 'status', 'data_error', 'a non-numeric value of a known code is a data error');
select is((select count(*)::integer from market.stock_prices where trade_date = '2026-03-03'), 0,
    'nothing was stored from the refused payloads');

-- test: a bad bar of one code is quarantined, the others stored
select tests.land('eod-bulk-last-day', null, $$[
  {"code": "AAPL", "date": "2026-03-03", "open": 230, "high": 229, "low": 231, "close": 230, "adjusted_close": 230, "volume": 1},
  {"code": "BRK-B", "date": "2026-03-03", "open": 484, "high": 486, "low": 483, "close": 485, "adjusted_close": 485, "volume": 1}
]$$, 'US') as p3 \gset
select is(market.ingest_bulk_day(:p3, 'US', '2026-03-03') - 'message',
    '{"status": "data_error", "rows_stored": 1, "rows_rejected": 1, "rows_inserted": 1, "rows_changed": 0, "rows_ignored": 0,
      "assets_flagged": 0, "first_date": "2026-03-03", "last_date": "2026-03-03"}'::jsonb,
    'one bar quarantined, one stored');

-- test: a bulk splits/dividends list is not a price payload
select throws_ok(format('select market.ingest_bulk_day(%s, %L, %L)',
    tests.land('eod-bulk-last-day', null, '[]', 'US', '{"type": "splits"}'), 'US', '2026-03-03'), '22023', null,
    'a bulk splits list is refused');

-- test: every bar must carry the day the payload was asked for; a bar of another date is quarantined
select tests.land('eod-bulk-last-day', null, $$[
  {"code": "AAPL", "date": "2026-03-04", "open": 231, "high": 233, "low": 230, "close": 232, "adjusted_close": 232, "volume": 1},
  {"code": "BRK-B", "date": "2026-02-27", "open": 484, "high": 486, "low": 483, "close": 485, "adjusted_close": 485, "volume": 1}
]$$, 'US', '{"date": "2026-03-04"}') as p4 \gset
select is(market.ingest_bulk_day(:p4, 'US', '2026-03-04') - 'message',
    '{"status": "data_error", "rows_stored": 1, "rows_rejected": 1, "rows_inserted": 1, "rows_changed": 0, "rows_ignored": 0,
      "assets_flagged": 0, "first_date": "2026-03-04", "last_date": "2026-03-04"}'::jsonb,
    'the bar of 2026-02-27 in the payload of 2026-03-04 is quarantined, the other stored');
select results_eq(format('select trade_date, reason from market.price_quarantine where payload_id = %s', :p4),
    $$values ('2026-02-27'::date, 'date other than the bulk day 2026-03-04')$$, 'with its reason');
select is(market.ingest_bulk_day(tests.land('eod-bulk-last-day', null, $$[
  {"code": "AAPL", "date": "2026-03-04", "open": 231, "high": 233, "low": 230, "close": 232, "adjusted_close": 232, "volume": 1}
]$$, 'US'), 'US', '2026-03-05') ->> 'message',
    '1 bar(s) quarantined (date other than the bulk day 2026-03-05); 0 valid bar(s) stored; 0 row(s) for codes not in '
    'market.assets ignored', 'without a date parameter the day is the business date given');

-- test: a split kept pending is applied by the bulk day its date has come to
select market.ingest_corporate_actions(tests.land('splits', 'BRK-B.US', '[{"date": "2026-03-06", "split": "2/1"}]'),
    :brk) ->> 'rows_pending' as pend \gset
select is(:'pend'::text, '1', 'the split of 2026-03-06, landed on 2026-03-02, waits');
select is(market.ingest_bulk_day(tests.land('eod-bulk-last-day', null, $$[
  {"code": "BRK-B", "date": "2026-03-06", "open": 242, "high": 243, "low": 241, "close": 242.5, "adjusted_close": 242.5, "volume": 1}
]$$, 'US', '{"date": "2026-03-06"}', '2026-03-06 22:00+00'), 'US', '2026-03-06') - 'message',
    '{"status": "ok", "rows_stored": 1, "rows_rejected": 0, "rows_inserted": 1, "rows_changed": 0, "rows_ignored": 0,
      "assets_flagged": 0, "first_date": "2026-03-06", "last_date": "2026-03-06", "actions_applied": 1, "bars_adjusted": 2}'::jsonb,
    'the bulk day of 2026-03-06 applies it to the two earlier BRK-B bars');

select * from finish();
rollback;

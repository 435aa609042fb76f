-- market.ingest_corporate_actions: splits and dividends stored, earlier adjusted closes
-- corrected once, bars that already reflect an action left alone, shapes refused whole, actions
-- dated after the business date kept pending until a later run reaches their date.
begin;
select plan(29);

-- setup: KO.US has bars 2026-01-05 .. 2026-01-30 written before any action (adjusted_as_of unknown)
select tests.add_sessions('US', '2026-01-05', '2026-02-27') as n \gset
select tests.create_asset('KO.US') as ko \gset
select tests.create_asset('PEP.US') as pep \gset
select tests.add_bars(:ko, '2026-01-05', '2026-01-30', 60) as bars \gset
create temp table before_split as select * from market.stock_prices where asset_id = :ko;

-- test: a 2-for-1 split mid-history halves only the earlier adjusted closes
select tests.land('splits', 'KO.US', '[{"date": "2026-01-20", "split": "2.000000/1.000000"}]') as ps \gset
select is(market.ingest_corporate_actions(:ps, :ko) - 'message',
    '{"status": "ok", "rows_stored": 1, "rows_rejected": 0, "rows_inserted": 1, "bars_adjusted": 11,
      "first_date": "2026-01-20", "last_date": "2026-01-20"}'::jsonb, 'the split is stored and 11 earlier bars adjusted');
select is(
    (select count(*)::integer from market.stock_prices p join before_split b using (asset_id, trade_date)
     where p.trade_date < '2026-01-20' and p.adjusted_close = b.adjusted_close / 2 and p.close = b.close), 11,
    'bars before the split date: adjusted_close halved, raw close untouched');
select is(
    (select count(*)::integer from market.stock_prices p join before_split b using (asset_id, trade_date)
     where p.trade_date >= '2026-01-20' and p.adjusted_close = b.adjusted_close), 9,
    'bars on and after the split date are unchanged');
select row_eq(format('select split_numerator, split_denominator, adjustment_factor, bars_adjusted, payload_id
                      from market.corporate_actions where asset_id = %s', :ko),
    row(2::float8, 1::float8, 0.5::float8, 11, :ps::bigint), 'the action row: ratio, factor, bars adjusted, payload');
select is((select needs_indicator_recompute from pipeline.asset_processing_state where asset_id = :ko), true,
    'the asset is flagged for a full indicator recompute');

-- test: idempotent: the same split landed again adjusts nothing
select tests.prices_digest(:ko) as d1 \gset
select md5(string_agg(c::text, '|')) as c1 from market.corporate_actions c \gset
select is(market.ingest_corporate_actions(tests.land('splits', 'KO.US', '[{"date": "2026-01-20", "split": "2.000000/1.000000"}]'), :ko)
    ->> 'bars_adjusted', '0', 're-landing the split adjusts no bar');
select is(tests.prices_digest(:ko), :'d1', 'the bars are unchanged');
select is((select md5(string_agg(c::text, '|')) from market.corporate_actions c), :'c1', 'the action row is unchanged');

-- test: a dividend multiplies earlier adjusted closes by 1 - dividend / previous raw close
select close as prev_close from market.stock_prices where asset_id = :ko and trade_date = '2026-01-26' \gset
select tests.land('div', 'KO.US', $$[
  {"date": "2026-01-27", "declarationDate": "2025-12-11", "recordDate": "2026-01-27", "paymentDate": "2026-02-14",
   "period": "Quarterly", "value": "0.51", "unadjustedValue": 0.51, "currency": "USD"}]$$) as pd \gset
select is(market.ingest_corporate_actions(:pd, :ko) ->> 'bars_adjusted', '16', 'the dividend adjusts the 16 earlier bars');
select is((select adjustment_factor from market.corporate_actions where asset_id = :ko and action_type = 'dividend'),
    1 - 0.51 / :prev_close::float8, 'the factor is 1 - dividend / previous close');
select is(
    (select count(*)::integer from market.stock_prices p join before_split b using (asset_id, trade_date)
     where p.trade_date < '2026-01-27'
       and abs(p.adjusted_close - b.adjusted_close * (case when p.trade_date < '2026-01-20' then 0.5 else 1 end)
               * (1 - 0.51 / :prev_close)) < 1e-9), 16,
    'split and dividend factors compound on the earliest bars');
select is((select count(*)::integer from market.stock_prices p join before_split b using (asset_id, trade_date)
           where p.trade_date >= '2026-01-27' and p.adjusted_close = b.adjusted_close), 4,
    'bars from the ex-date on are unchanged');

-- test: bars fetched after the action already reflect it and are left alone
select market.ingest_eod(tests.land('eod', 'PEP.US', $$[
  {"date": "2026-02-02", "open": 300, "high": 302, "low": 298, "close": 300, "adjusted_close": 100, "volume": 5},
  {"date": "2026-02-03", "open": 100, "high": 101, "low": 99, "close": 100, "adjusted_close": 100, "volume": 15}]$$),
    :pep, '2026-02-04');
select is(market.ingest_corporate_actions(tests.land('splits', 'PEP.US', '[{"date": "2026-02-03", "split": "3/1"}]'), :pep)
    ->> 'bars_adjusted', '0', 'a split the vendor already reflected adjusts nothing');
select is((select needs_indicator_recompute from pipeline.asset_processing_state where asset_id = :pep), false,
    'and flags nothing');

-- test: a dividend not below the previous close is stored but applies no factor
select is(market.ingest_corporate_actions(tests.land('div', 'PEP.US', '[{"date": "2026-02-03", "value": 500}]'), :pep)
    ->> 'message', '1 dividend(s) stored (1 new), 0 stored bar(s) adjusted; dividend 2026-02-03 not below the previous close',
    'an implausible dividend is named and applies nothing');

-- test: wrong shapes are refused whole
select is(market.ingest_corporate_actions(tests.land('splits', 'KO.US', '{"date": "2026-02-10"}'), :ko) ->> 'message',
    'expected a JSON array of splits, got object', 'an object is a data error');
select is(market.ingest_corporate_actions(tests.land('splits', 'KO.US', $$[
  {"date": "2026-02-10", "split": "2/1"}, {"date": "2026-02-11", "split": "two for one"}]$$), :ko) ->> 'message',
    'unexpected shape: 1 bad item(s), e.g. item 2: no split ratio "new/old"', 'an unreadable ratio is a data error');
select is(market.ingest_corporate_actions(tests.land('div', 'KO.US', $$[
  {"date": "2026-02-10", "value": 0.5}, {"date": "0000-00-00", "value": 0.5}, {"date": "2026-02-12", "value": "x"}]$$), :ko)
    ->> 'message', 'unexpected shape: 2 bad item(s), e.g. item 2: no valid date; item 3: no dividend value',
    'missing dates and values are data errors');
select is(market.ingest_corporate_actions(tests.land('splits', 'KO.US', '[{"date": "2026-02-10", "split": "1.000000/0.000000"}]'),
    :ko) ->> 'message', 'unexpected shape: 1 bad item(s), e.g. item 1: a zero split ratio', 'a zero in the ratio is a data error');
select is(market.ingest_corporate_actions(tests.land('splits', 'KO.US', '[{"date": "2026-02-10", "split": "1/100000"}]'),
    :ko) ->> 'message', 'unexpected shape: 1 bad item(s), e.g. item 1: an implausible split ratio',
    'a ratio beyond 1:10000 is a data error');
select is((select count(*)::integer from market.corporate_actions where action_date >= '2026-02-10'), 0,
    'nothing was stored from the refused payloads');

-- test: a split dated after the business date (2026-03-02, the payload's arrival) is kept but not applied
create temp table before_future as select * from market.stock_prices where asset_id = :ko;
select tests.land('splits', 'KO.US', '[{"date": "2030-01-02", "split": "10.000000/1.000000"}]') as pf \gset
select is(market.ingest_corporate_actions(:pf, :ko) - 'message',
    '{"status": "ok", "rows_stored": 1, "rows_rejected": 0, "rows_inserted": 1, "bars_adjusted": 0, "rows_pending": 1,
      "first_date": "2030-01-02", "last_date": "2030-01-02"}'::jsonb, 'a split dated 2030 is stored and kept pending');
select is(market.ingest_corporate_actions(:pf, :ko) ->> 'message',
    '1 split(s) stored (0 new), 0 stored bar(s) adjusted; 1 dated after the business date 2026-03-02 kept pending',
    'the message says it waits for its date');
select is((select count(*)::integer from market.stock_prices p join before_future b using (asset_id, trade_date)
           where p.adjusted_close = b.adjusted_close), 20, 'no stored bar was rescaled');
select row_eq(format('select is_pending, adjustment_factor, bars_adjusted from market.corporate_actions
                      where asset_id = %s and action_date = %L', :ko, '2030-01-02'),
    row(true, null::float8, 0), 'the action row is pending, without a factor');

-- test: a later run whose business date has reached the date applies it, once
update pipeline.asset_processing_state set needs_indicator_recompute = false where asset_id = :ko;
insert into pipeline.process_executions (process_name, run_id, as_of) values ('test', 'on-the-day', '2030-01-02 23:30+00')
returning execution_id as run2030 \gset
select raw.land_response(:run2030, 'splits', 'KO.US', null, '{}', 200,
    '[{"date": "2030-01-02", "split": "10.000000/1.000000"}]', '2030-01-03 08:00+00', 1, 5, 'test') as pf2 \gset
select is(market.ingest_corporate_actions(:pf2, :ko) ->> 'bars_adjusted', '20',
    'the run of 2030-01-02 applies the pending split to the 20 stored bars');
select is((select count(*)::integer from market.stock_prices p join before_future b using (asset_id, trade_date)
           where abs(p.adjusted_close - b.adjusted_close / 10) < 1e-12 * b.adjusted_close), 20, 'each divided by the ratio');
select row_eq(format('select is_pending, adjustment_factor, bars_adjusted from market.corporate_actions
                      where asset_id = %s and action_date = %L', :ko, '2030-01-02'),
    row(false, 0.1::float8, 20), 'the action row records its factor and bars and is no longer pending');
select is(market.ingest_corporate_actions(tests.land('splits', 'KO.US', '[{"date": "2030-01-02", "split": "10/1"}]',
    null, '{}', '2030-02-01 22:00+00'), :ko) ->> 'bars_adjusted', '0', 'landed again later, it adjusts nothing');

select * from finish();
rollback;

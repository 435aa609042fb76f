-- market._store_bars: upsert, quarantine, pending corporate actions applied, history-change flag.
begin;
select plan(8);

-- setup: a payload that arrived on 2026-01-07 (the vendor's adjustments reflect 2026-01-06)
select tests.create_asset('KO.US') as ko \gset
select tests.land('eod', 'KO.US', '[]', null, '{}', '2026-01-07 12:00+00') as p \gset

-- test: a shape error writes nothing
select is(market._store_bars(:p, '2026-01-05', '[{"date": "2026-01-02"}]', array[:ko]::bigint[])
    ->> 'status', 'data_error', 'a shape error is a data error');
select is((select count(*)::integer from market.stock_prices), 0, 'nothing stored after a shape error');

-- test: stores and reports
select is(market._store_bars(:p, '2026-01-05',
    jsonb_build_array(tests.eod_bar('2026-01-02', 60, 61, 59, 60.5), tests.eod_bar('2026-01-05', 60, 61, 59, 60.25)),
    array[:ko, :ko]::bigint[]) ->> 'rows_inserted', '2', 'two bars inserted');
select is((select max(adjusted_as_of) from market.stock_prices where asset_id = :ko), '2026-01-06'::date,
    'adjusted_as_of is the day before the payload arrived when that is later than its last bar');

-- test: a split recorded for a date after what the vendor reflected scales the vendor value
insert into market.corporate_actions (asset_id, action_date, action_type, split_numerator, split_denominator,
                                      adjustment_factor, payload_id)
values (:ko, '2026-01-08', 'split', 2, 1, 0.5, :p);
select market._store_bars(:p, '2026-01-06', jsonb_build_array(tests.eod_bar('2026-01-06', 60, 61, 59, 60)), array[:ko]::bigint[]);
select is((select adjusted_close from market.stock_prices where asset_id = :ko and trade_date = '2026-01-06'), 30::float8,
    'a bar fetched before a recorded split gets the split factor');
select market._store_bars(tests.land('eod', 'KO.US', '[]', null, '{}', '2026-01-09 12:00+00'), '2026-01-08',
    jsonb_build_array(tests.eod_bar('2026-01-07', 60, 61, 59, 60, 30)), array[:ko]::bigint[]);
select is((select adjusted_close from market.stock_prices where asset_id = :ko and trade_date = '2026-01-07'), 30::float8,
    'a bar fetched after the split date is taken as the vendor adjusted it');
select is((select needs_indicator_recompute from pipeline.asset_processing_state where asset_id = :ko), false,
    'appending bars flags nothing');

-- test: with an execution, its as_of (not the arrival time) says what the vendor reflected
insert into pipeline.process_executions (process_name, run_id, as_of) values ('test', 'r1', '2026-01-20 23:30+00')
returning execution_id as e \gset
select raw.land_response(:e, 'eod', 'KO.US', null, '{}', 200, '[]', '2026-02-15 10:00+00', 1, 5, 'test') as pe \gset
select market._store_bars(:pe, '2026-01-12', jsonb_build_array(tests.eod_bar('2026-01-12', 60, 61, 59, 60)), array[:ko]::bigint[]);
select is((select adjusted_as_of from market.stock_prices where asset_id = :ko and trade_date = '2026-01-12'),
    '2026-01-19'::date, 'adjusted_as_of is the day before the execution''s as_of');

select * from finish();
rollback;

-- market._store_bars: upsert, quarantine, recorded corporate actions applied, history-change flag,
-- the bulk day's date, pending corporate actions applied once the payload's business date reaches them.
begin;
select plan(12);

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

-- test: with a bar date (a bulk day), a bar of another date is quarantined
select market._store_bars(:pe, '2026-01-14', jsonb_build_array(tests.eod_bar('2026-01-13', 60, 61, 59, 60),
    tests.eod_bar('2026-01-14', 60, 61, 59, 60)), array[:ko, :ko]::bigint[], '2026-01-14') as rb \gset
select is((:'rb'::jsonb ->> 'rows_stored')::integer, 1, 'one bar of the day stored');
select is((select reason from market.price_quarantine where payload_id = :pe and trade_date = '2026-01-13'),
    'date other than the bulk day 2026-01-14', 'the other one quarantined');

-- test: a pending action is applied when a payload's business date reaches its date, not before
insert into market.corporate_actions (asset_id, action_date, action_type, split_numerator, split_denominator,
                                      payload_id, is_pending)
values (:ko, '2026-01-21', 'split', 3, 1, :p, true);
select market._store_bars(:pe, '2026-01-15', jsonb_build_array(tests.eod_bar('2026-01-15', 60, 61, 59, 60)),
    array[:ko]::bigint[]) ? 'actions_applied' as early \gset
select is(:'early'::boolean, false, 'a payload of a run on 2026-01-20 leaves the split of 2026-01-21 pending');
insert into pipeline.process_executions (process_name, run_id, as_of) values ('test', 'r2', '2026-01-21 23:30+00')
returning execution_id as e2 \gset
select raw.land_response(:e2, 'eod', 'KO.US', null, '{}', 200, '[]', '2026-01-21 23:40+00', 1, 5, 'test') as pe2 \gset
select market._store_bars(:pe2, '2026-01-21', jsonb_build_array(tests.eod_bar('2026-01-21', 20, 21, 19, 20)),
    array[:ko]::bigint[]) as rs \gset
select is((:'rs'::jsonb ->> 'actions_applied')::integer, 1, 'a payload of the run on 2026-01-21 applies it');

select * from finish();
rollback;

-- market._apply_due_actions: pending corporate actions applied once their date has come, once,
-- to the bars that do not reflect them; dividends priced by the previous close; flags.
begin;
select plan(12);

-- setup: KO.US (USD) and VOD.LSE (GBX) with bars from 2026-01-05 to 2026-01-30, none reflecting any action
select tests.add_sessions('US', '2026-01-05', '2026-01-30') as us \gset
select tests.add_sessions('LSE', '2026-01-05', '2026-01-30') as lse \gset
select tests.create_asset('KO.US') as ko \gset
select tests.create_asset('VOD.LSE') as vod \gset
update market.assets set currency = 'GBX' where asset_id = :vod;
select tests.add_bars(:ko, '2026-01-05', '2026-01-30', 60) as ko_bars \gset
select tests.add_bars(:vod, '2026-01-05', '2026-01-30', 200) as vod_bars \gset
select tests.land('splits', 'KO.US', '[]') as p \gset
create temp table before_bars as select * from market.stock_prices;
insert into market.corporate_actions (asset_id, action_date, action_type, split_numerator, split_denominator,
                                      dividend_value, dividend_unadjusted_value, currency, payload_id, is_pending)
values (:ko, '2026-01-20', 'split', 2, 1, null, null, null, :p, true),
       (:ko, '2026-01-27', 'dividend', null, null, 400, 400, 'USD', :p, true),
       (:vod, '2026-01-15', 'dividend', null, null, 0.5, null, 'GBP', :p, true),
       (:vod, '2026-02-10', 'split', 1, 10, null, null, null, :p, true);

-- test: nothing is due before its date
select is(market._apply_due_actions(array[:ko, :vod]::bigint[], '2026-01-14'),
    '{"actions_applied": 0, "bars_adjusted": 0, "notes": []}'::jsonb, 'on 2026-01-14 nothing is due');
select is((select count(*)::integer from market.stock_prices s join before_bars b using (asset_id, trade_date)
           where s.adjusted_close <> b.adjusted_close), 0, 'and no bar changed');

-- test: only the listed assets' due actions are applied
select is(market._apply_due_actions(array[:ko]::bigint[], '2026-01-30'),
    '{"actions_applied": 2, "bars_adjusted": 11, "notes": ["dividend 2026-01-27 not below the previous close"]}'::jsonb,
    'on 2026-01-30 the split and the dividend of KO.US are due; a dividend above the close is named, not applied');
select is((select count(*)::integer from market.stock_prices s join before_bars b using (asset_id, trade_date)
           where s.asset_id = :ko and s.trade_date < '2026-01-20' and s.adjusted_close = b.adjusted_close / 2), 11,
    'the 11 bars before the split are halved');
select results_eq(
    format('select action_type, is_pending, adjustment_factor, bars_adjusted from market.corporate_actions
            where asset_id = %s order by action_date', :ko),
    $$values ('split'::text, false, 0.5::float8, 11), ('dividend', false, null, 0)$$,
    'both are recorded as applied, the dividend without a factor'
);
select is((select needs_indicator_recompute from pipeline.asset_processing_state where asset_id = :ko), true,
    'the asset whose bars changed is flagged');
select is((select count(*)::integer from market.corporate_actions where asset_id = :vod and is_pending), 2,
    'VOD.LSE, not listed, keeps its pending actions');

-- test: a GBP dividend of a GBX asset is priced in pence; a later action stays pending
select close as vod_prev from market.stock_prices where asset_id = :vod and trade_date = '2026-01-14' \gset
select is(market._apply_due_actions(array[:vod, :ko]::bigint[], '2026-01-30') - 'notes',
    '{"actions_applied": 1, "bars_adjusted": 8}'::jsonb, 'the dividend of 2026-01-15 adjusts the 8 bars before it');
select is((select adjustment_factor from market.corporate_actions where asset_id = :vod and action_type = 'dividend'),
    1 - 50 / :vod_prev::float8, '0.5 GBP is 50 pence against the previous close');
select is((select is_pending from market.corporate_actions where asset_id = :vod and action_type = 'split'), true,
    'the split of 2026-02-10 still waits');

-- test: idempotent: an applied action is never applied again
select tests.prices_digest(:ko) as d1 \gset
select is(market._apply_due_actions(array[:ko, :vod]::bigint[], '2026-01-30') ->> 'actions_applied', '0',
    'a second call applies nothing');
select is(tests.prices_digest(:ko), :'d1', 'and changes no bar');

select * from finish();
rollback;

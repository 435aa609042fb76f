-- pipeline.request_reprocess: components, patterns, flags, clear errors.
begin;
select plan(8);

-- setup: three US assets, one skipped
select tests.add_assets('US', 3, 'R');
select tests.mark_loaded('R%.US', '2026-01-08', '2026-01-08 23:00+00');
update pipeline.asset_processing_state s
   set is_skipped = true, skip_reason = '5 consecutive failures', status = 'skipped', consecutive_failures = 5
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'R1.US';

-- test: a pattern and a component set the flags and clear the skip
select is(pipeline.request_reprocess('R1.US', 'prices', '2024-01-01', '2026-01-10 10:00+00'), 1, 'one asset matched');
select row_eq(
    $$select s.reprocess_prices, s.reprocess_prices_from, s.reprocess_fundamentals, s.is_skipped, s.skip_reason,
             s.consecutive_failures, s.status, s.reprocess_requested_at
      from pipeline.asset_processing_state s join market.assets a using (asset_id) where a.ticker = 'R1.US'$$,
    row(true, '2024-01-01'::date, false, false, null::text, 0, 'active'::text, '2026-01-10 10:00+00'::timestamptz),
    'prices flag with its date; skip, counter and reason cleared'
);
select is(pipeline.request_reprocess('R%.US', 'indicators', null, '2026-01-10 10:00+00'), 3, 'a LIKE pattern matches many');
select is((select count(*)::integer from pipeline.asset_processing_state
           where reprocess_indicators and needs_indicator_recompute), 3, 'indicator flags are set');
select is(pipeline.request_reprocess('R2.US', 'all', null, '2026-01-10 10:00+00'), 1, 'all');
select row_eq(
    $$select s.reprocess_prices, s.reprocess_fundamentals, s.reprocess_indicators
      from pipeline.asset_processing_state s join market.assets a using (asset_id) where a.ticker = 'R2.US'$$,
    row(true, true, true), 'all sets every flag'
);

-- test: clear errors
select throws_ok($$select pipeline.request_reprocess('R1.US', 'news')$$, '22023',
                 'request_reprocess: unknown component news (fundamentals, prices, indicators, all)',
                 'an unknown component is named');
select throws_ok($$select pipeline.request_reprocess('NOPE%', 'prices')$$, '22023',
                 'request_reprocess: no asset matches the ticker pattern NOPE%', 'a pattern matching nothing is an error');

select * from finish();
rollback;

-- pipeline.request_reprocess: components, patterns, flags, clear errors; a pattern that matches
-- everything must say so (p_all).
begin;
select plan(14);

-- setup: three US assets, one skipped; two on LSE and one on XETRA
select tests.add_assets('US', 3, 'R');
select tests.add_assets('LSE', 2, 'L');
select tests.add_assets('XETRA', 1, 'X');
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
select is(pipeline.request_reprocess('R%.US', 'indicators', null, '2026-01-10 10:00+00'), 3, 'a LIKE pattern matches many (every asset of one exchange)');
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

-- test: a pattern that matches every active asset, or more than the largest exchange has, is
-- refused unless p_all says so
select throws_ok($$select pipeline.request_reprocess('%', 'fundamentals')$$, '22023',
                 'request_reprocess: the ticker pattern ''%'' matches 6 of 6 active assets (every one); '
                 'pass p_all => true to mean it',
                 '% (every asset) is refused');
select throws_ok($$select pipeline.request_reprocess('_%', 'fundamentals')$$, '22023',
                 'request_reprocess: the ticker pattern ''_%'' matches 6 of 6 active assets (every one); '
                 'pass p_all => true to mean it',
                 '_% (every asset) is refused');
select throws_ok($$select pipeline.request_reprocess('%S%', 'fundamentals')$$, '22023',
                 'request_reprocess: the ticker pattern ''%S%'' matches 5 of 6 active assets '
                 '(more than the largest exchange has, 3); pass p_all => true to mean it',
                 'a pattern matching more than one exchange''s worth is refused');
select is((select count(*)::integer from pipeline.asset_processing_state where reprocess_fundamentals), 1,
          'a refused pattern flags nothing');
select is(pipeline.request_reprocess('%', 'fundamentals', p_now => '2026-01-10 11:00+00', p_all => true), 6,
          'p_all => true: every asset');
select is((select count(*)::integer from pipeline.asset_processing_state where reprocess_fundamentals), 6,
          'every asset is flagged');

select * from finish();
rollback;

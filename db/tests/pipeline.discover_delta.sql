-- pipeline.discover_delta: calendar-aware planning, bulk vs per-ticker, quota cap, fairness,
-- priorities, gaps, parameters, fundamentals schedule, idempotence.
begin;
select plan(42);

-- setup: calendars for January 2026 (US closed 2026-01-19), five loaded assets on US and LSE
select tests.add_sessions('US', '2026-01-01', '2026-01-31', '{2026-01-19}');
select tests.add_sessions('LSE', '2026-01-01', '2026-01-31');
select tests.add_sessions('PA', '2026-01-01', '2026-01-31');
select tests.add_sessions('XETRA', '2026-01-01', '2026-01-31');
select tests.add_sessions('MC', '2026-01-01', '2026-01-31');
select tests.add_sessions('SW', '2026-01-01', '2026-01-31');
select tests.add_assets('US', 5, 'U');
select tests.add_assets('LSE', 5, 'L');
select tests.mark_loaded('_%.US', '2026-01-09', '2026-01-09 23:00+00');
select tests.mark_loaded('_%.LSE', '2026-01-09', '2026-01-09 23:00+00');

-- test: weekend and Monday after a Friday
select is(pipeline.discover_delta(tests.new_execution('2026-01-10 12:00+00', '{}', 'sat'), '2026-01-10 12:00+00')
          ->> 'planned_items', '0', 'Saturday after a complete Friday: nothing to do');
select is(pipeline.discover_delta(tests.new_execution('2026-01-12 12:00+00', '{}', 'mon-am'), '2026-01-12 12:00+00')
          ->> 'planned_items', '0', 'Monday before the close: nothing to do');
select is(pipeline.discover_delta(tests.new_execution('2026-01-12 22:00+00', '{}', 'mon-pm'), '2026-01-12 22:00+00')
          ->> 'planned_items', '10', 'Monday after publication: every asset of both exchanges is one session behind');
select results_eq(
    $$select kind, reason, from_date, to_date, planned_cost from pipeline.work_items w
      join pipeline.process_executions x using (execution_id) where x.run_id = 'mon-pm' limit 1$$,
    $$values ('prices', 'fresh', '2026-01-09'::date, '2026-01-12'::date, 1)$$,
    'one prices item per asset from the watermark (one overlapping bar) to the expected session, cost 1'
);

-- test: idempotent (a retried Airflow task)
select is(
    pipeline.discover_delta((select execution_id from pipeline.process_executions where run_id = 'mon-pm')),
    (select plan_summary from pipeline.process_executions where run_id = 'mon-pm'),
    'a second call returns the stored summary'
);
select is((select count(*)::integer from pipeline.work_items), 10, 'and plans nothing twice');

-- test: work open in another running execution is not planned again
select is(pipeline.discover_delta(tests.new_execution('2026-01-12 22:00+00', '{}', 'mon-pm2'), '2026-01-12 22:00+00')
          ->> 'planned_items', '0', 'assets with open items of a running execution are not planned twice');
select is(
    (select (plan_summary ->> 'remaining_quota')::integer from pipeline.process_executions where run_id = 'mon-pm2'),
    100000 - 2000 - 10, 'the open items of the other run are reserved from the quota'
);
delete from pipeline.work_items;

-- test: a holiday on one exchange only
update pipeline.asset_processing_state set prices_last_date = '2026-01-16';
select is(pipeline.discover_delta(tests.new_execution('2026-01-19 23:00+00', '{}', 'mlk'), '2026-01-19 23:00+00')
          -> 'by_exchange', '{"LSE": {"cost": 5, "items": 5}}'::jsonb,
          'MLK day: LSE assets are behind, US assets are not');
delete from pipeline.work_items;

-- test: more than one session behind -> per-ticker prices from the watermark
update pipeline.asset_processing_state s set prices_last_date = '2026-01-07'
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'U1.US';
select is(pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"tickers": ["U1.US"]}', 'behind2'),
                                  '2026-01-09 22:00+00') -> 'by_kind',
          '{"prices": {"cost": 1, "items": 1}}'::jsonb, 'the tickers parameter restricts the plan');
select row_eq(
    $$select from_date, to_date from pipeline.work_items w join market.assets a using (asset_id) where a.ticker = 'U1.US'$$,
    row('2026-01-07'::date, '2026-01-09'::date), 'two sessions behind: one call from the watermark'
);
delete from pipeline.work_items;

-- setup: Euronext Paris with exactly 100 assets one session behind
select tests.add_assets('PA', 100, 'P');
select tests.mark_loaded('%.PA', '2026-01-08', '2026-01-08 23:00+00');

-- test: the bulk endpoint is chosen exactly when cheaper
select is(pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"exchanges": ["PA"]}', 'pa100'),
                                  '2026-01-09 22:00+00') -> 'by_kind',
          '{"prices": {"cost": 100, "items": 100}}'::jsonb, '100 assets one behind: 100 per-ticker calls (bulk is not cheaper)');
delete from pipeline.work_items;
select tests.add_assets('PA', 1, 'Q');
select tests.mark_loaded('Q%.PA', '2026-01-08', '2026-01-08 23:00+00');
select tests.add_assets('PA', 1, 'R');
select tests.mark_loaded('R%.PA', '2026-01-06', '2026-01-06 23:00+00');
select is(pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"exchanges": ["PA"]}', 'pa101'),
                                  '2026-01-09 22:00+00') -> 'by_kind',
          '{"bulk_prices": {"cost": 100, "items": 1}, "prices": {"cost": 1, "items": 1}}'::jsonb,
          '101 assets one behind: one bulk call; the asset three sessions behind gets its own call');
select results_eq(
    $$select w.kind, w.exchange_code, w.from_date, w.to_date, w.priority::integer from pipeline.work_items w
      join pipeline.process_executions x using (execution_id) where x.run_id = 'pa101' order by w.claim_order$$,
    $$values ('bulk_prices', 'PA', '2026-01-09'::date, '2026-01-09'::date, 0),
             ('prices', 'PA', '2026-01-06'::date, '2026-01-09'::date, 1)$$,
    'the bulk item is for the expected day and comes first'
);
delete from pipeline.work_items;
update pipeline.asset_processing_state s set prices_last_date = '2026-01-08'
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'R1.PA';
select is(pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"exchanges": ["PA"]}', 'pa-only-bulk'),
                                  '2026-01-09 22:00+00') -> 'by_kind',
          '{"bulk_prices": {"cost": 100, "items": 1}}'::jsonb, 'all 102 one behind: the bulk call alone');
delete from pipeline.work_items;
update pipeline.asset_processing_state s set fundamentals_fetched_at = '2025-11-01 00:00+00'
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'P7.PA';
select is(pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"exchanges": ["PA"]}', 'pa-bulk-fund'),
                                  '2026-01-09 22:00+00') -> 'by_kind',
          '{"bulk_prices": {"cost": 100, "items": 1}, "fundamentals": {"cost": 10, "items": 1}}'::jsonb,
          'an asset served by the bulk call still gets its due fundamentals');
delete from pipeline.work_items;

-- setup: XETRA, quota of 1,000 with a buffer of 100 and 850 calls spent today: 50 remain
select tests.add_assets('XETRA', 10, 'X');
select tests.mark_loaded('X%.XETRA', '2026-01-08', '2026-01-08 23:00+00');
select tests.add_assets('XETRA', 5, 'NEW');
update pipeline.settings set daily_quota = 1000, quota_buffer = 100;
insert into pipeline.api_calls (endpoint, cost, called_at) values
('fundamentals', 10, '2026-01-08 23:59+00'),
('eod-bulk-last-day', 800, '2026-01-09 00:00+00'),
('eod', 50, '2026-01-09 21:59+00');

-- test: the quota caps the plan exactly (never one call over)
select is(pipeline.get_remaining_quota('2026-01-09 22:00+00'), 50, 'remaining = 1000 - 850 today - 100 buffer');
select is(pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"exchanges": ["XETRA"]}', 'quota'),
                                  '2026-01-09 22:00+00') - 'execution_id' - 'as_of' - 'expected_sessions',
          '{"remaining_quota": 50, "planned_items": 13, "planned_cost": 43, "planned_tickers": 13,
            "deferred_items": 2, "deferred_cost": 22,
            "by_kind": {"prices": {"items": 10, "cost": 10}, "initial_load": {"items": 3, "cost": 33}},
            "by_exchange": {"XETRA": {"items": 13, "cost": 43}}}'::jsonb,
          'ten fresh calls and three initial loads fit in 50; the next load (11) would exceed it');
select is(
    (select max(claim_order) filter (where kind = 'prices') < min(claim_order) filter (where kind = 'initial_load')
     from pipeline.work_items),
    true, 'keeping loaded tickers fresh comes before new listings'
);
select is(pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"exchanges": ["XETRA"]}', 'quota2'),
                                  '2026-01-09 22:00+00') -> 'remaining_quota',
          '7'::jsonb, 'a second run only gets what the first run did not reserve');
select is((select count(*)::integer from pipeline.work_items w join pipeline.process_executions x using (execution_id)
           where x.run_id = 'quota2'), 0, 'and 7 calls do not fit one 11-call initial load');
delete from pipeline.work_items;
delete from pipeline.api_calls;

-- setup: two exchanges, 30 assets each one session behind, 20 calls left
select tests.add_assets('MC', 30, 'M');
select tests.add_assets('SW', 30, 'S');
select tests.mark_loaded('%.MC', '2026-01-08', '2026-01-08 23:00+00');
select tests.mark_loaded('%.SW', '2026-01-08', '2026-01-08 23:00+00');
update pipeline.asset_processing_state s set prices_last_date = '2026-01-02'
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'M30.MC';
update pipeline.settings set daily_quota = 1000, quota_buffer = 980;

-- test: fairness across exchanges and oldest waiting first
select is(pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{"exchanges": ["MC", "SW"]}', 'fair'),
                                  '2026-01-09 22:00+00') -> 'by_exchange',
          '{"MC": {"items": 10, "cost": 10}, "SW": {"items": 10, "cost": 10}}'::jsonb,
          '20 calls are shared evenly between the two exchanges');
select is((select a.ticker from pipeline.work_items w join market.assets a using (asset_id)
           where w.exchange_code = 'MC' order by w.claim_order limit 1), 'M30.MC',
          'the asset waiting longest comes first on its exchange');
select is((select array_agg(w.exchange_code order by w.claim_order) from pipeline.work_items w
           where w.claim_order <= 4), array['MC', 'SW', 'MC', 'SW'], 'claims alternate between exchanges');
delete from pipeline.work_items;
update pipeline.settings set daily_quota = 100000, quota_buffer = 2000;

-- setup: an LSE asset with a gap in its stored history, up to date at the top
select tests.add_assets('LSE', 1, 'G');
select tests.add_bars((select asset_id from market.assets where ticker = 'G1.LSE'), '2026-01-02', '2026-01-16');
delete from market.stock_prices where trade_date in ('2026-01-07', '2026-01-08')
   and asset_id = (select asset_id from market.assets where ticker = 'G1.LSE');
select tests.mark_loaded('G1.LSE', '2026-01-16', '2026-01-16 23:00+00');

-- test: gaps found and planned as a backfill
select is(pipeline.detect_gaps(array[(select asset_id from market.assets where ticker = 'G1.LSE')]), 1,
          'detect_gaps finds the gap');
select is(pipeline.discover_delta(tests.new_execution('2026-01-16 22:00+00', '{"tickers": ["G1.LSE"]}', 'gap'),
                                  '2026-01-16 22:00+00') -> 'by_kind',
          '{"backfill": {"items": 1, "cost": 1}}'::jsonb, 'the gap is planned as one backfill call');
select row_eq(
    $$select reason, from_date, to_date, priority::integer from pipeline.work_items$$,
    row('gap'::text, '2026-01-07'::date, '2026-01-16'::date, 2), 'from the first missing session'
);
delete from pipeline.work_items;

-- test: skipped, backing-off and inactive assets are not planned
update pipeline.asset_processing_state s set is_skipped = true, skip_reason = 'test', status = 'skipped'
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'L1.LSE';
update pipeline.asset_processing_state s set next_attempt_at = '2026-01-21 00:00+00', status = 'failing'
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'L2.LSE';
update market.assets set is_active = false, delisted_on = '2026-01-05' where ticker = 'L3.LSE';
select is(
    pipeline.discover_delta(tests.new_execution('2026-01-20 22:00+00', '{"exchanges": ["LSE"]}', 'skip'),
                            '2026-01-20 22:00+00') -> 'planned_items',
    '3'::jsonb, 'of six LSE assets, the skipped, backing-off and inactive ones are left out'
);
select is(
    (select array_agg(a.ticker order by a.ticker) from pipeline.work_items w join market.assets a using (asset_id)),
    array['G1.LSE', 'L4.LSE', 'L5.LSE'], 'the planned ones are the healthy ones'
);
delete from pipeline.work_items;

-- test: after its backoff the asset is planned again
select is(
    pipeline.discover_delta(tests.new_execution('2026-01-20 22:00+00', '{"tickers": ["L2.LSE"]}', 'backoff-over'),
                            '2026-01-21 00:00+00') -> 'planned_items',
    '1'::jsonb, 'once next_attempt_at has passed the asset is planned'
);
delete from pipeline.work_items;

-- test: force reprocesses prices from history_start and fundamentals; from_date plans backfills
select is(
    pipeline.discover_delta(tests.new_execution('2026-01-16 22:00+00', '{"tickers": ["U1.US"], "force": true}', 'force'),
                            '2026-01-16 22:00+00') -> 'by_kind',
    '{"backfill": {"items": 1, "cost": 1}, "fundamentals": {"items": 1, "cost": 10}}'::jsonb,
    'force: a full price reprocess and a fundamentals refresh'
);
select is(
    (select array_agg(w.reason || ':' || coalesce(w.from_date::text, '-') order by w.kind) from pipeline.work_items w),
    array['reprocess:2000-01-01', 'reprocess:-'], 'both marked reprocess, prices from history_start'
);
delete from pipeline.work_items;
select is(
    pipeline.discover_delta(tests.new_execution('2026-01-16 22:00+00',
        '{"tickers": ["U2.US"], "from_date": "2015-06-01", "components": ["prices"]}', 'from'),
        '2026-01-16 22:00+00') -> 'by_kind',
    '{"backfill": {"items": 1, "cost": 1}}'::jsonb, 'from_date before the first bar: one backfill call'
);
select row_eq($$select reason, from_date, to_date from pipeline.work_items$$,
              row('backfill'::text, '2015-06-01'::date, '2026-01-16'::date), 'from the requested date');
select row_eq($$select s.history_from, s.history_owed_from from pipeline.asset_processing_state s
                join market.assets a using (asset_id) where a.ticker = 'U2.US'$$,
              row('2000-01-01'::date, '2015-06-01'::date), 'the requested history is owed until answered');
delete from pipeline.work_items;

-- test: reprocess requests come after keeping fresh and before new listings
select pipeline.request_reprocess('U3.US', 'prices', '2025-01-01', '2026-01-16 12:00+00');
select tests.add_assets('US', 1, 'Z');
update pipeline.asset_processing_state s set prices_last_date = '2026-01-15'
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'U4.US';
select pipeline.discover_delta(tests.new_execution('2026-01-16 22:00+00', '{"exchanges": ["US"]}', 'prio'),
                               '2026-01-16 22:00+00');
select results_eq(
    $$select a.ticker, w.kind, w.reason from pipeline.work_items w join market.assets a using (asset_id)
      order by w.claim_order$$,
    $$values ('U1.US', 'prices', 'fresh'), ('U4.US', 'prices', 'fresh'), ('U3.US', 'backfill', 'reprocess'),
             ('U2.US', 'backfill', 'backfill'), ('Z1.US', 'initial_load', 'new_listing')$$,
    'fresh first, then the reprocess request and the history still owed, then the new listing'
);
delete from pipeline.work_items;

-- setup: 300 assets whose fundamentals are 20 days old (refresh every 30 days)
select tests.add_assets('SW', 300, 'FUND');
select tests.mark_loaded('FUND%.SW', '2026-01-09', '2025-12-30 12:00+00');
update pipeline.asset_processing_state s set fundamentals_fetched_at = '2026-01-30 12:00+00'
  from market.assets a where a.asset_id = s.asset_id and a.ticker like 'S%.SW';

-- test: fundamentals fall due spread over days, all of them by the interval
select ok(
    (pipeline.discover_delta(tests.new_execution('2026-01-19 20:00+00', '{"exchanges": ["SW"]}', 'fund1'),
                             '2026-01-19 20:00+00') -> 'by_kind' -> 'fundamentals' ->> 'items')::integer between 1 and 40,
    'after 20 days only a slice of the assets is due (spread by ticker)'
);
delete from pipeline.work_items;
select is(
    pipeline.discover_delta(tests.new_execution('2026-01-31 12:00+00', '{"exchanges": ["SW"], "components": ["fundamentals"]}',
                                                'fund-sat'), '2026-01-31 12:00+00') -> 'planned_items',
    '0'::jsonb, 'on a Saturday no fundamentals fall due, however old'
);
select is(
    pipeline.discover_delta(tests.new_execution('2026-01-30 20:00+00', '{"exchanges": ["SW"], "components": ["fundamentals"]}',
                                                'fund2'), '2026-01-30 20:00+00') -> 'by_kind',
    '{"fundamentals": {"items": 300, "cost": 3000}}'::jsonb, 'after the full interval every asset is due'
);

-- test: force clears the backoff and the skip of what it selects (and of nothing else)
update pipeline.asset_processing_state s set consecutive_failures = 5, is_skipped = true, skip_reason = 'limit',
       status = 'skipped', next_attempt_at = null
  from market.assets a where a.asset_id = s.asset_id and a.ticker in ('U1.US', 'U4.US');
select is(
    pipeline.discover_delta(tests.new_execution('2026-01-19 22:00+00', '{"tickers": ["U1.US"], "force": true}', 'force2'),
                            '2026-01-19 22:00+00') -> 'planned_tickers',
    '1'::jsonb, 'the skipped ticker forced is planned'
);
select results_eq(
    $$select a.ticker, s.is_skipped, s.consecutive_failures from pipeline.asset_processing_state s
      join market.assets a using (asset_id) where a.ticker in ('U1.US', 'U4.US') order by 1$$,
    $$values ('U1.US'::text, false, 0), ('U4.US', true, 5)$$,
    'its skip and counter are cleared; the other skipped ticker keeps its own'
);

-- test: a from_date on a never-loaded asset is where its history starts
select tests.add_assets('US', 1, 'FD');
select pipeline.discover_delta(tests.new_execution('2026-01-19 22:00+00', '{"tickers": ["FD1.US"], "from_date": "2024-11-01"}',
                                                   'fd'), '2026-01-19 22:00+00') is not null;
select row_eq($$select w.kind, w.from_date, s.history_from, s.history_owed_from from pipeline.work_items w
                join pipeline.process_executions x using (execution_id)
                join pipeline.asset_processing_state s on s.asset_id = w.asset_id where x.run_id = 'fd'$$,
              row('initial_load'::text, '2024-11-01'::date, '2024-11-01'::date, '2024-11-01'::date),
              'an initial load from the requested date, owed from there');

select * from finish();
rollback;

-- pipeline.list_plan_candidates: eligible assets with something to do, with the planner's inputs.
begin;
select plan(5);

-- setup: four US assets, all loaded up to the expected session but the first
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.add_assets('US', 4, 'L');
select tests.mark_loaded('L%.US', '2026-01-09', '2026-01-09 23:00+00');
update pipeline.asset_processing_state s set prices_last_date = '2026-01-08'
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'L1.US';
update pipeline.asset_processing_state s set fundamentals_fetched_at = '2026-01-09 23:00+00'
  from market.assets a where a.asset_id = s.asset_id;
update pipeline.asset_processing_state s set is_skipped = true, skip_reason = 'test'
  from market.assets a where a.asset_id = s.asset_id and a.ticker = 'L2.US';
create temp table args as select
    '2026-01-09 22:00+00'::timestamptz as now_at, array['US'] as ex, array['2026-01-09'::date] as expected,
    array['2026-01-08'::date] as previous, array[false] as yields;

-- test: only the asset behind is a candidate (the others are fresh or skipped)
select is((select array_agg(c.ticker) from args, pipeline.list_plan_candidates(
              args.now_at, args.now_at, '30 days', null, false, array['prices', 'fundamentals'], false,
              args.ex, args.expected, args.previous, args.yields) as c),
          array['L1.US'], 'the asset behind its session');
select is((select row(c.expected, c.previous, c.quotes_yields, c.is_fundamentals_due)::text
           from args, pipeline.list_plan_candidates(
              args.now_at, args.now_at, '30 days', null, false, array['prices', 'fundamentals'], false,
              args.ex, args.expected, args.previous, args.yields) as c),
          '(2026-01-09,2026-01-08,f,f)', 'with its exchange''s sessions and whether fundamentals are due');
-- test: force makes every selected eligible asset a candidate; the skipped one stays out
select is((select count(*)::integer from args, pipeline.list_plan_candidates(
              args.now_at, args.now_at, '30 days', null, true, array['prices'], false,
              args.ex, args.expected, args.previous, args.yields) as c), 3, 'forced: all but the skipped');
-- test: the selection of tickers
select is((select count(*)::integer from args, pipeline.list_plan_candidates(
              args.now_at, args.now_at, '30 days', array['L3.US'], true, array['prices'], false,
              args.ex, args.expected, args.previous, args.yields) as c), 1, 'only the selected tickers');
-- test: corporate actions asked for make every eligible asset a candidate
select is((select count(*)::integer from args, pipeline.list_plan_candidates(
              args.now_at, args.now_at, '30 days', null, false, array['corporate_actions'], false,
              args.ex, args.expected, args.previous, args.yields) as c), 3, 'corporate actions asked for');

select * from finish();
rollback;

-- pipeline.claim_work: claim order, limits, fresh tokens, expired leases, stopped runs, the index.
begin;
select plan(17);

-- setup: US calendar, 6 loaded assets one session behind, one execution planned
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.add_assets('US', 6, 'C');
select tests.mark_loaded('C%.US', '2026-01-08', '2026-01-08 23:00+00');
select pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{}', 'c'), '2026-01-09 22:00+00');
create temp table exec as select execution_id from pipeline.process_executions where run_id = 'c';

-- test: claims hand out items in claim order with fresh leases
create temp table c1 as
select * from pipeline.claim_work((select execution_id from exec), 'w1', 4, '5 minutes', '2026-01-09 22:01+00');
select is((select count(*)::integer from c1), 4, 'a claim returns at most p_limit items');
select is(
    (select array_agg(w.claim_order order by w.claim_order) from c1 join pipeline.work_items w using (work_item_id)),
    array[1, 2, 3, 4], 'the first items in claim order'
);
select is((select count(distinct lease_token)::integer from c1 where lease_token is not null), 4, 'each with its own token');
select is((select min(attempt) from c1), 1, 'first attempt');
select is(
    (select array_agg(distinct w.status || '/' || w.claimed_by || '/' || w.lease_expires_at::text)
     from c1 join pipeline.work_items w using (work_item_id)),
    array['claimed/w1/2026-01-09 22:06:00+00'], 'claimed by w1 until now + lease'
);
select is((select count(*)::integer from c1 where ticker like 'C%.US' and kind = 'prices' and planned_cost = 1),
          4, 'ticker, kind and cost are returned');
select is((select requests from c1 order by work_item_id limit 1),
          jsonb_build_array(jsonb_build_object(
              'endpoint', 'eod', 'code', (select ticker from c1 order by work_item_id limit 1),
              'params', jsonb_build_object('from', '2026-01-08', 'to', '2026-01-09', 'period', 'd', 'order', 'a'),
              'cost', 1)),
          'each item comes with its requests (pipeline.work_kind_requests), dates filled in, priced');

-- test: a second claim gets the rest, never a claimed item
create temp table c2 as
select * from pipeline.claim_work((select execution_id from exec), 'w2', 10, '5 minutes', '2026-01-09 22:02+00');
select is((select count(*)::integer from c2), 2, 'the remaining two items');
select is((select count(*)::integer from c1 join c2 using (work_item_id)), 0, 'no item is handed out twice');
select is((select count(*)::integer from pipeline.claim_work((select execution_id from exec), 'w3', 10, '5 minutes',
                                                             '2026-01-09 22:03+00')), 0, 'nothing left to claim');

-- test: an expired lease makes the item claimable again with a new token
create temp table c3 as
select * from pipeline.claim_work((select execution_id from exec), 'w3', 1, '5 minutes', '2026-01-09 22:06:01+00');
select is((select work_item_id from c3), (select min(work_item_id) from c1), 'after expiry the first item comes back');
select isnt((select lease_token from c3), (select lease_token from c1 where work_item_id = (select work_item_id from c3)),
            'with a new token');
select is((select attempt from c3), 2, 'as the second attempt');

-- test: a stopped or finished execution hands out nothing
update pipeline.process_executions set claiming_stopped_at = '2026-01-09 22:07+00', stop_reason = 'quota: test'
 where execution_id = (select execution_id from exec);
select is((select count(*)::integer from pipeline.claim_work((select execution_id from exec), 'w4', 10, '5 minutes',
                                                             '2026-01-09 23:00+00')), 0, 'a stopped execution hands out nothing');

-- test: arguments are checked
select throws_ok($$select * from pipeline.claim_work(1, 'w', 0, '1 minute')$$, '22023', null, 'p_limit 0 is rejected');
select throws_ok($$select * from pipeline.claim_work(1, 'w', 1, '0 seconds')$$, '22023', null,
                 'a non-positive lease is rejected');

-- test: the claim query uses the partial index
insert into pipeline.work_items (execution_id, kind, reason, asset_id, exchange_code, planned_cost, priority, claim_order,
                                 status, finished_at)
select (select execution_id from exec), 'prices', 'fresh', (select min(asset_id) from market.assets), 'US', 1, 1, 100 + g,
       case when g % 4 = 0 then 'done' else 'pending' end, case when g % 4 = 0 then now() end
from generate_series(1, 20000) as g;
analyze pipeline.work_items;
select ok(
    exists(
        select 1 from tests.explain_lines(format(
            $q$select w.work_item_id from pipeline.work_items as w
               where w.execution_id = %s and w.status = 'pending'
               order by w.claim_order limit 100 for update skip locked$q$, (select execution_id from exec)))
        as l where l like '%work_items_claim_idx%'
    ),
    'the claim reads the partial index work_items_claim_idx'
);

select * from finish();
rollback;

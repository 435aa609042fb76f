-- pipeline.get_work_cost: the cost of a work kind from its requests and the endpoints' costs;
-- a change of a cost is one row and the planner follows it.
begin;
select plan(9);

-- test: today's kinds and costs
select is(pipeline.get_work_cost('initial_load', false), 11, 'initial load: eod (1) + fundamentals (10)');
select is(pipeline.get_work_cost('initial_load', true), 1, 'initial load of a yield series: eod only');
select is(pipeline.get_work_cost('prices', false), 1, 'prices: one eod');
select is(pipeline.get_work_cost('corporate_actions', false), 2, 'corporate actions: splits + div');
select is(pipeline.get_work_cost('fundamentals', true), 0, 'no fundamentals step for a yield series');
select is(pipeline.get_work_cost('bulk_prices', false), 100, 'bulk: one eod-bulk-last-day');

-- test: one row changes the price of every kind asking that endpoint, and the plan
-- setup: one new US listing, planned at a fundamentals price of 7
update pipeline.endpoints set cost = 7 where endpoint = 'fundamentals';
select is(pipeline.get_work_cost('initial_load', false), 8, 'initial load follows the endpoint row (1 + 7)');
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.add_assets('US', 1, 'K');
select is(
    (pipeline.discover_delta(tests.new_execution('2026-01-09 22:00+00', '{}', 'k'), '2026-01-09 22:00+00')
     ->> 'planned_cost')::integer,
    8, 'the planner prices the initial load from the rows'
);
select is(
    (select c.requests -> 1 ->> 'cost' from pipeline.claim_work(
        (select execution_id from pipeline.process_executions where run_id = 'k'), 'w1', 1, '5 minutes',
        '2026-01-09 22:01+00') as c)::integer,
    7, 'the claimed fundamentals request carries the new price'
);

select * from finish();
rollback;

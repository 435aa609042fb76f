-- pipeline.start_execution: idempotent on (process, run id); validates dag_run.conf parameters.
begin;
select plan(14);

-- setup: two assets
select tests.add_assets('US', 2, 'E');

-- test: idempotent on (process_name, run_id)
select isnt(pipeline.start_execution('collect', 'manual__1', '2026-01-09 22:00+00', '{}'), null::bigint,
            'an execution id is returned');
select is(pipeline.start_execution('collect', 'manual__1', '2026-01-09 22:00+00', '{}'),
          (select execution_id from pipeline.process_executions where run_id = 'manual__1'),
          'the same process and run id return the same execution');
select is((select count(*)::integer from pipeline.process_executions), 1, 'one row only');
select isnt(pipeline.start_execution('indicators', 'manual__1', '2026-01-09 22:00+00', '{}'),
            (select execution_id from pipeline.process_executions where run_id = 'manual__1' and process_name = 'collect'),
            'another process with the same run id is another execution');
select row_eq(
    $$select status, as_of, parameters, finished_at from pipeline.process_executions
      where process_name = 'collect'$$,
    row('running'::text, '2026-01-09 22:00+00'::timestamptz, '{}'::jsonb, null::timestamptz), 'a running execution'
);

-- test: valid parameters are stored
select pipeline.start_execution(
    'collect', 'p', '2026-01-09 22:00+00',
    '{"tickers": ["E1.US"], "exchanges": ["US", "LSE"], "force": true, "from_date": "2020-01-31",
      "components": ["prices"]}'
);
select is(
    (select parameters from pipeline.process_executions where run_id = 'p'),
    '{"tickers": ["E1.US"], "exchanges": ["US", "LSE"], "force": true, "from_date": "2020-01-31",
      "components": ["prices"]}'::jsonb,
    'tickers, exchanges, force, from_date and components are accepted'
);

-- test: invalid parameters raise 22023 naming the culprit
select throws_ok($$select pipeline.start_execution('c', 'x1', now(), '{"tickers": ["E1.US", "NOPE.US", "E9.US"]}')$$,
                 '22023', 'start_execution: unknown ticker(s): "E9.US", "NOPE.US"', 'unknown tickers are named');
select throws_ok($$select pipeline.start_execution('c', 'x2', now(), '{"exchanges": ["US", "NYSE"]}')$$,
                 '22023', 'start_execution: unknown exchange(s): "NYSE"', 'unknown exchanges are named');
select throws_ok($$select pipeline.start_execution('c', 'x3', now(), '{"from_date": "2020-02-30"}')$$,
                 '22023', 'start_execution: parameter from_date is not an ISO date (YYYY-MM-DD): "2020-02-30"',
                 'an impossible date is named');
select throws_ok($$select pipeline.start_execution('c', 'x4', now(), '{"from_date": "31/01/2020"}')$$,
                 '22023', 'start_execution: parameter from_date is not an ISO date (YYYY-MM-DD): "31/01/2020"',
                 'a non-ISO date is named');
select throws_ok($$select pipeline.start_execution('c', 'x5', now(), '{"tickrs": [], "mode": "x", "force": true}')$$,
                 '22023',
                 'start_execution: unknown parameter(s): mode, tickrs (allowed: tickers, exchanges, force, from_date, components)',
                 'unknown keys are named');
select throws_ok($$select pipeline.start_execution('c', 'x6', now(), '{"force": "yes"}')$$,
                 '22023', null, 'force must be a boolean');
select throws_ok($$select pipeline.start_execution('c', 'x7', now(), '{"components": ["prices", "news"]}')$$,
                 '22023', null, 'unknown components are rejected');
select is((select count(*)::integer from pipeline.process_executions where run_id like 'x%'), 0,
          'a rejected run leaves no execution');

select * from finish();
rollback;

-- pipeline.start_execution: idempotent on (process, run id); validates dag_run.conf parameters,
-- names and dates; force needs a selection the operator made (or "all": true).
begin;
select plan(34);

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
                 'start_execution: unknown parameter(s): mode, tickrs (allowed: tickers, exchanges, force, all, from_date, components)',
                 'unknown keys are named');
select throws_ok($$select pipeline.start_execution('c', 'x6', now(), '{"force": "yes"}')$$,
                 '22023', null, 'force must be a boolean');
select throws_ok($$select pipeline.start_execution('c', 'x7', now(), '{"components": ["prices", "news"]}')$$,
                 '22023', null, 'unknown components are rejected');
-- test: empty or blank process names and run ids are refused, naming the parameter and the value
select throws_ok($$select pipeline.start_execution('', 'x10', now(), '{}')$$,
                 '22023', 'start_execution: process name (p_process_name) must not be empty or blank, got ''''',
                 'an empty process name is refused');
select throws_ok($$select pipeline.start_execution(E' \t', 'x11', now(), '{}')$$,
                 '22023', E'start_execution: process name (p_process_name) must not be empty or blank, got '' \t''',
                 'a blank process name is refused');
select throws_ok($$select pipeline.start_execution('c', '   ', now(), '{}')$$,
                 '22023', 'start_execution: run id (p_run_id) must not be empty or blank, got ''   ''',
                 'a blank run id is refused');

-- test: as_of must be a plausible business time: not in 2199, not before 1970
select throws_like($$select pipeline.start_execution('c', 'x12', '2199-01-01 00:00+00', '{}')$$,
                   'start_execution: as_of (p_as_of) 2199-01-01 00:00:00 UTC is in the future (more than a day after now, %',
                   'an as_of far in the future is refused, naming it');
select throws_like($$select pipeline.start_execution('c', 'x13', now() + interval '25 hours', '{}')$$,
                   'start_execution: as_of (p_as_of) % UTC is in the future (more than a day after now, % UTC)',
                   'an as_of more than a day ahead is refused');
select throws_ok($$select pipeline.start_execution('c', 'x14', '1969-12-31 23:00+00', '{}')$$,
                 '22023', 'start_execution: as_of (p_as_of) 1969-12-31 23:00:00 UTC is before 1970-01-01',
                 'an as_of before 1970 is refused');
select lives_ok($$select pipeline.start_execution('c', 'soon', now() + interval '12 hours', '{}')$$,
                'an as_of within a day of now is accepted (a scheduled run''s interval end)');

-- test: from_date between 1970-01-01 and the run's as_of date
select throws_ok($$select pipeline.start_execution('c', 'x15', '2026-01-09 22:00+00', '{"from_date": "0001-01-01"}')$$,
                 '22023', 'start_execution: parameter from_date "0001-01-01" is before 1970-01-01',
                 'from_date 0001-01-01 is refused');
select throws_ok($$select pipeline.start_execution('c', 'x16', '2026-01-09 22:00+00', '{"from_date": "9999-12-31"}')$$,
                 '22023', 'start_execution: parameter from_date "9999-12-31" is after the run''s as_of date 2026-01-09',
                 'from_date 9999-12-31 is refused');
select throws_ok($$select pipeline.start_execution('c', 'x17', '2026-01-09 22:00+00', '{"from_date": "2026-01-10"}')$$,
                 '22023', 'start_execution: parameter from_date "2026-01-10" is after the run''s as_of date 2026-01-09',
                 'from_date the day after the as_of date is refused');
select lives_ok($$select pipeline.start_execution('c', 'from-edges', '2026-01-09 22:00+00', '{"from_date": "1970-01-01"}'),
                       pipeline.start_execution('c', 'from-asof', '2026-01-09 22:00+00', '{"from_date": "2026-01-09"}')$$,
                'from_date 1970-01-01 and the as_of date itself are accepted');

-- test: force without a selection would re-fetch the whole universe: refused unless "all": true
select throws_ok($$select pipeline.start_execution('c', 'x18', now(), '{"force": true}')$$,
                 '22023',
                 'start_execution: parameter force without tickers or exchanges would re-fetch the whole universe; '
                 'select tickers or exchanges, or add "all": true to mean it',
                 '{"force": true} is refused');
select throws_ok($$select pipeline.start_execution('c', 'x19', now(), '{"force": true, "all": false, "from_date": "2020-01-02",
                                                                      "components": ["prices"]}')$$,
                 '22023', 'start_execution: parameter force without tickers or exchanges would re-fetch the whole universe; '
                 'select tickers or exchanges, or add "all": true to mean it',
                 'all false, a from_date or components are no selection');
select throws_ok($$select pipeline.start_execution('c', 'x20', now(), '{"force": true, "all": "yes"}')$$,
                 '22023', 'start_execution: parameter all must be true or false, got "yes"', 'all must be a boolean');
select lives_ok($$select pipeline.start_execution('c', 'f1', now(), '{"force": true, "tickers": ["E1.US"]}'),
                       pipeline.start_execution('c', 'f2', now(), '{"force": true, "exchanges": ["US"]}')$$,
                '{"force": true} with tickers or exchanges is accepted');
select lives_ok($$select pipeline.start_execution('c', 'f3', now(), '{"force": true, "all": true}')$$,
                '{"force": true, "all": true} is accepted');

-- test: the DAG's defaults (p_defaults) are stored under the run's parameters but are no selection
select throws_ok($$select pipeline.start_execution('c', 'x21', now(), '{"force": true}', '{"exchanges": ["US"]}')$$,
                 '22023', 'start_execution: parameter force without tickers or exchanges would re-fetch the whole universe; '
                 'select tickers or exchanges, or add "all": true to mean it',
                 '{"force": true} over the DAG''s default exchanges is refused');
select lives_ok($$select pipeline.start_execution('c', 'd1', now(), '{"force": true, "tickers": ["E1.US"]}',
                                                  '{"exchanges": ["US"]}'),
                       pipeline.start_execution('c', 'd2', now(), '{"force": true, "all": true}', '{"exchanges": ["US"]}'),
                       pipeline.start_execution('c', 'd3', now(), '{"exchanges": ["LSE"]}', '{"exchanges": ["US"]}'),
                       pipeline.start_execution('c', 'd4', now(), p_defaults => '{"exchanges": ["US"]}')$$,
                'with defaults: a selection, all, or no force is accepted');
select is((select jsonb_object_agg(run_id, parameters) from pipeline.process_executions where run_id like 'd%'),
          '{"d1": {"exchanges": ["US"], "tickers": ["E1.US"], "force": true},
            "d2": {"exchanges": ["US"], "force": true, "all": true},
            "d3": {"exchanges": ["LSE"]},
            "d4": {"exchanges": ["US"]}}'::jsonb,
          'stored: the defaults, overridden by the run''s parameters');
select throws_ok($$select pipeline.start_execution('c', 'x22', now(), '{}', '["US"]')$$,
                 '22023', 'start_execution: defaults (p_defaults) must be a JSON object, got array',
                 'defaults must be a JSON object');

select is((select count(*)::integer from pipeline.process_executions where run_id like 'x%'), 0,
          'a rejected run leaves no execution');

select * from finish();
rollback;

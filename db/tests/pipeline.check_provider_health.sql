-- pipeline.check_provider_health: the run's provider circuit.
begin;
select plan(7);

-- setup: an execution; ledger rows through raw.land_response
select tests.add_sessions('US', '2026-01-01', '2026-01-31');
select tests.new_execution('2026-01-09 22:00+00', '{}', 'p') as e \gset
create function pg_temp.attempt(p_execution bigint, p_ticker text, p_status integer, p_error text,
                                p_endpoint text default 'eod')
returns void language sql as $$
    select raw.land_response(p_execution, p_endpoint, p_ticker, 'US', '{}', p_status,
                             case when p_status = 200 then '[]' end, '2026-01-09 22:01+00', 0, 10, 'w', p_error)
$$;

-- test: one ticker's retries never open it
select pg_temp.attempt(:e, 'ONE.US', 503, 'HTTP 503: Service Unavailable') from generate_series(1, 12);
select is(pipeline.check_provider_health(:e, '2026-01-09 22:02+00'), null, 'twelve 503s of one ticker: closed');

-- test: failures spread over the codes, but too few of the attempts: closed
select pg_temp.attempt(:e, 'OK' || g || '.US', 200, null) from generate_series(1, 10) as g;
select pg_temp.attempt(:e, 'B' || g || '.US', 503, 'HTTP 503: Service Unavailable') from generate_series(1, 5) as g;
select is(pipeline.check_provider_health(:e, '2026-01-09 22:03+00'), null, 'half of the last attempts answered: closed');

-- test: most recent attempts fail for many codes: open, claiming stops with the reason
select pg_temp.attempt(:e, 'C' || g || '.US', null, 'ConnectionError: refused') from generate_series(1, 12) as g;
select matches(pipeline.check_provider_health(:e, '2026-01-09 22:04+00'),
               '^provider: eod failed for everyone: 1[6-9] of the last 20 attempts on [0-9]+ codes \(no_response\)$',
               'open, with the endpoint, the counts and the kind');
select row_eq(format('select claiming_stopped_at, stop_reason like %L from pipeline.process_executions where execution_id = %s',
                     'provider:%', :e),
              row('2026-01-09 22:04+00'::timestamptz, true), 'the run stops claiming');
select is((select count(*)::integer from pipeline.claim_work(:e, 'w', 5, '5 minutes', '2026-01-09 22:05+00')), 0,
          'nothing is claimed any more');
select matches(pipeline.check_provider_health(:e, '2026-01-09 22:06+00'), '^provider:', 'stays open (idempotent)');

-- test: the next run starts clean; a wrong base URL (404 pages that are not EODHD's) opens it too
select tests.new_execution('2026-01-10 22:00+00', '{}', 'p2') as e2 \gset
select pg_temp.attempt(:e2, 'D' || g || '.US', 404, 'HTTP 404: Not Found', 'fundamentals') from generate_series(1, 10) as g;
select matches(pipeline.check_provider_health(:e2, '2026-01-10 22:02+00'), '^provider: fundamentals .*\(foreign_404\)$',
               'a new run has its own window; foreign 404s open it');

select * from finish();
rollback;

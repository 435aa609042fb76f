-- raw.land_response: ledger row for every call, payload row for 200s, non-JSON bodies, no token.
begin;
select plan(16);

-- setup
select tests.create_asset('AAPL.US') as aapl \gset

-- test: a 200 JSON response lands a payload linked to its ledger row with the true cost
select raw.land_response(null, 'eod', 'AAPL.US', null, '{"from": "2026-01-02", "fmt": "json"}', 200,
    '[{"date": "2026-01-02", "open": 1, "high": 1, "low": 1, "close": 1, "adjusted_close": 1, "volume": 0}]',
    '2026-03-02 22:00:01+00', 1, 1000, 'w1') as ok_id \gset
select isnt(:ok_id::bigint, null::bigint, 'a 200 response returns its payload_id');
select is((select jsonb_typeof(body) from raw.eodhd_payloads where payload_id = :ok_id), 'array',
    'the body is stored as jsonb');
select row_eq(
    format('select c.endpoint, c.ticker, c.cost, c.http_status, c.called_at, c.duration_ms, c.worker, c.error
            from raw.eodhd_payloads p join pipeline.api_calls c using (api_call_id) where p.payload_id = %s', :ok_id),
    row('eod'::text, 'AAPL.US'::text, 1, 200, '2026-03-02 22:00:00+00'::timestamptz, 1000, 'w1'::text, null::text),
    'the ledger row carries endpoint, cost, status, call time (received minus duration) and worker'
);
select is((select request_params from raw.eodhd_payloads where payload_id = :ok_id),
    '{"from": "2026-01-02", "fmt": "json"}'::jsonb, 'request parameters are kept');

-- test: an HTML body lands nothing but the error
select raw.land_response(null, 'eod', 'AAPL.US', null, '{}', 200, '<html><body>Bad gateway</body></html>',
    '2026-03-02 22:00+00', 1, 10, 'w1') as html_id \gset
select row_eq(
    format('select body, ingest_error from raw.eodhd_payloads where payload_id = %s', :html_id),
    row(null::jsonb, 'response is not JSON: Token "<" is invalid.'::text),
    'an HTML body: body null, ingest_error says why'
);

-- test: a truncated body lands nothing but the error
select raw.land_response(null, 'eod', 'AAPL.US', null, '{}', 200, '[{"date": "2026-01-02", "open": 1',
    '2026-03-02 22:00+00', 1, 10, 'w1') as cut_id \gset
select ok(
    (select body is null and ingest_error like 'response is not JSON: %' from raw.eodhd_payloads where payload_id = :cut_id),
    'a truncated body: body null, ingest_error set'
);
select is((select error from pipeline.api_calls c join raw.eodhd_payloads p using (api_call_id) where p.payload_id = :cut_id),
    (select ingest_error from raw.eodhd_payloads where payload_id = :cut_id), 'the ledger row carries the same error');

-- test: an empty 200 body
select raw.land_response(null, 'eod', 'AAPL.US', null, '{}', 200, null, '2026-03-02 22:00+00', 1, 10, 'w1') as empty_id \gset
select is((select ingest_error from raw.eodhd_payloads where payload_id = :empty_id), 'response is not JSON: empty body',
    'an empty body is not JSON');

-- test: a 404 is counted in the ledger and lands no payload
select is(raw.land_response(null, 'eod', 'GONE.US', null, '{}', 404, 'Ticker Not Found.', '2026-03-02 22:00+00', 1, 10, 'w1'),
    null::bigint, 'a 404 returns no payload_id');
select row_eq(
    $$select cost, http_status, error from pipeline.api_calls where ticker = 'GONE.US'$$,
    row(1, 404, 'HTTP 404: Ticker Not Found.'::text), 'the 404 is in the ledger with its cost and body text'
);
select is((select count(*)::integer from raw.eodhd_payloads where ticker = 'GONE.US'), 0, 'no payload row for a 404');

-- test: no response at all (timeout) is still a ledger row with the caller's error
select is(raw.land_response(null, 'fundamentals', 'SLOW.US', null, '{}', null, null, '2026-03-02 22:00+00', 10, 30000,
    'w2', 'read timeout'), null::bigint, 'a timed-out call returns no payload_id');
select row_eq(
    $$select cost, http_status, error from pipeline.api_calls where ticker = 'SLOW.US'$$,
    row(10, null::integer, 'read timeout'::text), 'the timed-out call is counted at its true cost'
);

-- test: the token is never stored
select throws_ok(
    $$select raw.land_response(null, 'eod', 'AAPL.US', null, '{"api_token": "secret123"}', 200, '[]',
      '2026-03-02 22:00+00', 1, 10, 'w1')$$,
    '22023', null, 'request_params with api_token are refused'
);
select is((select count(*)::integer from pipeline.api_calls where error like '%secret%' or error like '%s3cr3t%'), 0,
    'nothing was written for the refused call');
select raw.land_response(null, 'eod', 'ERR.US', null, '{}', 500, null, '2026-03-02 22:00+00', 1, 10, 'w1',
    'GET /eod/ERR.US?api_token=s3cr3t&fmt=json failed');
select is((select error from pipeline.api_calls where ticker = 'ERR.US'), 'GET /eod/ERR.US?api_token=***&fmt=json failed',
    'a token inside an error text is masked');

select * from finish();
rollback;
